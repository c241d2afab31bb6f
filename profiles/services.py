"""Writes on customer profiles. Each records its activity events and audit entry in one transaction."""

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import Account, Role, User
from accounts.services import audit_record
from activity.services import event_record
from common.tags import normalize_tags
from custom_fields.models import CustomField, FieldObject, FieldType
from custom_fields.values import (
    FORM_PREFIX,
    custom_field_display,
    custom_field_lookup_labels,
    custom_field_values_apply,
)
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


@dataclass
class FieldConflict:
    """A field both agents changed: its form name, the value saved meanwhile, and this agent's."""

    field: str
    theirs: str
    yours: str


class ProfileConflict(Exception):
    """Someone else saved a field this agent also changed since the form was loaded; nothing was written.
    `current` holds every field's value as saved now, by form name, to compare the next attempt against."""

    def __init__(self, conflicts: list[FieldConflict], current: dict):
        super().__init__(", ".join(c.field for c in conflicts))
        self.conflicts = conflicts
        self.current = current


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


_KEEP, _SAVE, _CONFLICT = "keep", "save", "conflict"


def _merge(original: Any, theirs: Any, yours: Any, same) -> str:
    """A three-way merge of one field: the agent's value against the one loaded and the one saved now.
    Untouched by the agent: keep what is saved. Changed by the agent only (or to what someone else also
    chose): save it. Changed by both, differently: a conflict."""
    if same(yours, original) or same(yours, theirs):
        return _KEEP
    return _SAVE if same(theirs, original) else _CONFLICT


def _loaded_value(token: str) -> Any:
    try:
        return json.loads(token)
    except ValueError:
        return None


def _same(definition: CustomField, a: Any, b: Any) -> bool:
    """Whether two values of a custom field mean the same (an unticked box and no value at all do)."""
    if definition.type == FieldType.CHECKBOX:
        return bool(a) == bool(b)
    return custom_value_token(a) == custom_value_token(b)


def custom_value_token(value: Any) -> str:
    """A custom field value as one comparable string (also what the form carries as the loaded value)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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
    custom_changes, custom_originals = custom_changes or {}, custom_originals or {}
    locked = customer_lock(customer=customer, actor=actor, with_ticket_counts=with_ticket_counts)
    current = {f: _comparable(f, getattr(locked, f)) for f in EDITABLE_FIELDS}
    touched, conflicts = {}, []
    for f, value in changes.items():
        if f not in EDITABLE_FIELDS:
            continue
        yours = _comparable(f, value)
        merge = _merge(_comparable(f, originals.get(f, current[f])), current[f], yours, lambda a, b: a == b)
        if merge == _CONFLICT:
            conflicts.append(FieldConflict(field=f, theirs=current[f], yours=yours))
        elif merge == _SAVE:
            touched[f] = yours
    if definitions is None and custom_changes:
        definitions = CustomField.objects.filter(
            account_id=locked.account_id, object_type=FieldObject.USER, key__in=list(custom_changes)
        )
    definitions = {f.key: f for f in definitions or () if f.object_type == FieldObject.USER}
    stored = dict(locked.custom_fields or {})
    custom_touched = {}
    for key, yours in custom_changes.items():
        definition = definitions.get(key)
        if definition is None:
            continue
        original = _loaded_value(custom_originals[key]) if key in custom_originals else stored.get(key)
        theirs = stored.get(key)
        merge = _merge(original, theirs, yours, lambda a, b, d=definition: _same(d, a, b))
        if merge == _CONFLICT:
            labels = custom_field_lookup_labels(
                account=locked.account, fields=[definition], values=[stored, {key: yours}]
            )
            conflicts.append(
                FieldConflict(
                    field=FORM_PREFIX + key,
                    theirs=custom_field_display(definition, theirs, labels=labels),
                    yours=custom_field_display(definition, yours, labels=labels),
                )
            )
        elif merge == _SAVE:
            custom_touched[key] = yours
    if conflicts:
        raise ProfileConflict(
            conflicts,
            {**current, **{FORM_PREFIX + key: custom_value_token(stored.get(key)) for key in custom_changes}},
        )

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
    if custom_touched:
        locked.custom_fields = customer.custom_fields = custom_field_values_apply(stored, custom_touched)
        fields = [definitions[key] for key in custom_touched]
        labels = custom_field_lookup_labels(account=locked.account, fields=fields, values=[stored, custom_touched])
        for definition in fields:
            previous, now = stored.get(definition.key), custom_touched[definition.key]
            event_record(
                customer=locked,
                type="custom_field_changed",
                description=f"{definition.title} changed"[:255],
                properties={
                    "field": definition.key,
                    "title": definition.title,
                    "previous": custom_field_display(definition, previous, labels=labels),
                    "current": custom_field_display(definition, now, labels=labels),
                    "previous_value": previous,
                    "current_value": now,
                    "actor_id": actor.pk,
                },
            )
    if saved or custom_touched:
        locked.save(update_fields=[*saved, *(["custom_fields"] if custom_touched else []), "updated_at"])
        customer.updated_at = locked.updated_at
        audit_record(
            account=locked.account,
            actor=actor,
            action="customer.updated",
            target=locked,
            before={**{f: current[f] for f in saved}, **{FORM_PREFIX + k: stored.get(k) for k in custom_touched}},
            after={**{f: touched[f] for f in saved}, **{FORM_PREFIX + k: v for k, v in custom_touched.items()}},
        )

    contacts = []
    for index, contact in enumerate(new_contacts):
        try:
            contacts.append(identity_add(customer=locked, actor=actor, type=contact.type, value=contact.value))
        except IdentityError as error:
            raise ContactRefused(index, error) from None
    return ProfileSave(customer=locked, fields=saved + [FORM_PREFIX + k for k in custom_touched], contacts=contacts)


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
