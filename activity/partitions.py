"""The event store's monthly partitions on PostgreSQL (migration 0006): created ahead, created on demand for
the months an import brings, and dropped whole when they fall out of EVENT_RETENTION_MONTHS.

A partition is named after its month in UTC, `activity_event_2026_12`, and holds the events that occurred
in it. The database function `activity_event_partition_create` (from the migration) is the one place that
creates them: attached as plain tables, so creating one never stops reads or writes. SQLite keeps one
plain table, and everything here is a no-op there.
"""

import datetime
import re
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import connection, connections, transaction

from activity.validation import retention_start

MONTHS_AHEAD = 3  # partitions kept ready beyond this month, so live events never wait for one
_NAME = re.compile(r"^activity_event_(\d{4})_(\d{2})$")

# Months (year, month) whose partition this process knows to exist, so that the hot path costs a set lookup
# per event: those committed when the process first looked, and those it created since, once committed.
_known_months: set[tuple[int, int]] | None = None


class Partition(NamedTuple):
    name: str
    start: datetime.datetime  # first instant of the month, UTC
    attached: bool  # False once detached (a drop interrupted half-way)


def month_start(moment: datetime.datetime) -> datetime.datetime:
    """The first instant of `moment`'s month, in UTC."""
    utc = moment.astimezone(datetime.UTC)
    return datetime.datetime(utc.year, utc.month, 1, tzinfo=datetime.UTC)


def _next_month(start: datetime.datetime, months: int = 1) -> datetime.datetime:
    index = start.year * 12 + start.month - 1 + months
    return datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=datetime.UTC)


def event_partitions_ensure(moments: Iterable[datetime.datetime]) -> None:
    """Make sure a partition exists for the month of each moment (events about to be stored, in the caller's
    transaction). Costs a set lookup per event unless a month is new to this process."""
    if connection.vendor != "postgresql":
        return
    utc = datetime.UTC
    months = {(m.year, m.month) if m.tzinfo is utc else _month_key(m) for m in moments}
    missing = months - (_known_months if _known_months is not None else _load_known_months())
    if missing:
        _create([datetime.datetime(year, month, 1, tzinfo=utc) for year, month in sorted(missing)])


def _month_key(moment: datetime.datetime) -> tuple[int, int]:
    utc = moment.astimezone(datetime.UTC)
    return utc.year, utc.month


def _load_known_months() -> set[tuple[int, int]]:
    """The months whose partitions are committed, read over a connection of its own: the caller's
    transaction may have created some that it could still roll back."""
    global _known_months
    own = connections.create_connection(connection.alias)
    try:
        with own.cursor() as cursor:
            cursor.execute(_PARTITIONS)
            _known_months = {(p.start.year, p.start.month) for p in _partitions(cursor.fetchall()) if p.attached}
    finally:
        own.close()
    return _known_months


def known_partitions_forget() -> None:
    """Read the partitions again before the next event: the process now works on another database (tools)."""
    global _known_months
    _known_months = None


def _create(starts: list[datetime.datetime]) -> None:
    """Create the months' partitions where missing, in the caller's transaction; remembered once it commits."""
    with connection.cursor() as cursor:
        for start in starts:
            cursor.execute("SELECT activity_event_partition_create(%s)", [start])
    months = {(start.year, start.month) for start in starts}

    def remember():
        if _known_months is not None:
            _known_months.update(months)

    transaction.on_commit(remember)  # at once outside a transaction


_PARTITIONS = """
SELECT c.relname, i.inhrelid IS NOT NULL AND NOT i.inhdetachpending
FROM pg_class c
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'activity_event'::regclass
WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
  AND c.relname LIKE 'activity\\_event\\_____\\___'
"""


def event_partitions() -> list[Partition]:
    """The event store's partitions, oldest first, with those left detached by an interrupted drop."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PARTITIONS)
        return _partitions(cursor.fetchall())


def _partitions(rows) -> list[Partition]:
    partitions = []
    for name, attached in rows:
        match = _NAME.match(name)
        if match:
            start = datetime.datetime(int(match[1]), int(match[2]), 1, tzinfo=datetime.UTC)
            partitions.append(Partition(name, start, attached))
    return sorted(partitions, key=lambda p: p.start)


def event_partitions_create_ahead(*, now: datetime.datetime, months: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of this month and of the `months` after it where missing; returns the names
    of those created."""
    if connection.vendor != "postgresql":
        return []
    existing = {p.name for p in event_partitions() if p.attached}
    this_month = month_start(now)
    starts = [_next_month(this_month, n) for n in range(months + 1)]
    _create(starts)
    return [p.name for p in event_partitions() if p.attached and p.name not in existing]


class Dropped(NamedTuple):
    name: str
    events: int


def event_partitions_drop_expired(*, now: datetime.datetime, months: int | None = None) -> list[Dropped]:
    """Drop every partition whose month ended before the retention window (EVENT_RETENTION_MONTHS unless
    `months` is given; none: keep all), with the tallies and client ids of its events. Whole partitions
    go: no event row is ever deleted one by one."""
    start = retention_start(now, settings.EVENT_RETENTION_MONTHS if months is None else months)
    if start is None or connection.vendor != "postgresql":
        return []
    return [_drop(p) for p in event_partitions() if _next_month(p.start) <= start]


def _drop(partition: Partition) -> Dropped:
    """Detach a partition without stopping reads or writes on the others, then, in one transaction, take
    its events out of their kinds' tallies, forget their client ids and drop it. A drop interrupted after
    the detach is finished by the next run, which finds the partition detached."""
    name = connection.ops.quote_name(partition.name)
    if partition.attached:
        with connection.cursor() as cursor:  # DETACH … CONCURRENTLY can't run inside a transaction
            cursor.execute(f"ALTER TABLE activity_event DETACH PARTITION {name} CONCURRENTLY")
    elif _detach_pending(partition.name):
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE activity_event DETACH PARTITION {name} FINALIZE")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE activity_eventkind kind SET count = GREATEST(kind.count - gone.events, 0)
            FROM (SELECT kind_id, count(*) AS events FROM {name} GROUP BY kind_id) AS gone
            WHERE kind.id = gone.kind_id
            """  # noqa: S608 - the name is one of our partitions', quoted
        )
        cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
        events = cursor.fetchone()[0]
        cursor.execute(
            f"""
            DELETE FROM activity_eventclientid client USING {name} event
            WHERE event.client_id IS NOT NULL AND client.account_id = event.account_id
              AND client.client_id = event.client_id AND client.event_id = event.id
            """  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {name}")
    if _known_months is not None:
        _known_months.discard((partition.start.year, partition.start.month))
    return Dropped(partition.name, events)


def _detach_pending(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(%s) "
            "AND inhparent = 'activity_event'::regclass",
            [name],
        )
        row = cursor.fetchone()
    return bool(row and row[0])
