"""Writes on customer profiles. Each records its activity events and audit entry in one transaction."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Role, User
from accounts.services import audit_record
from activity.services import event_record
from common.tags import normalize_tags
from custom_fields.merge import custom_values_write, record_merge
from custom_fields.models import CustomField, FieldObject
from custom_fields.values import FORM_PREFIX
from profiles.identities import IdentityError, identity_add
from profiles.locking import customer_lock
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


class ContactRefused(Exception):
    """A new email or phone number could not be added (nothing at all was written): which one, and why."""

    def __init__(self, index: int, error: IdentityError):
        super().__init__(error.message)
        self.index = index
        self.error = error


@dataclass
class NewContact:
    type: str
    value: str


@dataclass
class ProfileSave:
    """What a save changed: field names (custom fields by form name) and the contacts added; and the
    customer as saved now, for the page to show without reading them again."""

    customer: User
    fields: list[str] = field(default_factory=list)
    contacts: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.contacts)


def _comparable(field: str, value) -> str:
    text = "" if value is None else str(value)
    return normalize_tags(text) if field == "tags" else text.strip()


@transaction.atomic
def customer_update(
    *,
    customer: User,
    actor: User,
    changes: dict,
    originals: dict,
    custom_changes: dict | None = None,
    custom_originals: dict | None = None,
    definitions: list[CustomField] | None = None,
    new_contacts: list[NewContact] = (),
    with_ticket_counts: bool = False,
) -> ProfileSave:
    """Save what this agent changed since the form was loaded (`originals`, `custom_originals`), merging
    with whatever another agent saved meanwhile; a field both changed differently is refused as a
    conflict, and a new contact that can't be added refuses the whole save. Either way nothing is
    written then. Records one timeline event per changed field and one audit entry. `definitions` are
    the user fields the caller already read (else they are read here). Only `customer`'s id and account
    are used: the row is locked and read as saved now, and returned as the save left it (with its ticket
    counts if asked, for a page to show without reading the customer again)."""
    locked = customer_lock(customer=customer, actor=actor, with_ticket_counts=with_ticket_counts)
    merged = record_merge(
        record=locked,
        account=locked.account,
        object_type=FieldObject.USER,
        fields=EDITABLE_FIELDS,
        normalize=_comparable,
        changes=changes,
        originals=originals,
        custom_changes=custom_changes,
        custom_originals=custom_originals,
        definitions=definitions,
    )
    current, touched, stored, custom = merged.current, merged.touched, merged.stored, merged.custom

    saved = list(touched)
    for f in saved:
        setattr(locked, f, touched[f])
        setattr(customer, f, touched[f])  # the caller's copy reads as saved too
        event_record(
            customer=locked,
            type=EDITABLE_FIELDS[f],
            description=f"{f.replace('_', ' ').capitalize()} changed"[:255],
            properties={"field": f, "previous": current[f], "current": touched[f], "actor_id": actor.pk},
        )
    if custom.touched:
        values, described = custom_values_write(
            account=locked.account,
            source_id=locked.pk,
            stored=stored,
            touched=custom.touched,
            definitions=custom.definitions,
        )
        locked.custom_fields = customer.custom_fields = values
        for change in described:
            event_record(
                customer=locked,
                type="custom_field_changed",
                description=f"{change.field.title} changed"[:255],
                properties={**change.properties(), "actor_id": actor.pk},
            )
    if saved or custom.touched:
        locked.save(update_fields=[*saved, *(["custom_fields"] if custom.touched else []), "updated_at"])
        customer.updated_at = locked.updated_at
        audit_record(
            account=locked.account,
            actor=actor,
            action="customer.updated",
            target=locked,
            before={**{f: current[f] for f in saved}, **{FORM_PREFIX + k: stored.get(k) for k in custom.touched}},
            after={**{f: touched[f] for f in saved}, **{FORM_PREFIX + k: v for k, v in custom.touched.items()}},
        )

    contacts = []
    for index, contact in enumerate(new_contacts):
        try:
            contacts.append(identity_add(customer=locked, actor=actor, type=contact.type, value=contact.value))
        except IdentityError as error:
            raise ContactRefused(index, error) from None
    return ProfileSave(customer=locked, fields=saved + [FORM_PREFIX + k for k in custom.touched], contacts=contacts)


@transaction.atomic
def customer_signed_in(*, customer: User) -> None:
    """Put a sign-in on the customer's timeline; team members' sign-ins are not customer activity."""
    if customer.is_end_user:
        event_record(customer=customer, type="user_signed_in", description="Signed in")


@transaction.atomic
def customer_create(*, account: Account, actor: User | None, name: str, email: str = "", external_id: str = "") -> User:
    """Add a customer first heard of through an integration: their email becomes their primary (unverified)
    identity, as when someone writes in for the first time. Raises IntegrityError if the email or external
    id was taken meanwhile."""
    customer = User(account=account, role=Role.END_USER, name=name[:255], email=email, external_id=external_id)
    customer.set_unusable_password()
    customer.save()
    if email:
        identity = Identity.objects.create(
            account=account, user=customer, type=IdentityType.EMAIL, value=email, primary=True, verified=False
        )
        event_record(
            customer=customer,
            type="identity_created",
            description="Email added",
            properties={
                "identity_id": identity.pk,
                "identity_type": IdentityType.EMAIL,
                "value": email,
                "primary": True,
                "actor_id": actor and actor.pk,
            },
        )
    audit_record(
        account=account,
        actor=actor,
        action="customer.created",
        target=customer,
        after={"name": customer.name, "email": email, "external_id": external_id},
    )
    return customer


class ExternalIdTaken(Exception):
    """Another user of the account already has this external id; nothing was written."""


@transaction.atomic
def customer_set_external_id(*, customer: User, actor: User, external_id: str) -> bool:
    """Give the customer the id an integrated app knows them by ("" removes it); returns whether it changed.
    Raises ExternalIdTaken when another user of the account has it."""
    external_id = external_id.strip()
    locked = customer_lock(customer=customer, actor=actor)
    previous = locked.external_id
    if previous == external_id:
        return False
    if external_id and User.objects.filter(account_id=locked.account_id, external_id=external_id).exists():
        raise ExternalIdTaken(external_id)
    try:
        with transaction.atomic():
            User.objects.filter(pk=locked.pk).update(external_id=external_id, updated_at=timezone.now())
    except IntegrityError:  # taken by a concurrent request since we looked
        raise ExternalIdTaken(external_id) from None
    customer.external_id = external_id
    event_record(
        customer=locked,
        type="external_id_changed",
        description="External id changed",
        properties={"field": "external_id", "previous": previous, "current": external_id, "actor_id": actor.pk},
    )
    audit_record(
        account=locked.account,
        actor=actor,
        action="customer.updated",
        target=locked,
        before={"external_id": previous},
        after={"external_id": external_id},
    )
    return True


@transaction.atomic
def customer_set_suspended(*, customer: User, actor: User, suspended: bool) -> bool:
    """Suspend the customer (they can't sign in) or lift it; returns whether it changed."""
    locked = customer_lock(customer=customer, actor=actor)
    if locked.suspended == suspended:
        return False
    User.objects.filter(pk=locked.pk).update(suspended=suspended, updated_at=timezone.now())
    customer.suspended = suspended
    event_record(
        customer=locked,
        type="user_suspension_changed",
        description="Suspended" if suspended else "Unsuspended",
        properties={"suspended": suspended, "actor_id": actor.pk},
    )
    audit_record(
        account=locked.account,
        actor=actor,
        action="customer.suspended" if suspended else "customer.unsuspended",
        target=locked,
        before={"suspended": not suspended},
        after={"suspended": suspended},
    )
    return True


@transaction.atomic
def customer_tags_change(
    *, customer: User, actor: User, add: list[str] = (), remove: list[str] = (), replace: list[str] | None = None
) -> list[str]:
    """Set the customer's tags (`replace`), or add and remove some, against the tags saved now (so two
    integrations adding tags at once both count); returns the tags as saved. Records `tags_changed`."""
    locked = customer_lock(customer=customer, actor=actor)
    if replace is not None:
        tags = normalize_tags(list(replace))
    else:
        removed = set(normalize_tags(list(remove)).split())
        kept = [t for t in locked.tags.split() if t not in removed]
        tags = normalize_tags(kept + normalize_tags(list(add)).split())
    customer_update(customer=locked, actor=actor, changes={"tags": tags}, originals={})
    customer.tags = locked.tags
    return locked.tags.split()
