"""The fast way into the event store: many events at once, for integrated apps and history imports.

Callers resolve each event's customer within their account first (activity knows nothing of identities).
This module checks an event's own fields (`event_clean`), then stores a batch in one transaction
(`events_ingest`): COPY on PostgreSQL, bulk_create elsewhere. A client id already stored is skipped, so
retries store nothing twice, and each customer's (source, type) tally grows by exactly what was stored.
"""

import datetime
import json
import re
from collections.abc import Sequence
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activity.models import Event

MAX_NAME_LENGTH = 64  # source and type
MAX_DESCRIPTION_LENGTH = 255
MAX_CLIENT_ID_LENGTH = 128
MAX_PROPERTIES_BYTES = 32 * 1024

# NUL and lone surrogates can't be stored in PostgreSQL text (nor encoded as UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class NewEvent(NamedTuple):
    """One event ready to store: fields already checked by `event_clean`, customer already resolved."""

    customer_id: int
    source: str
    type: str
    description: str
    properties: str  # the JSON text of an object
    occurred_at: datetime.datetime  # aware
    client_id: str | None


class Stored(NamedTuple):
    id: int
    created: bool  # False when an event with the same client id was already stored


class EventInvalid(ValueError):
    """The event's fields are unusable; `errors` maps each field (`source`, `properties`…) to (code, message)."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, (_code, message) in errors.items()))
        self.errors = errors


def event_clean(raw: dict, *, now: datetime.datetime) -> tuple[str, str, str, str, datetime.datetime, str | None]:
    """The stored form of an API event object (source, type, description, properties JSON, occurred_at,
    client id); raises EventInvalid naming every bad field."""
    errors: dict[str, tuple[str, str]] = {}
    source = _name(raw.get("source"), "source", errors)
    type = _name(raw.get("type"), "type", errors)

    description = raw.get("description")
    if description is None:
        description = ""
    elif not isinstance(description, str):
        errors["description"] = ("InvalidType", _("Must be a string."))
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = ("TooLong", _("Must be at most 255 characters."))
    elif _UNSTORABLE.search(description):
        errors["description"] = ("InvalidValue", _("Contains characters that can't be stored."))

    properties = _properties(raw.get("properties"), errors)
    occurred_at = _timestamp(raw.get("created_at"), now, errors)

    client_id = raw.get("id")
    if client_id is not None:
        if isinstance(client_id, int) and not isinstance(client_id, bool):
            client_id = str(client_id)
        if not isinstance(client_id, str) or not client_id.strip():
            errors["id"] = ("InvalidType", _("Must be a non-empty string."))
        elif len(client_id) > MAX_CLIENT_ID_LENGTH:
            errors["id"] = ("TooLong", _("Must be at most 128 characters."))
        elif _UNSTORABLE.search(client_id):
            errors["id"] = ("InvalidValue", _("Contains characters that can't be stored."))

    if errors:
        raise EventInvalid(errors)
    return source, type, description, properties, occurred_at, client_id


def _name(value, field: str, errors: dict) -> str:
    if value is None:
        errors[field] = ("Required", _("This field is required."))
    elif not isinstance(value, str):
        errors[field] = ("InvalidType", _("Must be a string."))
    elif not value.strip():
        errors[field] = ("Blank", _("Can't be blank."))
    elif len(value) > MAX_NAME_LENGTH:
        errors[field] = ("TooLong", _("Must be at most 64 characters."))
    elif _UNSTORABLE.search(value):
        errors[field] = ("InvalidValue", _("Contains characters that can't be stored."))
    else:
        return value.strip()
    return ""


def _properties(value, errors: dict) -> str:
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        errors["properties"] = ("InvalidType", _("Must be a JSON object."))
        return ""
    try:
        text = _ENCODER.encode(value)
        size = len(text.encode())
    except (ValueError, RecursionError, UnicodeEncodeError):
        errors["properties"] = ("InvalidValue", _("Contains values that can't be stored."))
        return ""
    if size > MAX_PROPERTIES_BYTES:
        errors["properties"] = ("TooLarge", _("Must be at most 32 KB once encoded as JSON."))
    elif "\\u0000" in text and _has_nul(value):
        errors["properties"] = ("InvalidValue", _("Contains values that can't be stored."))
    return text


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _timestamp(value, now: datetime.datetime, errors: dict) -> datetime.datetime:
    if value is None:
        return now
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            return moment.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            pass
    errors["created_at"] = ("InvalidValue", _("Must be an ISO-8601 date and time, like 2024-05-17T09:30:00Z."))
    return now


def events_ingest(
    *, account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime | None = None
) -> list[Stored]:
    """Store a batch of events in one transaction and count them in their customers' tallies; returns,
    in input order, each event's id and whether it is new (a client id seen before stores nothing)."""
    if not events:
        return []
    received_at = received_at or timezone.now()
    if connection.vendor == "postgresql":
        if len(events) == 1:
            return [_insert_one(account_id, events[0], received_at)]
        return _copy(account_id, events, received_at)
    return _bulk_create(account_id, events, received_at)


def event_kinds_add(groups: Sequence[tuple[int, str, str, int, datetime.datetime]]) -> None:
    """Add (customer_id, source, type, count, last occurred_at) to the tallies in one race-free upsert."""
    if not groups:
        return
    groups = sorted(groups)  # one lock order for every writer, so concurrent batches never deadlock
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _KIND_UPSERT_FROM_ARRAYS,
                [[g[0] for g in groups], [g[1] for g in groups], [g[2] for g in groups], [g[3] for g in groups],
                 [g[4] for g in groups]],
            )  # fmt: skip
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(_KIND_UPSERT_SQLITE, [(c, s, t, n, adapt(last)) for c, s, t, n, last in groups])


_KIND_UPSERT_FROM_ARRAYS = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::timestamptz[])
ON CONFLICT (customer_id, source, type) DO UPDATE
SET count = activity_eventkind.count + EXCLUDED.count,
    last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
"""

_KIND_UPSERT_SQLITE = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (customer_id, source, type) DO UPDATE
SET count = activity_eventkind.count + excluded.count,
    last_occurred_at = MAX(activity_eventkind.last_occurred_at, excluded.last_occurred_at)
"""

# One round trip for the API's single event: store it unless its client id is known, and count it.
_INSERT_ONE = """
WITH stored AS (
    INSERT INTO activity_event
        (account_id, customer_id, source, type, description, properties, occurred_at, received_at, client_id)
    VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)
    ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id, customer_id, source, type, occurred_at
), counted AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT customer_id, source, type, 1, occurred_at FROM stored
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + 1,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
)
SELECT id FROM stored
"""


def _insert_one(account_id: int, event: NewEvent, received_at: datetime.datetime) -> Stored:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ONE, [account_id, *event[:6], received_at, event.client_id])
        row = cursor.fetchone()
        if row is not None:
            return Stored(row[0], True)
        cursor.execute(
            "SELECT id FROM activity_event WHERE account_id = %s AND client_id = %s", [account_id, event.client_id]
        )
        return Stored(cursor.fetchone()[0], False)


_ALLOCATE_IDS = "SELECT nextval(pg_get_serial_sequence('activity_event', 'id')) FROM generate_series(1, %s)"
_COPY = """
COPY activity_event
    (id, account_id, customer_id, source, type, description, properties, occurred_at, received_at, client_id)
FROM STDIN
"""


def _sort_key(event: NewEvent):
    return (event.customer_id, event.occurred_at, event.client_id or "")


@transaction.atomic
def _copy(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    fresh, repeats = _split_known(account_id, events, results)
    # Inserting in index order touches each index page once per batch instead of at random: about
    # twice the speed once the indexes outgrow memory. The order is total, so concurrent batches that
    # share client ids take their locks in the same order and never deadlock.
    fresh.sort(key=lambda i: _sort_key(events[i]))
    if not fresh:
        _resolve_repeats(repeats, results)
        return results
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(_ALLOCATE_IDS, [len(fresh)])
        ids = [row[0] for row in cursor.fetchall()]
        rows = [(ids[n], account_id, *events[i][:6], received_at, events[i].client_id) for n, i in enumerate(fresh)]
        try:
            with transaction.atomic(), connection.wrap_database_errors, cursor.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
            inserted = fresh
            for n, i in enumerate(fresh):
                results[i] = Stored(ids[n], True)
        except IntegrityError:
            # Another request stored some of these client ids since we looked: insert, skipping theirs.
            inserted = _insert_skipping_conflicts(cursor, account_id, events, fresh, rows, results)
    _resolve_repeats(repeats, results)
    _count(events, inserted)
    return results


def _split_known(account_id: int, events: Sequence[NewEvent], results: list) -> tuple[list[int], dict[int, int]]:
    """Indexes of the events to insert; fills `results` for client ids already stored, and returns the
    later repeats of a client id within the batch (index -> index of its first occurrence)."""
    client_ids = [e.client_id for e in events if e.client_id is not None]
    known: dict[str, int] = {}
    if client_ids:
        known = _stored_ids(account_id, client_ids)
    fresh: list[int] = []
    repeats: dict[int, int] = {}
    first: dict[str, int] = {}
    for i, event in enumerate(events):
        client_id = event.client_id
        if client_id is not None:
            if client_id in known:
                results[i] = Stored(known[client_id], False)
                continue
            if client_id in first:
                repeats[i] = first[client_id]
                continue
            first[client_id] = i
        fresh.append(i)
    return fresh, repeats


def _stored_ids(account_id: int, client_ids: list[str]) -> dict[str, int]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT client_id, id FROM activity_event WHERE account_id = %s AND client_id = ANY(%s)",
                [account_id, client_ids],
            )
            return dict(cursor.fetchall())
    known = {}
    for start in range(0, len(client_ids), 500):  # SQLite allows only so many parameters
        chunk = client_ids[start : start + 500]
        known.update(Event.objects.filter(account_id=account_id, client_id__in=chunk).values_list("client_id", "id"))
    return known


def _resolve_repeats(repeats: dict[int, int], results: list) -> None:
    for i, first in repeats.items():
        results[i] = Stored(results[first].id, False)


_INSERT_FROM_ARRAYS = """
INSERT INTO activity_event
    (id, account_id, customer_id, source, type, description, properties, occurred_at, received_at, client_id)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[],
                     %s::jsonb[], %s::timestamptz[], %s::timestamptz[], %s::varchar[])
ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
RETURNING id
"""


def _insert_skipping_conflicts(cursor, account_id, events, fresh, rows, results) -> list[int]:
    cursor.execute(_INSERT_FROM_ARRAYS, [list(column) for column in zip(*rows)])
    new_ids = {row[0] for row in cursor.fetchall()}
    inserted = []
    lost = []
    for n, i in enumerate(fresh):
        if rows[n][0] in new_ids:
            results[i] = Stored(rows[n][0], True)
            inserted.append(i)
        else:
            lost.append(i)
    if lost:
        known = _stored_ids(account_id, [events[i].client_id for i in lost])
        for i in lost:
            results[i] = Stored(known[events[i].client_id], False)
    return inserted


def _count(events: Sequence[NewEvent], inserted: list[int]) -> None:
    tally: dict[tuple[int, str, str], list] = {}
    for i in inserted:
        event = events[i]
        key = (event.customer_id, event.source, event.type)
        kind = tally.get(key)
        if kind is None:
            tally[key] = [1, event.occurred_at]
        else:
            kind[0] += 1
            if event.occurred_at > kind[1]:
                kind[1] = event.occurred_at
    event_kinds_add([(*key, count, last) for key, (count, last) in tally.items()])


@transaction.atomic
def _bulk_create(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    fresh, repeats = _split_known(account_id, events, results)
    objects = [
        Event(
            account_id=account_id,
            customer_id=events[i].customer_id,
            source=events[i].source,
            type=events[i].type,
            description=events[i].description,
            properties=json.loads(events[i].properties),
            occurred_at=events[i].occurred_at,
            received_at=received_at,
            client_id=events[i].client_id,
        )
        for i in fresh
    ]
    Event.objects.bulk_create(objects, batch_size=500)
    for i, obj in zip(fresh, objects):
        results[i] = Stored(obj.pk, True)
    _resolve_repeats(repeats, results)
    _count(events, fresh)
    return results
