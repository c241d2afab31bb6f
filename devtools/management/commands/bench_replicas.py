"""The profile page's throughput with its reads on a streaming replica, beside the same requests on the
primary alone, taking turns in one run.

With DATABASE_REPLICA_URLS set, on those replicas and DATABASE_URL's data. Otherwise on a throwaway primary and
replica of its own (devtools.pg_cluster), seeded here: one customer with --events events and one with --tickets
tickets. PostgreSQL only:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python manage.py bench_replicas
"""

import io
import math
import statistics
import threading
import time
from contextlib import ExitStack, contextmanager

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connection, connections

from common import replica_health
from devtools.bench import Target, WsgiCaller, targets_report
from devtools.management.commands import bench_profile, bench_timeline
from devtools.pg_cluster import ClusterUnavailable, ReplicatedServers, pointed_at

MODES = ("primary only", "reads on the replica")


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
        ]

    def _measure_all(self, *, events, tickets, customers, runs, seconds, clients, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("\nReads on a replica: PostgreSQL only (streaming replicas are PostgreSQL's). Skipped.")
            return
        if settings.DATABASE_REPLICAS:
            self.stdout.write(f"\nReads on the configured replicas ({', '.join(settings.DATABASE_REPLICAS)}).")
            self._run(events, tickets, customers, runs, seconds, clients)
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
                self._run(events, tickets, customers, runs, seconds, clients, servers=servers)
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

    def _run(self, events, tickets, customers, runs, seconds, clients, servers=None):
        timeline = bench_timeline.Command(stdout=io.StringIO(), stderr=io.StringIO())
        _account, agent, timeline_customer = timeline._data_set(events)
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
        columns = f"{'p50 ms':>7} {'pages/s':>8} {'db ms':>6} {'primary q':>10} {'replica q':>10}"
        self.stdout.write(f"{'case':<42} {'mode':<22} {columns}")
        sequential = {}
        for label, call in cases:
            for mode, row in self._sequential(call, runs, replicas).items():
                sequential[(label, mode)] = row
                p50, primary_q, replica_q, db_ms = row
                self.stdout.write(
                    f"{label:<42} {mode:<22} {p50:7.2f} {1000 / p50:8.1f} {db_ms:6.2f} {primary_q:10d} {replica_q:10d}"
                )
        page, alone, shared = cases[0][1], sequential[(cases[0][0], MODES[0])], sequential[(cases[0][0], MODES[1])]
        self.stdout.write(
            f"\nProfile page (activity tab), one client: {1000 / alone[0]:.1f} pages/s on the primary alone, "
            f"{1000 / shared[0]:.1f} pages/s with reads on the replica; queries on the primary per page: {alone[1]} "
            f"alone, {shared[1]} with the replica (the session, the member and the account)."
        )
        self.results["primary_queries"] = shared[1]
        if seconds <= 0:
            return
        rates = self._concurrent(page, seconds, clients, replicas)
        ratio = rates[MODES[1]] / rates[MODES[0]] if rates[MODES[0]] else 0
        self.stdout.write(
            f"Profile page (activity tab), {clients} clients at once for {seconds:g} s per mode, taking turns: "
            f"{rates[MODES[0]]:.1f} pages/s on the primary alone, {rates[MODES[1]]:.1f} pages/s with reads on the "
            f"replica ({ratio:.2f} x).\n"
        )
        self.results["throughput"] = ratio

    def _sequential(self, call, runs: int, replicas: list[str]) -> dict[str, tuple[float, int, int]]:
        """One client: each mode's p50 and queries per request on the primary and the replicas."""
        samples = {mode: ([], [], [], []) for mode in MODES}
        rounds = 5
        for _ in range(3):
            for mode in MODES:
                with _mode(mode, replicas):
                    call()
        for _ in range(rounds):
            for mode in MODES:
                walls, primary, replica, db = samples[mode]
                with _mode(mode, replicas):
                    for _ in range(math.ceil(runs / rounds)):
                        counters = {alias: _Counter() for alias in [DEFAULT_DB_ALIAS, *replicas]}
                        with ExitStack() as stack:
                            for alias, counter in counters.items():
                                stack.enter_context(connections[alias].execute_wrapper(counter))
                            start = time.perf_counter()
                            call()
                            walls.append((time.perf_counter() - start) * 1000)
                        primary.append(counters[DEFAULT_DB_ALIAS].count)
                        replica.append(sum(counters[alias].count for alias in replicas))
                        db.append(sum(counter.seconds for counter in counters.values()) * 1000)
        return {
            mode: (
                statistics.median(walls),
                statistics.median_low(primary),
                statistics.median_low(replica),
                statistics.median(db),
            )
            for mode, (walls, primary, replica, db) in samples.items()
        }

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
