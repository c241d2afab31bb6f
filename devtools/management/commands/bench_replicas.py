"""The profile page's throughput with its reads on a streaming replica, beside the same requests on the
primary alone, taking turns in one run.

With DATABASE_REPLICA_URLS set, on those replicas and DATABASE_URL's data. Otherwise on a throwaway primary and
replica of its own (devtools.pg_cluster), seeded here: one customer with --events events and one with --tickets
tickets. PostgreSQL only:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python manage.py bench_replicas
"""

import datetime
import io
import math
import statistics
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from activity.ingest import NewEvent, events_ingest
from common import replica_health
from devtools.bench import Target, WsgiCaller, targets_report
from devtools.management.commands import bench_profile, bench_timeline
from devtools.pg_cluster import ClusterUnavailable, ReplicatedServers, pointed_at

MODES = ("primary only", "reads on the replica")


@dataclass(frozen=True)
class _Row:
    p50: float
    primary_queries: int
    primary_ms: float
    replica_queries: int
    replica_ms: float

    @property
    def db_ms(self) -> float:
        return self.primary_ms + self.replica_ms


class _Counter:
    """Counts and times the queries a connection runs."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start


class Command(BaseCommand):
    help = "The profile page's requests/s with reads on a streaming replica, beside primary-only."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--tickets", type=int, default=2_000)
        parser.add_argument("--customers", type=int, default=2_000, help="Other customers, for the search.")
        parser.add_argument("--runs", type=int, default=40)
        parser.add_argument("--seconds", type=float, default=12, help="Of concurrent load, per mode (0: none).")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent clients (threads).")
        parser.add_argument("--replay-events", type=int, default=200_000, help="Events to time replay on.")

    def handle(self, *args, **options):
        self.results: dict[str, float] = {}
        self._replica_settings: dict | None = None  # on a throwaway pair: how each thread connects to its replica
        self._measure_all(**options)
        targets_report(self.stdout, self.targets())

    def targets(self) -> list[Target]:
        r = self.results.get
        return [
            Target("profile page with reads on a replica (x primary-only throughput)", r("throughput"), "x", 0.8, True),
            Target("  … queries left on the primary per profile page", r("primary_queries"), "q", 3, False),
            Target("replica replay rate (x the primary's COPY rate, one connection)", r("replay_ratio"), "x", 1, True),
        ]

    def _measure_all(self, *, events, tickets, customers, runs, seconds, clients, replay_events, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("\nReads on a replica: PostgreSQL only (streaming replicas are PostgreSQL's). Skipped.")
            return
        if settings.DATABASE_REPLICAS:
            self.stdout.write(f"\nReads on the configured replicas ({', '.join(settings.DATABASE_REPLICAS)}).")
            self._run(events, tickets, customers, runs, seconds, clients, replay_events)
            return
        try:
            servers = ReplicatedServers().__enter__()
        except ClusterUnavailable as error:
            self.stdout.write(f"\nReads on a replica: skipped, no replica configured and {error}.")
            return
        try:
            with self._on(servers):
                self.stdout.write(
                    f"\nReads on a replica: a throwaway primary (port {servers.primary.port}) and its streaming "
                    f"replica (port {servers.replica.port}) on this machine, sharing its cores."
                )
                self._run(events, tickets, customers, runs, seconds, clients, replay_events, servers=servers)
        finally:
            servers.__exit__(None, None, None)

    @contextmanager
    def _on(self, servers: ReplicatedServers):
        """Django on the throwaway pair: the primary as "default" (migrated here), the replica as "replica1"."""
        name = connection.settings_dict["NAME"]
        with pointed_at(DEFAULT_DB_ALIAS, servers.primary.port):
            servers.primary.sql(f'CREATE DATABASE "{name}"')
            call_command("migrate", verbosity=0)
            # A connection of this thread's (and each client thread's), not a configured database: a
            # configured one is out of bounds for the smoke test's test case.
            self._replica_settings = {**connection.settings_dict, "PORT": servers.replica.port}
            _open_replica(self._replica_settings)
            kept = settings.DATABASE_REPLICAS
            settings.DATABASE_REPLICAS = ["replica1"]
            try:
                yield
            finally:
                settings.DATABASE_REPLICAS = kept
                _close_replica()
                self._replica_settings = None

    def _run(self, events, tickets, customers, runs, seconds, clients, replay_events, servers=None):
        timeline = bench_timeline.Command(stdout=io.StringIO(), stderr=io.StringIO())
        account, agent, timeline_customer = timeline._data_set(events)
        profile = bench_profile.Command(stdout=io.StringIO(), stderr=io.StringIO())
        _account, _agent, tickets_customer = profile._data_set(tickets, customers)
        _caught_up(settings.DATABASE_REPLICAS)
        host = f"{agent.account.subdomain}.localhost"
        get = WsgiCaller.signed_in(host, agent).page
        panel = {"HX-Request": "true", "HX-Target": "tab-panel"}
        timeline_page, tickets_page = f"/agent/users/{timeline_customer.pk}/", f"/agent/users/{tickets_customer.pk}/"
        cases = [
            ("profile page, full load (activity tab)", get(f"{timeline_page}?tab=activity")),
            ("profile page, full load (tickets tab)", get(f"{tickets_page}?tab=tickets")),
            ("tickets tab partial, sorted by status", get(f"{tickets_page}?tab=tickets&sort=status", **panel)),
            ("customer search, by phone digits", get("/agent/users/?q=0611000042")),
        ]
        replicas = list(settings.DATABASE_REPLICAS)
        self.stdout.write(
            f"One customer with {events:,} events, one with {tickets:,} tickets; {runs} runs of each case in each "
            "mode, taking turns.\n"
        )
        columns = f"{'p50 ms':>7} {'pages/s':>8} {'db ms':>6} {'primary':>8} {'replica':>8}"
        self.stdout.write(f"{'':<65} {'':>7} {'':>8} {'':>6} {'queries (db ms)':>17}")
        self.stdout.write(f"{'case':<42} {'mode':<22} {columns}")
        sequential = {}
        for label, call in cases:
            for mode, row in self._sequential(call, runs, replicas).items():
                sequential[(label, mode)] = row
                self.stdout.write(
                    f"{label:<42} {mode:<22} {row.p50:7.2f} {1000 / row.p50:8.1f} {row.db_ms:6.2f} "
                    f"{row.primary_queries:>2} ({row.primary_ms:4.2f}) {row.replica_queries:>2} ({row.replica_ms:4.2f})"
                )
        page, alone, shared = cases[0][1], sequential[(cases[0][0], MODES[0])], sequential[(cases[0][0], MODES[1])]
        self.stdout.write(
            f"\nProfile page (activity tab), one client: {1000 / alone.p50:.1f} pages/s on the primary alone, "
            f"{1000 / shared.p50:.1f} pages/s with reads on the replica. On the primary per page: "
            f"{alone.primary_queries} queries and {alone.primary_ms:.2f} ms alone, {shared.primary_queries} and "
            f"{shared.primary_ms:.2f} ms with the replica (the session, the member and the account)."
        )
        self.results["primary_queries"] = shared.primary_queries
        if seconds > 0:
            rates = self._concurrent(page, seconds, clients, replicas)
            ratio = rates[MODES[1]] / rates[MODES[0]] if rates[MODES[0]] else 0
            self.stdout.write(
                f"Profile page (activity tab), {clients} clients at once for {seconds:g} s per mode, taking turns: "
                f"{rates[MODES[0]]:.1f} pages/s on the primary alone, {rates[MODES[1]]:.1f} pages/s with reads on "
                f"the replica ({ratio:.2f} x)."
            )
            self.results["throughput"] = ratio
        if servers is not None and replay_events > 0:
            self._replay(servers, account, timeline_customer, replay_events)

    def _replay(self, servers: ReplicatedServers, account, customer, count: int) -> None:
        """How fast the replica applies the primary's writes: with its replay paused, `count` events are stored
        (COPY, as imports do) and received; then the time it takes to replay them, with its one process."""
        servers.caught_up()
        servers.pause_replay()
        try:
            before = servers.primary.sql("SELECT pg_current_wal_insert_lsn()")
            now = timezone.now()
            started = time.perf_counter()
            for first in range(0, count, 10_000):
                batch = [
                    NewEvent(customer.pk, "Bench", "replayed", f"#{i}", "{}", now - datetime.timedelta(seconds=i), None)
                    for i in range(first, min(count, first + 10_000))
                ]
                events_ingest(account_id=account.pk, events=batch)
            stored = time.perf_counter() - started
            after = servers.primary.sql("SELECT pg_current_wal_insert_lsn()")
            wal = int(servers.primary.sql(f"SELECT pg_wal_lsn_diff('{after}', '{before}')"))
            while servers.replica.sql(f"SELECT pg_last_wal_receive_lsn() >= '{after}'::pg_lsn") != "t":
                time.sleep(0.05)
        finally:
            started = time.perf_counter()
            servers.resume_replay()
        servers.caught_up(timeout=600)
        replayed = time.perf_counter() - started
        self.stdout.write(
            f"Replay: {count:,} events ({wal / 1e6:.1f} MB of WAL, {wal / count:.0f} bytes an event) stored on the "
            f"primary at {count / stored:,.0f} events/s (one connection, COPY), replayed by the replica at "
            f"{count / replayed:,.0f} events/s ({wal / 1e6 / replayed:.1f} MB/s, its one startup process).\n"
        )
        self.results["replay_ratio"] = stored / replayed

    def _sequential(self, call, runs: int, replicas: list[str]) -> dict[str, "_Row"]:
        """One client: each mode's p50, database time, and queries and their time on the primary and replicas."""
        samples = {mode: [] for mode in MODES}
        rounds = 5
        for _ in range(3):
            for mode in MODES:
                with _mode(mode, replicas):
                    call()
        for _ in range(rounds):
            for mode in MODES:
                with _mode(mode, replicas):
                    for _ in range(math.ceil(runs / rounds)):
                        counters = {alias: _Counter() for alias in [DEFAULT_DB_ALIAS, *replicas]}
                        with ExitStack() as stack:
                            for alias, counter in counters.items():
                                stack.enter_context(connections[alias].execute_wrapper(counter))
                            start = time.perf_counter()
                            call()
                            wall = (time.perf_counter() - start) * 1000
                        on_replicas = [counters[alias] for alias in replicas]
                        samples[mode].append(
                            (
                                wall,
                                counters[DEFAULT_DB_ALIAS].count,
                                counters[DEFAULT_DB_ALIAS].seconds * 1000,
                                sum(c.count for c in on_replicas),
                                sum(c.seconds for c in on_replicas) * 1000,
                            )
                        )
        rows = {}
        for mode, runs_of_mode in samples.items():
            wall, primary_q, primary_ms, replica_q, replica_ms = zip(*runs_of_mode, strict=True)
            rows[mode] = _Row(
                p50=statistics.median(wall),
                primary_queries=statistics.median_low(primary_q),
                primary_ms=statistics.median(primary_ms),
                replica_queries=statistics.median_low(replica_q),
                replica_ms=statistics.median(replica_ms),
            )
        return rows

    def _concurrent(self, call, seconds: float, clients: int, replicas: list[str]) -> dict[str, float]:
        """`clients` threads calling at once: each mode's pages/s, in three turns each."""
        done = dict.fromkeys(MODES, 0)
        spent = dict.fromkeys(MODES, 0.0)
        for _ in range(3):
            for mode in MODES:
                with _mode(mode, replicas):
                    until = time.perf_counter() + seconds / 3
                    counts = []

                    def client(counts=counts, until=until):
                        n = 0
                        if self._replica_settings:
                            _open_replica(self._replica_settings)
                        try:
                            while time.perf_counter() < until:
                                call()
                                n += 1
                        finally:
                            connections.close_all()
                            if self._replica_settings:
                                _close_replica()
                            counts.append(n)

                    started = time.perf_counter()
                    threads = [threading.Thread(target=client) for _ in range(clients)]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    spent[mode] += time.perf_counter() - started
                    done[mode] += sum(counts)
        return {mode: done[mode] / spent[mode] for mode in MODES}


def _open_replica(settings_dict: dict) -> None:
    connections["replica1"] = connections[DEFAULT_DB_ALIAS].__class__(dict(settings_dict), "replica1")


def _close_replica() -> None:
    connections["replica1"].close()
    del connections["replica1"]


def _caught_up(replicas: list[str], timeout: float = 300) -> None:
    """Wait until every replica has replayed all the primary wrote (the data set just seeded)."""
    deadline = time.monotonic() + timeout
    while True:
        replica_health.forget()
        replica_health.healthy_replica()
        if all(state.lag == 0 for state in replica_health.replica_states().values()):
            return
        if time.monotonic() > deadline:
            raise CommandError(f"The replicas haven't caught up in {timeout:g} s: {replica_health.replica_states()}")
        time.sleep(0.2)


@contextmanager
def _mode(mode: str, replicas: list[str]):
    """Reads on the replicas, or none configured (the primary alone) without resetting their measured health."""
    settings.DATABASE_REPLICAS = replicas if mode == MODES[1] else []
    try:
        yield
    finally:
        settings.DATABASE_REPLICAS = replicas
