"""Which streaming replicas may serve reads: each process measures every replica's lag at most once a second,
on the request that needs one, and skips a replica that doesn't answer or lags more than
REPLICA_MAX_LAG_SECONDS. With none healthy, `healthy_replica` says so and reads go to the primary.

A replica's lag is how old the newest write it may be missing can be. `pg_last_xact_replay_timestamp()` (the
commit time of the last transaction it replayed) bounds it, but alone it can't tell a replica that is behind
from one whose primary had nothing to send (an idle primary), nor see a replica whose primary stopped sending
(its replication cut). So each check also reads the primary's WAL position: a replica that has replayed up to
it lags 0; one behind it lags at most the time since its last replayed commit, and at most the time since an
earlier check's primary position it has reached. A replica cut off from its primary stops reaching them, so
its lag grows with the clock, however quiet it is.
"""

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds: the most often a process asks its replicas how far behind they are

_PRIMARY_SQL = "SELECT pg_current_wal_insert_lsn()::text"
_REPLICA_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8"
)


@dataclass(frozen=True)
class ReplicaState:
    healthy: bool
    lag: float | None = None  # seconds, when it could be measured
    problem: str = ""  # why reads skip it
    retry_at: float = 0.0  # unreachable: not asked again before this (time.monotonic())


_states: dict[str, ReplicaState] = {}
_positions: deque[tuple[float, int]] = deque()  # (time, the primary's WAL position then), oldest first
_checked_at = float("-inf")
_lock = threading.Lock()


def healthy_replica() -> str | None:
    """The alias of a replica that may serve this request's reads (one of the healthy ones, at random), or
    None: then the primary serves them. Measures the replicas first if the last check is a second old."""
    if time.monotonic() - _checked_at >= CHECK_EVERY and _lock.acquire(blocking=False):
        try:
            _check(settings.DATABASE_REPLICAS)
        finally:
            _lock.release()
    healthy = [alias for alias in settings.DATABASE_REPLICAS if _state(alias).healthy]
    return random.choice(healthy) if healthy else None


def replica_failed(alias: str, error: Exception) -> None:
    """A replica failed during a request (stopped, restarted, unreachable): skip it until the next check."""
    _close(alias)
    _note(alias, ReplicaState(healthy=False, problem=f"failed during a request: {_first_line(error)}"))


def replica_states() -> dict[str, ReplicaState]:
    """What this process last measured of each replica."""
    return {alias: _state(alias) for alias in settings.DATABASE_REPLICAS}


def forget() -> None:
    """Start afresh: nothing measured yet (when the replicas or their limits change)."""
    global _checked_at
    _states.clear()
    _positions.clear()
    _checked_at = float("-inf")


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs):
    if setting in {"DATABASE_REPLICAS", "REPLICA_MAX_LAG_SECONDS"}:
        forget()


def replica_lag(
    *,
    in_recovery: bool,
    replayed: int,
    since_commit: float | None,
    primary: int | None,
    positions: Iterable[tuple[float, int]],
    now: float,
) -> float | None:
    """How old, in seconds, the newest write a replica may be missing can be; None when nothing bounds it.
    `replayed` is its WAL position, `since_commit` the seconds since its last replayed commit, `primary` the
    primary's WAL position just read (None if unknown), `positions` earlier (time, primary position) pairs."""
    if not in_recovery:
        return 0.0  # not a replica (any more): nothing to catch up with
    if primary is not None and replayed >= primary:
        return 0.0
    bounds = [max(0.0, since_commit)] if since_commit is not None else []
    reached = [at for at, position in positions if position <= replayed]
    if reached:
        bounds.append(max(0.0, now - max(reached)))
    return min(bounds) if bounds else None


def _check(aliases: list[str]) -> None:
    global _checked_at
    now = time.time()
    primary = _primary_position()
    if primary is not None:
        _positions.append((now, primary))
    horizon = now - settings.REPLICA_MAX_LAG_SECONDS - 2 * CHECK_EVERY  # older ones can't make a replica healthy
    while _positions and _positions[0][0] < horizon:
        _positions.popleft()
    for alias in aliases:
        if _state(alias).retry_at <= time.monotonic():
            _note(alias, _measure(alias, primary, now))
    _checked_at = time.monotonic()  # from the end: a slow check isn't followed by another at once


def _primary_position() -> int | None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(_PRIMARY_SQL)
            return _lsn(cursor.fetchone()[0])
    except DatabaseError as error:
        logger.warning("Replica lag: the primary's WAL position can't be read (%s)", _first_line(error))
        return None


def _measure(alias: str, primary: int | None, now: float) -> ReplicaState:
    connection = connections[alias]
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                return ReplicaState(healthy=True, lag=0.0)  # tests only: a second connection to one database
            cursor.execute(_REPLICA_SQL)
            in_recovery, replayed, since_commit = cursor.fetchone()
    except DatabaseError as error:
        _close(alias)
        # A refused connection costs nothing to try again each second; one that hangs until its timeout
        # would cost a request that long each time: asked again after five times that (30 s at most).
        waited = time.monotonic() - started
        retry_at = time.monotonic() + min(30.0, 5 * waited)
        return ReplicaState(healthy=False, problem=f"unreachable: {_first_line(error)}", retry_at=retry_at)
    lag = replica_lag(
        in_recovery=in_recovery,
        replayed=_lsn(replayed),
        since_commit=since_commit,
        primary=primary,
        positions=_positions,
        now=now,
    )
    if lag is None:
        return ReplicaState(healthy=False, problem="behind the primary, by how much unknown (nothing replayed yet)")
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        limit = settings.REPLICA_MAX_LAG_SECONDS
        return ReplicaState(healthy=False, lag=lag, problem=f"{lag:.1f} s behind (REPLICA_MAX_LAG_SECONDS={limit})")
    return ReplicaState(healthy=True, lag=lag)


def _note(alias: str, state: ReplicaState) -> None:
    """Keep the new state; say so in the log when a replica starts or stops serving reads."""
    before = _states.get(alias)
    _states[alias] = state
    if before is not None and before.healthy == state.healthy:
        return
    if state.healthy:
        logger.info("Replica %s serves reads (%.1f s behind)", alias, state.lag or 0.0)
    else:
        logger.warning("Replica %s skipped, reads go to the primary: %s", alias, state.problem)


def _state(alias: str) -> ReplicaState:
    return _states.get(alias) or ReplicaState(healthy=False, problem="not measured yet")


def _close(alias: str) -> None:
    with suppress(DatabaseError):  # a connection to a server that went away is gone either way
        connections[alias].close()


def _lsn(text: str | None) -> int:
    """A WAL position ("16/B374D848") as a number; 0 for none."""
    if not text:
        return 0
    high, _slash, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n", 1)[0]
