"""The fast way into the event store: many events at once, for integrated apps and history imports.

Callers resolve each event's customer within their account first (activity knows nothing of identities)
and check its fields with `activity.validation.event_clean`. `events_ingest` then stores a batch in one
transaction: COPY on PostgreSQL, bulk_create elsewhere. A client id already stored is skipped, so retries
store nothing twice, and each customer's (source, type) tally grows by exactly what was stored.
"""

import datetime
import functools
import json
from collections.abc import Sequence
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from activity.models import Event


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


# A per-connection scratch table: COPY lands here (cheap: no indexes, no WAL), then one statement moves
# the rows into the event store in index order and counts them. Its ids come from the events' own
# sequence, so each input row knows its event id before it is stored.
_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS activity_event_staging (
    ord integer NOT NULL,
    id bigint NOT NULL DEFAULT nextval({sequence}::regclass),
    customer_id bigint NOT NULL,
    source varchar(64) NOT NULL,
    type varchar(64) NOT NULL,
    description varchar(255) NOT NULL,
    properties jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    client_id varchar(128)
) ON COMMIT DELETE ROWS
"""
_STAGE = (
    "COPY activity_event_staging (ord, customer_id, source, type, description, properties, occurred_at, client_id) "
    "FROM STDIN"
)
_STAGE_TYPES = ["int4", "int8", "text", "text", "text", "text", "timestamptz", "text"]  # JSON goes as its text
# Inserting in index order touches each index page once per batch instead of at random (about twice
# the speed once the indexes outgrow memory). The order is total, so concurrent batches sharing client
# ids wait on each other in the same order and never deadlock. Consuming the staged rows (DELETE …
# RETURNING) leaves the scratch table empty for the next batch of the same transaction.
_MOVE = """
WITH staged AS (
    DELETE FROM activity_event_staging RETURNING *
), stored AS (
    INSERT INTO activity_event
        (id, account_id, customer_id, source, type, description, properties, occurred_at, received_at, client_id)
    SELECT id, %s, customer_id, source, type, description, properties, occurred_at, %s, client_id
    FROM staged ORDER BY customer_id, occurred_at, client_id, ord
    ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id, customer_id, source, type, occurred_at
), counted AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT customer_id, source, type, count(*), max(occurred_at) FROM stored
    GROUP BY customer_id, source, type ORDER BY customer_id, source, type
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + EXCLUDED.count,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
)
SELECT staged.ord, staged.id, stored.id IS NOT NULL FROM staged LEFT JOIN stored ON stored.id = staged.id
"""


@transaction.atomic(savepoint=False)  # a caller's transaction is enough: a failure fails it all anyway
def _copy(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    repeats = _repeats(events)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        _ensure_staging(cursor)
        with connection.wrap_database_errors, cursor.copy(_STAGE) as copy:
            copy.set_types(_STAGE_TYPES)
            write_row = copy.write_row
            for ord, event in enumerate(events):
                if ord not in repeats:
                    write_row((ord, *event))
        django_cursor.execute(_MOVE, [account_id, received_at])
        skipped = []
        for ord, id, created in django_cursor.fetchall():
            if created:
                results[ord] = Stored(id, True)
            else:
                skipped.append(ord)
    if skipped:
        # Their client id was stored before (maybe by a concurrent request): answer with that event.
        known = _stored_ids(account_id, [events[ord].client_id for ord in skipped])
        for ord in skipped:
            results[ord] = Stored(known[events[ord].client_id], False)
    _resolve_repeats(repeats, results)
    return results


def _repeats(events: Sequence[NewEvent]) -> dict[int, int]:
    """Later occurrences of a client id within the batch (index -> index of the first): the first wins."""
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for i, event in enumerate(events):
        client_id = event.client_id
        if client_id is not None:
            if client_id in first:
                repeats[i] = first[client_id]
            else:
                first[client_id] = i
    return repeats


def _ensure_staging(cursor) -> None:
    # Checked for each batch, not remembered: a pooler may hand this transaction another server session.
    cursor.execute(_STAGING.format(sequence=_event_sequence()))


@functools.cache
def _event_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_literal(pg_get_serial_sequence('activity_event', 'id'))")
        return cursor.fetchone()[0]


def _split_known(account_id: int, events: Sequence[NewEvent], results: list) -> tuple[list[int], dict[int, int]]:
    """Indexes of the events to insert and the repeats within the batch; fills `results` for client ids
    already stored."""
    client_ids = [e.client_id for e in events if e.client_id is not None]
    known = _stored_ids(account_id, client_ids) if client_ids else {}
    repeats = _repeats(events)
    fresh = []
    for i, event in enumerate(events):
        if event.client_id in known:
            results[i] = Stored(known[event.client_id], False)
        elif i not in repeats:
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


@transaction.atomic(savepoint=False)
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
