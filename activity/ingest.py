"""The fast way into the event store: many events at once, for integrated apps and history imports.

Callers resolve each event's customer within their account first (activity knows nothing of identities)
and check its fields with `activity.validation.event_clean`. `events_ingest` then stores a batch in one
transaction: COPY on PostgreSQL, bulk_create elsewhere. Each client id is claimed in the same transaction
(`EventClientId`): one already claimed stores nothing, so retries store nothing twice. Each customer's
(source, type) kind (its tally) grows by exactly what was stored. On PostgreSQL, the partition of each
event's month is made ready first (activity/partitions.py).

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

from accounts.models import Role
from activity.models import Event, EventClientId
from activity.partitions import event_partitions_ensure


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
        event_partitions_ensure(e.occurred_at for e in events)
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
            # One JSON document carries the groups: far quicker to build than five typed arrays.
            rows = json.dumps([(c, s, t, n, last.isoformat()) for c, s, t, n, last in groups])
            cursor.execute(_KIND_UPSERT_FROM_JSON, [rows])
            return {(c, s, t): id for id, c, s, t in cursor.fetchall()}
        adapt = connection.ops.adapt_datetimefield_value
        ids = {}
        for c, s, t, n, last in groups:
            cursor.execute(_KIND_UPSERT_SQLITE, (c, s, t, n, adapt(last)))
            ids[(c, s, t)] = cursor.fetchone()[0]
        return ids


_KIND_UPSERT_FROM_JSON = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
SELECT (g->>0)::bigint, g->>1, g->>2, (g->>3)::bigint, (g->>4)::timestamptz FROM jsonb_array_elements(%s::jsonb) AS g
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


# One round trip for the API's single event: find its customer (at most one `id`), count the event in its
# kind (created if new) and store it pointing there. No customer: nothing happens. With a client id, the id
# is claimed first, and nothing else happens if it was already (the caller then finds the event stored).
_INSERT_ONE = """
WITH fast AS MATERIALIZED (
    SELECT set_config('synchronous_commit', %s, true)
), customer AS MATERIALIZED (
    {customer}
), kind AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT customer.id, %s, %s, 1, %s FROM customer, fast
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + 1,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
    RETURNING id, customer_id
), stored AS (
    INSERT INTO activity_event
        (account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at, client_id)
    SELECT %s, kind.customer_id, kind.id, %s, %s, %s, %s::jsonb, %s, %s, NULL FROM kind
    RETURNING id
)
SELECT kind.customer_id, stored.id FROM kind, stored
"""
_INSERT_ONE_IDENTIFIED = """
WITH fast AS MATERIALIZED (
    SELECT set_config('synchronous_commit', %s, true)
), customer AS MATERIALIZED (
    {customer}
), claimed AS (
    INSERT INTO activity_eventclientid (account_id, client_id, event_id, occurred_at)
    SELECT %s, %s, nextval({sequence}::regclass), %s FROM customer, fast
    ON CONFLICT (account_id, client_id) DO NOTHING
    RETURNING event_id
), kind AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
    SELECT customer.id, %s, %s, 1, %s FROM customer, claimed
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + 1,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
    RETURNING id, customer_id
), stored AS (
    INSERT INTO activity_event
        (id, account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at,
         client_id)
    SELECT claimed.event_id, %s, kind.customer_id, kind.id, %s, %s, %s, %s::jsonb, %s, %s, %s FROM kind, claimed
    RETURNING id
)
SELECT customer.id, stored.id FROM customer LEFT JOIN stored ON true
"""
# How an event names its customer: by id (already resolved), or by a column of the user that names one
# person of the account: the primary email or the external id (each unique per account; the `<> ''`
# matches the partial unique indexes even in a generic plan). Only an end user has a timeline.
_CUSTOMER_BY = {
    "id": "SELECT %s::bigint AS id",
    "email": "SELECT id FROM accounts_user WHERE account_id = %s AND email = %s AND email <> '' AND role = %s",
    "external_id": (
        "SELECT id FROM accounts_user WHERE account_id = %s AND external_id = %s AND external_id <> '' AND role = %s"
    ),
}


class CustomerKey(NamedTuple):
    """Names the customer an event is for: by "id", or by their primary "email" or "external_id"."""

    field: str
    value: int | str


def _synchronous_commit() -> str:
    return "off" if settings.EVENTS_ASYNCHRONOUS_COMMIT else "on"


@functools.cache
def _insert_one_sql(field: str, identified: bool) -> str:
    if identified:
        return _INSERT_ONE_IDENTIFIED.format(customer=_CUSTOMER_BY[field], sequence=_event_sequence())
    return _INSERT_ONE.format(customer=_CUSTOMER_BY[field])


def event_insert_for(
    *, account_id: int, customer: CustomerKey, event: tuple, received_at: datetime.datetime
) -> tuple[int, Stored] | None:
    """Store one event (the fields of a NewEvent after its customer) on the end user of the account that
    `customer` names, in one round trip: (customer id, Stored), or None when it names nobody (then
    nothing is stored). PostgreSQL only."""
    source, type, description, properties, occurred_at, client_id = event
    event_partitions_ensure((occurred_at,))
    customer_params = [customer.value] if customer.field == "id" else [account_id, customer.value, Role.END_USER]
    kind_params = [source, type, occurred_at]
    fields = [source, type, description, properties, occurred_at, received_at]
    with connection.cursor() as cursor:
        if client_id is None:
            params = [_synchronous_commit(), *customer_params, *kind_params, account_id, *fields]
            cursor.execute(_insert_one_sql(customer.field, False), params)
            row = cursor.fetchone()
            return None if row is None else (row[0], Stored(row[1], True))
        claim = [account_id, client_id, occurred_at]
        params = [_synchronous_commit(), *customer_params, *claim, *kind_params, account_id, *fields, client_id]
        cursor.execute(_insert_one_sql(customer.field, True), params)
        row = cursor.fetchone()
        if row is None:
            return None
        customer_id, event_id = row
        if event_id is not None:
            return customer_id, Stored(event_id, True)
        # Claimed before (by a request that has committed since, if it was still running): that event.
        cursor.execute(
            "SELECT event_id FROM activity_eventclientid WHERE account_id = %s AND client_id = %s",
            [account_id, client_id],
        )
        return customer_id, Stored(cursor.fetchone()[0], False)


def _insert_one(account_id: int, event: NewEvent, received_at: datetime.datetime) -> Stored:
    customer_id, *fields = event
    _customer_id, stored = event_insert_for(
        account_id=account_id, customer=CustomerKey("id", customer_id), event=tuple(fields), received_at=received_at
    )
    return stored


# COPY straight into the event store: every reference (kind, id) is resolved before the rows are sent,
# so the database only appends them and updates the indexes. Text format: the properties go as their
# JSON text, which the jsonb column parses.
_COPY_EVENTS = (
    "COPY activity_event (id, account_id, customer_id, kind_id, source, type, description, properties, "
    "occurred_at, received_at, client_id) FROM STDIN"
)
_COPY_TYPES = ["int8", "int8", "int8", "int8", "text", "text", "text", "text", "timestamptz", "timestamptz", "text"]
_NEXT_IDS = "SELECT nextval({sequence}::regclass) FROM generate_series(1, %s)"
# Claims the batch's client ids in one order (every writer's), so two batches sharing some wait on each other
# in turn and never deadlock; returns those claimed now. An id claimed by a transaction still running
# waits for it to end.
_CLAIM = """
INSERT INTO activity_eventclientid (account_id, client_id, event_id, occurred_at)
SELECT %s, claim.client_id, claim.event_id, claim.occurred_at
FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[]) AS claim(client_id, event_id, occurred_at)
ORDER BY claim.client_id
ON CONFLICT (account_id, client_id) DO NOTHING
RETURNING client_id
"""


@transaction.atomic(savepoint=False)  # a caller's transaction is enough: a failure fails it all anyway
def _copy(account_id: int, events: Sequence[NewEvent], received_at: datetime.datetime) -> list[Stored]:
    results: list[Stored | None] = [None] * len(events)
    repeats = _repeats(events)
    candidates = [i for i in range(len(events)) if i not in repeats] if repeats else range(len(events))
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(_FAST_COMMIT, [_synchronous_commit()])
        cursor.execute(_NEXT_IDS.format(sequence=_event_sequence()), [len(candidates)])
        ids = dict(zip(candidates, (row[0] for row in cursor.fetchall())))
        fresh = _claim_client_ids(cursor, account_id, events, candidates, ids, results)
        if fresh:
            kinds = _kind_ids(events, fresh)
            # Rows sorted as the timeline index sorts them touch each index page once, not at random.
            order = sorted(fresh, key=lambda i: (events[i].customer_id, events[i].occurred_at))
            with connection.wrap_database_errors, cursor.copy(_COPY_EVENTS) as copy:
                copy.set_types(_COPY_TYPES)
                write_row = copy.write_row
                for i in order:
                    customer_id, source, type, description, properties, occurred_at, client_id = events[i]
                    id = ids[i]
                    write_row((
                        id, account_id, customer_id, kinds[(customer_id, source, type)], source, type, description,
                        properties, occurred_at, received_at, client_id,
                    ))  # fmt: skip
                    results[i] = Stored(id, True)
    _resolve_repeats(repeats, results)
    return results


def _claim_client_ids(cursor, account_id: int, events, candidates, ids: dict[int, int], results: list) -> list[int]:
    """Claim the client ids among `candidates`; returns the events to store (those without one or whose id
    is claimed now), and fills `results` for the others with the event stored under their id before."""
    identified = [i for i in candidates if events[i].client_id is not None]
    if not identified:
        return list(candidates)
    client_ids = [events[i].client_id for i in identified]
    cursor.execute(
        _CLAIM,
        [account_id, client_ids, [ids[i] for i in identified], [events[i].occurred_at for i in identified]],
    )
    claimed = {row[0] for row in cursor.fetchall()}
    if len(claimed) == len(identified):
        return list(candidates)
    taken = [client_id for client_id in client_ids if client_id not in claimed]
    cursor.execute(
        "SELECT client_id, event_id FROM activity_eventclientid WHERE account_id = %s AND client_id = ANY(%s)",
        [account_id, taken],
    )
    before = dict(cursor.fetchall())
    fresh = []
    for i in candidates:
        client_id = events[i].client_id
        if client_id in before:
            results[i] = Stored(before[client_id], False)
        else:
            fresh.append(i)
    return fresh


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


@functools.cache
def _event_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_literal(pg_get_serial_sequence('activity_event', 'id'))")
        return cursor.fetchone()[0]


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
    """SQLite: one writer at a time, so the client ids are looked up, then claimed with the new events."""
    results: list[Stored | None] = [None] * len(events)
    repeats = _repeats(events)
    client_ids = [e.client_id for i, e in enumerate(events) if e.client_id is not None and i not in repeats]
    known = {}
    for start in range(0, len(client_ids), 500):  # SQLite allows only so many parameters
        chunk = client_ids[start : start + 500]
        known.update(
            EventClientId.objects.filter(account_id=account_id, client_id__in=chunk).values_list(
                "client_id", "event_id"
            )
        )
    fresh = []
    for i, event in enumerate(events):
        if event.client_id in known:
            results[i] = Stored(known[event.client_id], False)
        elif i not in repeats:
            fresh.append(i)
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
    EventClientId.objects.bulk_create(
        [
            EventClientId(account_id=account_id, client_id=e.client_id, event_id=e.pk, occurred_at=e.occurred_at)
            for e in objects
            if e.client_id is not None
        ],
        batch_size=500,
    )
    for i, obj in zip(fresh, objects):
        results[i] = Stored(obj.pk, True)
    _resolve_repeats(repeats, results)
    return results
