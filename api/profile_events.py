"""Events that integrated apps send about a profile (a person as their app knows them), through the events
API or a history import: which customer each profile is, and storing the events on their timeline.

A profile names its person by identifiers (email, phone number, external id). The first identifier that
names a customer of the account wins, in the order external id, email, phone number. A profile nobody
matches becomes a new customer when it has an email or an external id (as in the original product).

Items are read the fast way first (`profile_item_read`: msgspec, the event's properties kept as the text
sent); one that is not valid beyond doubt is parsed in full and checked field by field, for its errors.
"""

import datetime
import functools
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import NamedTuple

import msgspec
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from activity.ingest import CustomerKey, NewEvent, Stored, event_insert_for, events_ingest
from activity.models import SUPPORT_SOURCE
from activity.selectors import EventFilter, events_for_customer
from activity.validation import EventFields, EventInvalid, event_clean, event_fields_clean
from common.keyset import KeysetPage
from common.text import text_is_storable
from profiles.identities import (
    EMAIL_MAX_LENGTH,
    TEAM_MEMBER,
    IdentityError,
    customers_for_identifiers,
    email_normalize,
    phone_normalize,
)
from profiles.services import customer_create

IDENTIFIER_TYPES = ("external_id", "email", "phone_number")  # also the order in which they win
_RANK = {type: rank for rank, type in enumerate(IDENTIFIER_TYPES)}
MAX_IDENTIFIERS = 20
EVENTS_PAGE_KEYS = [("occurred_at", True), ("id", True)]  # the timeline's order: newest first


class Outcome(NamedTuple):
    """What became of one submitted item: stored (new or already there), or the errors by field."""

    stored: Stored | None = None
    event: NewEvent | None = None
    received_at: datetime.datetime | None = None
    errors: dict[str, tuple[str, str]] | None = None


class Resolution:
    """Which customer each identifier has been found to name so far. One import keeps it across batches,
    so each address is looked up once however many events name it."""

    def __init__(self):
        self.customers: dict[tuple[str, str], int | str] = {}


class ReadItem(NamedTuple):
    """An item read and found valid: its profile's identifiers and name, and its event as stored."""

    identifiers: tuple[tuple[str, str], ...]
    name: str
    event: tuple


class _Item(msgspec.Struct):
    profile: msgspec.Raw = msgspec.Raw(b"null")
    event: EventFields | None = None


_read_item = msgspec.json.Decoder(_Item).decode
_read_json = msgspec.json.decode


def profile_item_read(raw: bytes, *, now: datetime.datetime, allow_support_source: bool = False) -> ReadItem | None:
    """A {"profile", "event"} item read from its JSON text the fast way, when it is valid beyond doubt (the
    usual case); None when it must be parsed in full (Python's json) and checked field by field, which
    names every error. Give the same `now` to the store."""
    try:
        item = _read_item(raw)
    except msgspec.MsgspecError:
        return None
    if item.event is None:
        return None
    event = event_fields_clean(item.event, now=now)
    if event is None or (not allow_support_source and event[0].casefold() == _SUPPORT):
        return None
    profile = _profile_read(bytes(item.profile))
    return None if profile is None else ReadItem(*profile, event)


# A person's events all name them with the same profile, byte for byte: read each profile text once.
@functools.lru_cache(maxsize=65536)
def _profile_read(raw: bytes) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """(identifiers, name) of a valid profile's JSON text; None otherwise (the full check names the errors)."""
    try:
        profile = _read_json(raw)
    except msgspec.MsgspecError:
        return None
    if profile.__class__ is not dict:
        return None
    errors: dict[str, tuple[str, str]] = {}
    identifiers, name = _profile(profile, errors)
    return None if errors else (identifiers, name)


def profile_events_store(
    *,
    account: Account,
    actor_id: int | None,
    items: Sequence,
    resolution: Resolution | None = None,
    allow_support_source: bool = False,
    now: datetime.datetime | None = None,
) -> list[Outcome]:
    """Check each {"profile", "event"} item (parsed JSON, or a ReadItem from `profile_item_read` with the same
    `now`), find or create its customer and store the valid ones in one transaction; returns one Outcome
    per item, in order. Invalid items store nothing."""
    resolution = resolution or Resolution()
    now = now or timezone.now()
    outcomes: list[Outcome | None] = [None] * len(items)
    parsed: dict[int, ReadItem] = {}
    for index, item in enumerate(items):
        if item.__class__ is ReadItem:
            parsed[index] = item
            continue
        try:
            parsed[index] = _parse(item, now, allow_support_source)
        except _Invalid as invalid:
            outcomes[index] = Outcome(None, None, None, invalid.errors)
    if parsed:
        _resolve(account.pk, (i for p in parsed.values() for i in p.identifiers), resolution)
        customers = {index: _customer_of(p, resolution) for index, p in parsed.items()}
        unknown = {index: parsed[index] for index, customer in customers.items() if customer is None}
        atomic = transaction.atomic() if len(parsed) > 1 or unknown else nullcontext()
        with atomic:
            if unknown:
                _create_customers(account, actor_id, unknown, resolution)
                customers.update({index: _customer_of(p, resolution) for index, p in unknown.items()})
            indexes: list[int] = []
            ready: list[NewEvent] = []
            for index, p in parsed.items():
                customer = customers[index]
                if customer is None:
                    outcomes[index] = Outcome(None, None, None, _UNKNOWN_ERROR)
                elif customer == TEAM_MEMBER:
                    outcomes[index] = Outcome(None, None, None, _TEAM_ERROR)
                else:
                    indexes.append(index)
                    ready.append(NewEvent(customer, *p.event))
            stored = events_ingest(account_id=account.pk, events=ready, received_at=now)
        for index, event, result in zip(indexes, ready, stored):
            outcomes[index] = Outcome(result, event, now, None)
    return outcomes


def profile_event_store(
    *, account: Account, actor_id: int | None, item, now: datetime.datetime | None = None
) -> Outcome:
    """One {"profile", "event"} item, as `profile_events_store` stores it. A profile named by a single email
    or external id of a customer (the usual case) is found and its event stored in one round trip on
    PostgreSQL."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        try:
            parsed = item if item.__class__ is ReadItem else _parse(item, now, allow_support_source=False)
        except _Invalid as invalid:
            return Outcome(None, None, None, invalid.errors)
        if len(parsed.identifiers) == 1 and parsed.identifiers[0][0] in ("email", "external_id"):
            found = event_insert_for(
                account_id=account.pk, customer=CustomerKey(*parsed.identifiers[0]), event=parsed.event, received_at=now
            )
            if found is not None:
                customer_id, stored = found
                return Outcome(stored, NewEvent(customer_id, *parsed.event), now, None)
    # Anyone else (a new customer, a secondary email, a phone number, a team member, several identifiers):
    # the long way.
    [outcome] = profile_events_store(account=account, actor_id=actor_id, items=[item], now=now)
    return outcome


_TEAM_ERROR = {"profile.identifiers": ("NotACustomer", _("These identifiers belong to a team member, not a customer."))}
_UNKNOWN_ERROR = {
    "profile.identifiers": (
        "NotFound",
        _("No customer has these identifiers; add an email or an external_id to create one."),
    )
}


class _Invalid(Exception):
    def __init__(self, errors: dict[str, tuple[str, str]]):
        self.errors = errors


_SUPPORT = SUPPORT_SOURCE.casefold()


def _parse(item, now: datetime.datetime, allow_support_source: bool) -> ReadItem:
    if not isinstance(item, dict):
        raise _Invalid({"": ("InvalidType", _("Must be a JSON object with a profile and an event."))})
    errors: dict[str, tuple[str, str]] = {}
    identifiers, name = _profile(item.get("profile"), errors)
    raw_event = item.get("event")
    event = None
    if not isinstance(raw_event, dict):
        errors["event"] = ("Required" if raw_event is None else "InvalidType", _("Must be a JSON object."))
    else:
        try:
            event = event_clean(raw_event, now=now)
        except EventInvalid as invalid:
            errors.update({f"event.{field}": error for field, error in invalid.errors.items()})
        else:
            if not allow_support_source and event[0].casefold() == _SUPPORT:
                errors["event.source"] = ("Reserved", _("“Support” is reserved for events this product records."))
    if errors:
        raise _Invalid(errors)
    return ReadItem(identifiers, name, event)


def _profile(raw, errors: dict) -> tuple[tuple[tuple[str, str], ...], str]:
    if not isinstance(raw, dict):
        errors["profile"] = ("Required" if raw is None else "InvalidType", _("Must be a JSON object."))
        return (), ""
    for field in ("source", "type"):
        value = raw.get(field)
        if value is None:
            errors[f"profile.{field}"] = ("Required", _("This field is required."))
        elif not isinstance(value, str) or not value.strip():
            errors[f"profile.{field}"] = ("Blank", _("Must be a non-empty string."))
        elif len(value) > 64:
            errors[f"profile.{field}"] = ("TooLong", _("Must be at most 64 characters."))
        elif not text_is_storable(value):
            errors[f"profile.{field}"] = ("InvalidValue", _("Contains characters that can't be stored."))
    name = raw.get("name")
    name = name.strip()[:255] if isinstance(name, str) else ""
    if not text_is_storable(name):
        errors["profile.name"] = ("InvalidValue", _("Contains characters that can't be stored."))
    raw_identifiers = raw.get("identifiers")
    if not isinstance(raw_identifiers, list) or not raw_identifiers:
        errors["profile.identifiers"] = ("Required", _("Must be a non-empty array of {type, value} objects."))
        return (), name
    if len(raw_identifiers) > MAX_IDENTIFIERS:
        errors["profile.identifiers"] = ("TooMany", _("Must hold at most 20 identifiers."))
        return (), name
    identifiers = []
    for n, identifier in enumerate(raw_identifiers):
        if not isinstance(identifier, dict):
            errors[f"profile.identifiers[{n}]"] = ("InvalidType", _("Must be a {type, value} object."))
            continue
        type, value = identifier.get("type"), identifier.get("value")
        result = _identifier(type, value) if type.__class__ is str and value.__class__ is str else _not_text(type)
        if len(result) == 3:
            field, code, message = result
            errors[f"profile.identifiers[{n}].{field}"] = (code, message)
        else:
            identifiers.append(result)
    if len(identifiers) > 1:
        identifiers.sort(key=lambda i: _RANK[i[0]])
    return tuple(identifiers), name


def _not_text(type) -> tuple[str, str, str]:
    if type not in IDENTIFIER_TYPES:
        return ("type", "InvalidValue", _("Must be one of email, phone_number or external_id."))
    return ("value", "InvalidType", _("Must be a string."))


# Checking an address or a number is slow next to storing an event, and the same ones come back again
# and again (each customer's events name them): remember the answers.
@functools.lru_cache(maxsize=65536)
def _identifier(type: str, value: str) -> tuple[str, str] | tuple[str, str, str]:
    """(type, value as stored), or (field, code, message) when it can't name anyone. Emails and phone
    numbers are read as the profile page reads them, but a phone number must be in international form:
    an integrated app's country is not the helpdesk's."""
    if type not in IDENTIFIER_TYPES:
        return ("type", "InvalidValue", _("Must be one of email, phone_number or external_id."))
    value = value.strip()
    if not value:
        return ("value", "Blank", _("Must be a non-empty string."))
    if not text_is_storable(value):
        return ("value", "InvalidValue", _("Contains characters that can't be stored."))
    if type == "external_id":
        if len(value) > 255:
            return ("value", "TooLong", _("Must be at most 255 characters."))
        return (type, value)
    if type == "email" and len(value) > EMAIL_MAX_LENGTH:
        return ("value", "TooLong", _("Must be at most 254 characters."))
    try:
        normalized = email_normalize(value) if type == "email" else phone_normalize(value, international=True)
    except IdentityError as error:
        return ("value", "InvalidValue", error.message)
    return (type, normalized)


def _customer_of(parsed: ReadItem, resolution: Resolution) -> int | str | None:
    customers = resolution.customers
    for identifier in parsed.identifiers:
        customer = customers.get(identifier)
        if customer is not None:
            return customer
    return None


def _resolve(account_id: int, identifiers: Iterable[tuple[str, str]], resolution: Resolution) -> None:
    """Look up, in bulk, the identifiers not yet known; those that name nobody stay absent."""
    known = resolution.customers
    wanted = {i for i in identifiers if i not in known}
    if wanted:
        known.update(customers_for_identifiers(account_id=account_id, identifiers=wanted))


def _create_customers(account: Account, actor_id: int | None, unknown: dict[int, ReadItem], resolution) -> None:
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    wanted = []
    for parsed in unknown.values():
        identifiers = dict(parsed.identifiers[::-1])  # the first of each type wins
        email, external_id = identifiers.get("email", ""), identifiers.get("external_id", "")
        if email or external_id:
            wanted.append((email, external_id, parsed))
    # Created in one order by every writer: two batches naming the same new people (two processes of an
    # import, two requests) wait on each other in turn instead of deadlocking.
    wanted.sort(key=lambda w: (w[0], w[1]))
    for email, external_id, parsed in wanted:
        if _customer_of(parsed, resolution) is not None:
            continue  # an earlier item of this batch created them
        try:
            with transaction.atomic():
                customer = customer_create(
                    account=account,
                    actor=actor,
                    name=parsed.name or (email.split("@")[0] if email else external_id),
                    email=email,
                    external_id=external_id,
                )
        except IntegrityError:
            # Created by a concurrent request since we looked: use theirs.
            _resolve(account.pk, parsed.identifiers, resolution)
            continue
        for identifier in parsed.identifiers:
            if identifier[0] != "phone_number":
                resolution.customers[identifier] = customer.pk


# Reading a user's events back


def user_events_page(
    *,
    account: Account,
    user_id: int,
    source: str = "",
    type: str = "",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    end_inclusive: bool = True,
    after: str | None = None,
    before: str | None = None,
    size: int = 100,
) -> KeysetPage | None:
    """One page of a user's events, newest first, filtered by source, type and time; None when the account
    has no user with this id."""
    user = User.objects.filter(account=account, pk=user_id).only("pk").first()
    if user is None:
        return None
    return events_for_customer(
        customer=user,
        event_filter=EventFilter(source=source, type=type if source else ""),
        start=start,
        end=end,
        end_inclusive=end_inclusive,
        after=after,
        before=before,
        size=size,
    )
