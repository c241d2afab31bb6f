"""Merging two customers who are one person: everything of the one merged away goes to the one kept.

A merge is shown before it is done (`merge_preview`): what moves, and for each field where both have a
different value, which one stays — the kept customer's unless the agent picks the other. The preview
carries a token, a digest of everything it showed; `customer_merge` compares it with the customers as
they are once locked, and a preview that no longer matches (someone changed either customer meanwhile)
is refused with the new one instead of merging what the agent did not see.

Both customers are locked in one order (by id) for the whole transaction, so two agents merging A into B
and B into A at once queue up: the second finds its customer merged away and is refused; nothing is
lost, nothing is done twice.

What moves, and how:
- tickets requested or submitted, comments written, CCs (once per ticket, none on one's own ticket);
- emails and phone numbers, as secondary identities (the kept customer's primaries stay; a kind of
  contact they have none of takes the merged one's primary); a phone number both have is kept once;
- organizations (the kept customer's default stays; one both belong to is kept once);
- tags: both sets; name, language, time zone, details, notes and custom fields: the choice above, or
  whichever has a value; fields the agent may not change (hidden, read-only, inactive) keep the kept
  customer's value, else take the other's;
- lookup values naming the merged-away customer name the kept one;
- events stay stored where they are: the kept customer's timeline reads them (activity.selectors), so a
  merge costs the same for ten events or ten million.
The merged-away customer keeps their row, emptied of what must stay unique (email, external id) and of
their password, with `merged_into` set: their address leads to the kept customer, no search finds them,
and no write reaches them (`customer_lock` refuses them).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Locale, Role, User
from accounts.services import audit_record
from activity.selectors import timeline_event_count
from activity.services import event_record
from common.errors import RecordGone
from common.tags import merge_tags
from custom_fields.models import CustomField, FieldObject, FieldType
from custom_fields.relations import lookup_links_update, lookup_references_count, lookup_references_repoint
from custom_fields.values import (
    FORM_PREFIX,
    custom_field_display,
    custom_field_lookup_labels,
    custom_field_visible_to,
    custom_field_writable_by,
    custom_fields_of,
)
from profiles.models import Identity, OrganizationMembership
from tickets.selectors import ticket_involvement
from tickets.services import tickets_move

Side = Literal["source", "target"]
SOURCE: Side = "source"
TARGET: Side = "target"

# The customer's own fields a merge decides between, in the order the preview shows them.
PROFILE_FIELDS = {
    "name": gettext_lazy("Name"),
    "locale": gettext_lazy("Language"),
    "time_zone": gettext_lazy("Time zone"),
    "details": gettext_lazy("Details"),
    "notes": gettext_lazy("Notes"),
}


class MergeRefused(Exception):
    """A merge the rules forbid (a team member, a customer into themselves, one already merged away);
    nothing was written. The message is for the agent; `code` for programs."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class MergeStale(Exception):
    """Either customer changed since the preview the agent confirmed; nothing was written. `preview` is
    what a merge would do now."""

    def __init__(self, preview: "MergePreview"):
        super().__init__("the merge preview is out of date")
        self.preview = preview


@dataclass(frozen=True)
class FieldMerge:
    """One field as a merge settles it: both values, and which stays (`keep`) unless the agent may
    choose (`choosable`: both have a different value and the agent may change the field)."""

    name: str  # the form name: a profile field, or FORM_PREFIX + a custom field's key
    label: str
    source_value: Any
    target_value: Any
    source_display: str
    target_display: str
    choosable: bool
    keep: Side


@dataclass(frozen=True)
class IdentityMove:
    identity: Identity
    outcome: Literal["secondary", "primary", "duplicate"]


@dataclass(frozen=True)
class MembershipMove:
    membership: OrganizationMembership
    outcome: Literal["joins", "joins_as_default", "already"]


@dataclass(frozen=True)
class MergePreview:
    """What merging `source` into `target` does, read as both are saved now; `token` is its digest."""

    source: User
    target: User
    fields: list[FieldMerge]
    identities: list[IdentityMove]
    memberships: list[MembershipMove]
    tags_added: list[str]
    tickets_requested: int
    tickets_ccd: int
    events: int
    references: int
    token: str
    _hidden_custom: dict = field(default_factory=dict, repr=False)  # values the agent doesn't see, merged

    @property
    def choices(self) -> list[FieldMerge]:
        return [f for f in self.fields if f.choosable]


@dataclass(frozen=True)
class MergeResult:
    """The kept customer as the merge left them, and how many of each thing moved to them."""

    target: User
    moved: dict[str, int]


# Reads


def merge_preview(*, source: User, target: User, actor: User) -> MergePreview:
    """What merging `source` into `target` would do, as both customers are saved now. Raises MergeRefused
    for a merge the rules forbid, RecordGone when either is not a customer of the actor's account."""
    source, target = _pair(source_id=source.pk, target_id=target.pk, actor=actor, lock=False)
    return _preview(source, target, actor)


def _pair(*, source_id: int, target_id: int, actor: User, lock: bool) -> tuple[User, User]:
    if not actor.is_team_member:
        raise MergeRefused(_("Only agents and admins can merge customers."), code="not_allowed")
    if source_id == target_id:
        raise MergeRefused(_("A customer can't be merged into themselves."), code="same_customer")
    people = User.objects.filter(account_id=actor.account_id)
    if lock:
        # One lock order for every merge, whichever way it goes: A into B and B into A queue up. The lock
        # leaves rows that merely point at a customer free to be added (events of an integration, say: the
        # kept customer's timeline reads them wherever they land), while every write on a customer
        # (`customer_lock`), a new ticket (`ticket_create`) and another merge waits for this one.
        found = {}
        for pk in sorted((source_id, target_id)):
            person = people.select_for_update(no_key=True).filter(pk=pk).first()
            if person is not None:
                found[pk] = person
    else:
        found = {person.pk: person for person in people.filter(pk__in=[source_id, target_id])}
    if len(found) < 2:
        raise RecordGone(f"users {source_id} and {target_id} are not both in account {actor.account_id}")
    source, target = found[source_id], found[target_id]
    for person in (source, target):
        person.account = actor.account
        if person.role != Role.END_USER:
            raise MergeRefused(
                _("%(name)s is a team member: only customers can be merged.") % {"name": person.name},
                code="team_member",
            )
        if person.merged_into_id is not None:
            raise MergeRefused(
                _("%(name)s was already merged into another customer.") % {"name": person.name},
                code="already_merged",
            )
    return source, target


def _has_value(value: Any) -> bool:
    return value not in (None, "", [])


def _profile_display(name: str, value: Any) -> str:
    if name == "locale":
        return str(dict(Locale.choices).get(value, value))
    return str(value)


def _field(name, label, source_value, target_value, source_display, target_display, *, writable) -> FieldMerge:
    both = _has_value(source_value) and _has_value(target_value) and source_value != target_value
    return FieldMerge(
        name=name,
        label=str(label),
        source_value=source_value,
        target_value=target_value,
        source_display=source_display,
        target_display=target_display,
        choosable=both and writable,
        keep=TARGET if _has_value(target_value) else SOURCE,
    )


def _fields(source: User, target: User, actor: User, definitions: list[CustomField]) -> tuple[list, dict]:
    fields = []
    for name, label in PROFILE_FIELDS.items():
        s, t = getattr(source, name), getattr(target, name)
        if _has_value(s) or _has_value(t):
            shown_s, shown_t = _profile_display(name, s), _profile_display(name, t)
            fields.append(_field(name, label, s, t, shown_s, shown_t, writable=True))
    stored_s, stored_t = source.custom_fields or {}, target.custom_fields or {}
    shown = [d for d in definitions if custom_field_visible_to(d, actor.role)]
    labels = custom_field_lookup_labels(account=actor.account, fields=shown, values=[stored_s, stored_t])
    for definition in shown:
        s, t = stored_s.get(definition.key), stored_t.get(definition.key)
        if _has_value(s) or _has_value(t):
            fields.append(
                _field(
                    FORM_PREFIX + definition.key,
                    definition.title,
                    s,
                    t,
                    custom_field_display(definition, s, labels=labels) if _has_value(s) else "",
                    custom_field_display(definition, t, labels=labels) if _has_value(t) else "",
                    writable=custom_field_writable_by(definition, actor.role),
                )
            )
    # Values of fields this member doesn't see (hidden, inactive, or no longer defined): the kept customer's
    # stay, the other's fill the gaps.
    seen = {d.key for d in shown}
    hidden = {k: v for k, v in stored_s.items() if k not in seen and _has_value(v)}
    hidden.update({k: v for k, v in stored_t.items() if k not in seen and _has_value(v)})
    return fields, hidden


def _identity_moves(identities: list[Identity], source: User, target: User) -> list[IdentityMove]:
    theirs = [i for i in identities if i.user_id == target.pk]
    values = {i.value for i in theirs}
    primary_types = {i.type for i in theirs if i.primary}
    moves = []
    for identity in (i for i in identities if i.user_id == source.pk):
        if identity.value in values:
            outcome = "duplicate"
        elif identity.primary and identity.type not in primary_types:
            outcome = "primary"
        else:
            outcome = "secondary"
        moves.append(IdentityMove(identity, outcome))
    return moves


def _membership_moves(memberships: list[OrganizationMembership], source, target) -> list[MembershipMove]:
    theirs = [m for m in memberships if m.user_id == target.pk]
    organizations = {m.organization_id for m in theirs}
    has_default = any(m.default for m in theirs)
    moves = []
    for membership in (m for m in memberships if m.user_id == source.pk):
        if membership.organization_id in organizations:
            outcome = "already"
        elif membership.default and not has_default:
            outcome = "joins_as_default"
        else:
            outcome = "joins"
        moves.append(MembershipMove(membership, outcome))
    return moves


def _preview(source: User, target: User, actor: User) -> MergePreview:
    both = [source.pk, target.pk]
    identities = list(Identity.objects.filter(user_id__in=both).order_by("type", "-primary", "id"))
    memberships = list(
        OrganizationMembership.objects.filter(user_id__in=both)
        .select_related("organization")
        .order_by("-default", "organization__name", "id")
    )
    definitions = custom_fields_of(account=actor.account, object_type=FieldObject.USER)
    fields, hidden = _fields(source, target, actor, definitions)
    tickets = ticket_involvement(source)
    target_tags = set(target.tag_list)
    state = {
        "people": [_state(person) for person in (source, target)],
        "identities": [(i.pk, i.user_id, i.type, i.value, i.primary, i.verified, i.phone_line) for i in identities],
        "memberships": [(m.pk, m.user_id, m.organization_id, m.default) for m in memberships],
        "tickets": tickets,
    }
    return MergePreview(
        source=source,
        target=target,
        fields=fields,
        identities=_identity_moves(identities, source, target),
        memberships=_membership_moves(memberships, source, target),
        tags_added=[tag for tag in source.tag_list if tag not in target_tags],
        tickets_requested=tickets["requested"],
        tickets_ccd=tickets["ccd"],
        events=timeline_event_count(customer=source),
        references=lookup_references_count(account=actor.account, target="user", record_id=source.pk),
        token=hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:40],
        _hidden_custom=hidden,
    )


def _state(person: User) -> dict:
    return {
        "id": person.pk,
        **{name: getattr(person, name) for name in PROFILE_FIELDS},
        "tags": person.tags,
        "email": person.email,
        "external_id": person.external_id,
        "custom_fields": person.custom_fields or {},
    }


# Writes


@transaction.atomic
def customer_merge(
    *,
    source: User,
    target: User,
    actor: User,
    choices: Mapping[str, str] | None = None,
    preview_token: str | None = None,
) -> MergeResult:
    """Merge customer `source` into customer `target`, all or nothing (see the module's docstring).

    `choices` name, for fields where both have a different value, the side whose value stays ("source" or
    "target", by the preview's field names; the kept customer's by default). `preview_token` is the token
    of the preview the agent confirmed: when either customer changed since, MergeStale is raised with the
    new preview and nothing is written (None merges without that check, as an integration does). Raises
    MergeRefused for a merge the rules forbid and RecordGone when either is not a customer of the actor's
    account. Records `user_merged` on the kept customer's timeline and an audit entry naming both."""
    source, target = _pair(source_id=source.pk, target_id=target.pk, actor=actor, lock=True)
    preview = _preview(source, target, actor)
    if preview_token is not None and preview_token != preview.token:
        raise MergeStale(preview)
    choices = choices or {}
    sides = {
        f.name: (choices.get(f.name) if f.choosable and choices.get(f.name) in (SOURCE, TARGET) else f.keep)
        for f in preview.fields
    }
    now = timezone.now()
    before = _state(target)

    # What must stay unique in the account leaves the merged-away customer first.
    external_id = target.external_id or source.external_id
    User.objects.filter(pk=source.pk).update(
        merged_into=target, email="", external_id="", password=make_password(None), updated_at=now
    )
    User.objects.filter(merged_into=source).update(merged_into=target)  # earlier merges lead to the kept one

    moved = {"identities": _move_identities(preview, source, target, now)}
    moved["organizations"] = _move_memberships(preview, source, target)
    moved.update({f"tickets_{kind}": n for kind, n in tickets_move(source=source, target=target).items()})
    moved["references"] = lookup_references_repoint(
        account=actor.account, target="user", from_id=source.pk, to_id=target.pk
    )
    moved["events"] = preview.events

    custom = {**preview._hidden_custom}
    for f in preview.fields:
        value = f.source_value if sides[f.name] == SOURCE else f.target_value
        if f.name in PROFILE_FIELDS:
            setattr(target, f.name, value)
        elif _has_value(value):
            custom[f.name.removeprefix(FORM_PREFIX)] = value
    target.custom_fields = custom
    target.tags = merge_tags(target.tags, source.tags)
    target.external_id = external_id
    target.email = (
        Identity.objects.filter(user=target, type="email", primary=True).values_list("value", flat=True).first() or ""
    )
    if source.last_login and (target.last_login is None or source.last_login > target.last_login):
        target.last_login = source.last_login
    target.updated_at = now
    changed = [name for name, value in _state(target).items() if before[name] != value]
    User.objects.filter(pk=target.pk).update(
        **{name: getattr(target, name) for name in changed},
        last_login=target.last_login,
        updated_at=now,
    )
    # The Related tab reads lookup values through their links: the kept customer's are now `custom`, and the
    # merged-away customer points at nobody any more.
    user_lookups = list(
        CustomField.objects.filter(account=actor.account, object_type=FieldObject.USER, type=FieldType.LOOKUP)
    )
    lookup_links_update(source_id=target.pk, fields=user_lookups, values=target.custom_fields)
    lookup_links_update(source_id=source.pk, fields=user_lookups, values={})

    chosen = {f.name: sides[f.name] for f in preview.choices}
    event_record(
        customer=target,
        type="user_merged",
        description=f"Merged with {source.name}"[:255],
        properties={
            "merged_user_id": source.pk,
            "merged_user_name": source.name,
            "kept": chosen,
            "moved": moved,
            "actor_id": actor.pk,
        },
    )
    audit_record(
        account=actor.account,
        actor=actor,
        action="customer.merged",
        target=target,
        before={
            "merged_user_id": source.pk,
            "kept_user_id": target.pk,
            "merged_user": _state(source),
            "kept_user": {name: before[name] for name in changed},
        },
        after={
            "merged_user_id": source.pk,
            "kept_user_id": target.pk,
            "kept_user": {name: getattr(target, name) for name in changed},
            "kept": chosen,
            "moved": moved,
        },
    )
    return MergeResult(target=target, moved=moved)


def _move_identities(preview: MergePreview, source: User, target: User, now) -> int:
    by_outcome: dict[str, list[int]] = {"duplicate": [], "primary": [], "secondary": []}
    for move in preview.identities:
        by_outcome[move.outcome].append(move.identity.pk)
    Identity.objects.filter(pk__in=by_outcome["duplicate"]).delete()
    Identity.objects.filter(pk__in=by_outcome["secondary"]).update(user=target, primary=False, updated_at=now)
    Identity.objects.filter(pk__in=by_outcome["primary"]).update(user=target, updated_at=now)
    return len(by_outcome["secondary"]) + len(by_outcome["primary"])


def _move_memberships(preview: MergePreview, source: User, target: User) -> int:
    by_outcome: dict[str, list[int]] = {"already": [], "joins": [], "joins_as_default": []}
    for move in preview.memberships:
        by_outcome[move.outcome].append(move.membership.pk)
    OrganizationMembership.objects.filter(pk__in=by_outcome["already"]).delete()
    OrganizationMembership.objects.filter(pk__in=by_outcome["joins"]).update(user=target, default=False)
    OrganizationMembership.objects.filter(pk__in=by_outcome["joins_as_default"]).update(user=target)
    return len(by_outcome["joins"]) + len(by_outcome["joins_as_default"])
