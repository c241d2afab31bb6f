"""The fast way into the event store: many events at once, for integrated apps and history imports.

Callers resolve each event's customer within their account first (activity knows nothing of identities)
and check its fields with `activity.validation.event_clean`. `events_ingest` then stores a batch in one
transaction: COPY on PostgreSQL, bulk_create elsewhere. A client id already stored is skipped, so retries
store nothing twice, and each customer's (source, type) kind (its tally) grows by exactly what was stored.

Commits here don't wait for the disk when EVENTS_ASYNCHRONOUS_COMMIT is on (the default): a database
server crash may then lose the last fraction of a second of acknowledged events, never half of a batch.
Domain writes (`event_record` inside a service's transaction) are not affected.
"""

import datetime
import functools
import json
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
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


def event_kind_ids(groups: Sequence[tuple[int, str, str, int, datetime.datetime]]) -> dict[tuple[int, str, str], int]:
    """The kind id of each (customer_id, source, type), created when new, each tally grown by its count and
    last occurred_at, in one race-free upsert; returns {(customer_id, source, type): kind id}."""
    if not groups:
        return {}
    groups = sorted(groups)  # one lock order for every writer, so concurrent batches never deadlock
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _KIND_UPSERT_FROM_ARRAYS,
                [[g[0] for g in groups], [g[1] for g in groups], [g[2] for g in groups], [g[3] for g in groups],
                 [g[4] for g in groups]],
            )  # fmt: skip
            return {(c, s, t): id for id, c, s, t in cursor.fetchall()}
        adapt = connection.ops.adapt_datetimefield_value
        ids = {}
        for c, s, t, n, last in groups:
            cursor.execute(_KIND_UPSERT_SQLITE, (c, s, t, n, adapt(last)))
            ids[(c, s, t)] = cursor.fetchone()[0]
        return ids


_KIND_UPSERT_FROM_ARRAYS = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::timestamptz[])
ON CONFLICT (customer_id, source, type) DO UPDATE
SET count = activity_eventkind.count + EXCLUDED.count,
    last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
RETURNING id, customer_id, source, type
"""

_KIND_UPSERT_SQLITE = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (customer_id, source, type) DO UPDATE
SET count = activity_eventkind.count + excluded.count,
    last_occurred_at = MAX(activity_eventkind.last_occurred_at, excluded.last_occurred_at)
RETURNING id
"""

# Ingestion's own commits don't wait for the disk (see the module's docstring).
_FAST_COMMIT = "SELECT set_config('synchronous_commit', %s, true)"


# One round trip for the API's single event: count it in its kind (created if new) and store it pointing
# there. A client id already stored stores nothing; the caller then takes the count back.
_INSERT_ONE = """
WITH fast AS MATERIALIZED (
    SELECT set_config('synchronous_commit', %s, true)
), kind AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT %s, %s, %s, 1, %s FROM fast
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + 1,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
    RETURNING id
), stored AS (
    INSERT INTO activity_event
        (account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at, client_id)
    SELECT %s, %s, kind.id, %s, %s, %s, %s::jsonb, %s, %s, %s FROM kind
    ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id
)
SELECT kind.id, stored.id FROM kind LEFT JOIN stored ON true
"""


def _synchronous_commit() -> str:
    return "off" if settings.EVENTS_ASYNCHRONOUS_COMMIT else "on"


def _insert_one(account_id: int, event: NewEvent, received_at: datetime.datetime) -> Stored:
    customer_id, source, type, description, properties, occurred_at, client_id = event
    params = [_synchronous_commit(), customer_id, source, type, occurred_at]
    params += [account_id, customer_id, source, type, description, properties, occurred_at, received_at, client_id]
    if client_id is None:  # nothing can make it a repeat: one statement, its own transaction
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_ONE, params)
            return Stored(cursor.fetchone()[1], True)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_INSERT_ONE, params)
        kind_id, event_id = cursor.fetchone()
        if event_id is not None:
            return Stored(event_id, True)
        cursor.execute("UPDATE activity_eventkind SET count = count - 1 WHERE id = %s", [kind_id])
        cursor.execute(
            "SELECT id FROM activity_event WHERE account_id = %s AND client_id = %s", [account_id, client_id]
        )
        return Stored(cursor.fetchone()[0], False)


# Per-connection scratch tables: COPY lands in the first (cheap: no indexes, no WAL); the kinds of the
# batch are upserted into the second; then one statement moves the rows into the event store in index
# order and counts them. Their ids come from the events' own sequence, so each input row knows its event
# id before it is stored.
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
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS activity_kind_staging (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    source varchar(64) NOT NULL,
    type varchar(64) NOT NULL
) ON COMMIT DELETE ROWS
"""
_STAGE = (
    "COPY activity_event_staging (ord, customer_id, source, type, description, properties, occurred_at, client_id) "
    "FROM STDIN"
)
_STAGE_TYPES = ["int4", "int8", "text", "text", "text", "text", "timestamptz", "text"]  # JSON goes as its text
# Each kind of the batch, created if new. Without client ids every staged row will be stored, so the
# tally grows here at once; with them, some may be repeats, so it starts as is and the move counts.
_KINDS = """
WITH kinds AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT customer_id, source, type, {count}, max(occurred_at) FROM activity_event_staging
    GROUP BY customer_id, source, type ORDER BY customer_id, source, type
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + EXCLUDED.count,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
    RETURNING id, customer_id, source, type
)
INSERT INTO activity_kind_staging SELECT * FROM kinds
"""
_KINDS_COUNTED = _KINDS.format(count="count(*)")
_KINDS_UNCOUNTED = _KINDS.format(count="0")
# Inserting in index order touches each index page once per batch instead of at random (about twice
# the speed once the indexes outgrow memory). The order is total, so concurrent batches sharing client
# ids wait on each other in the same order and never deadlock. Consuming the staged rows (DELETE …
# RETURNING) leaves the scratch tables empty for the next batch of the same transaction.
_MOVE = """
WITH staged AS (
    DELETE FROM activity_event_staging RETURNING *
), kinds AS (
    DELETE FROM activity_kind_staging RETURNING *
), stored AS (
    INSERT INTO activity_event (id, account_id, customer_id, kind_id, source, type, description, properties,
                                occurred_at, received_at, client_id)
    SELECT s.id, %s, s.customer_id, k.id, s.source, s.type, s.description, s.properties, s.occurred_at, %s,
           s.client_id
    FROM staged s JOIN kinds k ON k.customer_id = s.customer_id AND k.source = s.source AND k.type = s.type
    ORDER BY s.customer_id, s.occurred_at, s.client_id, s.ord
    ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
    RETURNING id, kind_id, occurred_at
){counted}
SELECT staged.ord, staged.id, stored.id IS NOT NULL FROM staged LEFT JOIN stored ON stored.id = staged.id
"""
_COUNTED = """, counted AS (
    UPDATE activity_eventkind AS kind
    SET count = kind.count + tally.n, last_occurred_at = GREATEST(kind.last_occurred_at, tally.last)
    FROM (SELECT kind_id, count(*) AS n, max(occurred_at) AS last FROM stored GROUP BY kind_id) AS tally
    WHERE kind.id = tally.kind_id
)"""
_MOVE_AND_COUNT = _MOVE.format(counted=_COUNTED)
_MOVE_COUNTED_ALREADY = _MOVE.format(counted="")


@transaction.atomic(savepoint=False)  # a caller's transaction is enough: a failure fails it all anyway
def _copy(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    repeats = _repeats(events)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        _ensure_staging(cursor)
        cursor.execute(_FAST_COMMIT, [_synchronous_commit()])
        with connection.wrap_database_errors, cursor.copy(_STAGE) as copy:
            copy.set_types(_STAGE_TYPES)
            write_row = copy.write_row
            for ord, event in enumerate(events):
                if ord not in repeats:
                    write_row((ord, *event))
        if any(event.client_id is not None for event in events):
            django_cursor.execute(_KINDS_UNCOUNTED)
            django_cursor.execute(_MOVE_AND_COUNT, [account_id, received_at])
        else:
            django_cursor.execute(_KINDS_COUNTED)
            django_cursor.execute(_MOVE_COUNTED_ALREADY, [account_id, received_at])
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


def _kind_ids(events: Sequence[NewEvent], inserted: list[int]) -> dict[tuple[int, str, str], int]:
    """The kind of each inserted event, its tally grown by what is inserted."""
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
    return event_kind_ids([(*key, count, last) for key, (count, last) in tally.items()])


@transaction.atomic(savepoint=False)
def _bulk_create(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    fresh, repeats = _split_known(account_id, events, results)
    kinds = _kind_ids(events, fresh)
    objects = [
        Event(
            account_id=account_id,
            customer_id=events[i].customer_id,
            kind_id=kinds[(events[i].customer_id, events[i].source, events[i].type)],
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
    return results
