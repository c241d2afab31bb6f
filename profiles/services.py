"""Writes on customer profiles. Each records its activity events and audit entry in one transaction."""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Account, Role, User
from accounts.services import audit_record
from activity.services import event_record
from common.tags import normalize_tags
from profiles.models import Identity, IdentityType

# Profile fields an agent edits directly, with the timeline event each change records.
EDITABLE_FIELDS = {
    "name": "name_changed",
    "locale": "locale_changed",
    "time_zone": "time_zone_changed",
    "details": "details_changed",
    "notes": "notes_changed",
    "tags": "tags_changed",
}


@dataclass
class FieldConflict:
    field: str
    theirs: str
    yours: str


class ProfileConflict(Exception):
    """Someone else saved a field this agent also changed since the form was loaded."""

    def __init__(self, conflicts: list[FieldConflict], current: dict):
        super().__init__(", ".join(c.field for c in conflicts))
        self.conflicts = conflicts
        self.current = current


def _comparable(field: str, value) -> str:
    text = "" if value is None else str(value)
    return normalize_tags(text) if field == "tags" else text.strip()


@transaction.atomic
def customer_update(*, customer: User, actor: User, changes: dict, originals: dict) -> list[str]:
    """Save the fields this agent changed since `originals` was loaded; refuse if another agent changed
    one of the same fields in between (nothing is written then). Returns the names of fields saved."""
    locked = User.objects.select_for_update().get(pk=customer.pk, account_id=customer.account_id)
    current = {f: _comparable(f, getattr(locked, f)) for f in EDITABLE_FIELDS}
    touched = {
        f: _comparable(f, v)
        for f, v in changes.items()
        if f in EDITABLE_FIELDS and _comparable(f, v) != _comparable(f, originals.get(f, current[f]))
    }
    conflicts = [
        FieldConflict(field=f, theirs=current[f], yours=v)
        for f, v in touched.items()
        if current[f] != _comparable(f, originals.get(f, current[f])) and current[f] != v
    ]
    if conflicts:
        raise ProfileConflict(conflicts, current)
    saved = [f for f, v in touched.items() if current[f] != v]
    if not saved:
        return []
    for f in saved:
        setattr(locked, f, touched[f])
    locked.save(update_fields=[*saved, "updated_at"])
    for f in saved:
        setattr(customer, f, touched[f])
        event_record(
            customer=locked,
            type=EDITABLE_FIELDS[f],
            description=f"{f.replace('_', ' ').capitalize()} changed",
            properties={"field": f, "previous": current[f], "current": touched[f], "actor_id": actor.pk},
        )
    audit_record(
        account=locked.account,
        actor=actor,
        action="customer.updated",
        target=locked,
        before={f: current[f] for f in saved},
        after={f: touched[f] for f in saved},
    )
    return saved


@transaction.atomic
def customer_create(*, account: Account, actor: User | None, name: str, email: str = "", external_id: str = "") -> User:
    """Add a customer first heard of through an integration: their email becomes their primary (unverified)
    identity, as when someone writes in for the first time. Raises IntegrityError if the email or external
    id was taken meanwhile."""
    customer = User(account=account, role=Role.END_USER, name=name[:255], email=email, external_id=external_id)
    customer.set_unusable_password()
    customer.save()
    if email:
        Identity.objects.create(
            account=account, user=customer, type=IdentityType.EMAIL, value=email, primary=True, verified=False
        )
        event_record(
            customer=customer,
            type="identity_created",
            description="Email added",
            properties={"type": IdentityType.EMAIL, "value": email, "primary": True, "actor_id": actor and actor.pk},
        )
    audit_record(
        account=account,
        actor=actor,
        action="customer.created",
        target=customer,
        after={"name": customer.name, "email": email, "external_id": external_id},
    )
    return customer
