"""Benchmark the Activity tab on one customer with a million events.

Seeds (once, reused afterwards) a customer with --events events from 6 sources and 35 types, then prints
server-side p50/p95 and database time for the timeline's requests next to a trivial view measured in
the same run: the ratios are the figures that carry from one machine to another. Meant for PostgreSQL:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench make bench
"""

import datetime
import io
import json
import os
import random
import statistics
import tempfile
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Account, Role, User
from accounts.services import api_token_create
from activity.ingest import NewEvent, events_ingest
from activity.models import Event, EventKind
from activity.partitions import event_partitions
from activity.selectors import TIMELINE_KEYS
from common.keyset import encode_cursor
from demo.factories import demo_password_hash
from devtools.bench import Target, WsgiCaller, measure, report, targets_report
from profiles.services import customer_create
from profiles.timeline import filter_value

KINDS = {
    "Support": ["ticket_requested", "ticket_solved", "comment_added", "ticket_status_changed", "user_signed_in"],
    "Shop": ["order_placed", "cart_updated", "product_reviewed", "order_refunded", "order_shipped", "coupon_applied"],
    "Billing": ["invoice_paid", "payment_failed", "subscription_renewed", "subscription_cancelled", "card_updated"],
    "Web analytics": ["page_viewed", "signup_started", "search_performed", "newsletter_subscribed", "video_played"],
    "Mobile app": ["app_opened", "push_clicked", "app_crashed", "feature_used", "rating_given", "app_updated"],
    "Community": ["post_created", "comment_posted", "answer_accepted", "badge_earned", "topic_followed"],
    "Loyalty": ["points_earned", "points_redeemed", "tier_changed"],
}
# The reads `--profile` profiles: the three whose targets are ratios to the trivial view.
PROFILED_READS = (
    "profile page, full load (activity tab)",
    "timeline fragment (tab panel, first page)",
    "Show 10 more at depth 10",
)
SEED_BATCH = 100_000
SEED_MONTHS = 36


class Command(BaseCommand):
    help = "Time the Activity tab (first page, Show 10 more at any depth, filters) on a customer with 1M events."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument("--ingest", type=int, default=200_000, help="Events for each ingestion measurement.")
        parser.add_argument("--skip-reads", action="store_true", help="Measure ingestion only.")
        parser.add_argument(
            "--profile",
            action="store_true",
            help="Then profile each ingestion path and the page, fragment and Show 10 more (pyinstrument, dev only).",
        )

    def handle(self, *args, **options):
        self.results: dict[str, float] = {}
        # Measured as in production: with DEBUG on, every query would also be logged in memory.
        with override_settings(DEBUG=False):
            self._run(**options)
        targets_report(self.stdout, self.targets())

    def targets(self) -> list[Target]:
        """This command's rows of the issue's table."""
        r = self.results.get
        partitions = int(r("partitions") or 0)
        return [
            Target("events API, one event a request (x trivial view's requests/s)", r("single_ratio"), "x", 0.6, True),
            Target("create_many, 1,000 a request (x bare COPY)", r("batch_ratio"), "x", 0.5, True),
            Target("import_events (x bare COPY)", r("import_ratio"), "x", 0.75, True),
            Target("profile page, full load, Activity tab (x trivial view p50)", r("page_ratio"), "x", 4, False),
            Target("timeline fragment, first page (x trivial view p50)", r("fragment_ratio"), "x", 2.5, False),
            Target('"Show 10 more", depth 10 (x trivial view p50)', r("more_ratio"), "x", 2.5, False),
            Target(
                f'"Show 10 more", depth 990,000 / depth 10 ({partitions} monthly partitions)',
                r("deep_ratio"),
                "x",
                1.5,
                False,
            ),
        ]

    def _run(self, *, events, runs, ingest, skip_reads, profile, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("Note: the targets are for PostgreSQL; SQLite figures are only indicative.")
        account, agent, customer = self._data_set(events)
        # Requests go straight to the WSGI application, as a server passes them, signed in as the agent.
        agent_browser = WsgiCaller.signed_in(f"{account.subdomain}.localhost", agent)
        base = f"/agent/users/{customer.pk}/?tab=activity"
        panel = {"HX-Request": "true", "HX-Target": "tab-panel"}
        more = {"HX-Request": "true", "HX-Target": "timeline-more"}
        total = Event.objects.filter(customer_id=customer.pk).count()
        if ingest:
            with override_settings(API_RATE_LIMIT_PER_MINUTE=0):
                self._ingestion(account, ingest)
                if profile:
                    self._profile_ingestion(account)
        if skip_reads:
            return

        get = agent_browser.page

        depths = [d for d in (10, 10_000, 990_000) if d < total]
        cursors = {depth: _cursor_at(customer, depth) for depth in depths}
        cases = [
            ("trivial view (/_dev/trivial)", get("/_dev/trivial")),
            ("profile page, full load (activity tab)", get(base)),
            ("timeline fragment (tab panel, first page)", get(base, **panel)),
            *[(f"Show 10 more at depth {depth:,}", get(f"{base}&after={cursors[depth]}", **more)) for depth in depths],
            ("filter: one source (Billing)", get(f"{base}&filter={filter_value('Billing')}", **panel)),
            (
                "filter: source + type (Shop / order_refunded)",
                get(f"{base}&filter={filter_value('Shop', 'order_refunded')}", **panel),
            ),
            (
                "filter: source + type, zero matches",
                get(f"{base}&filter={filter_value('Shop', 'no_such_type')}", **panel),
            ),
            ("filter: unknown source, zero matches", get(f"{base}&filter=Nowhere", **panel)),
        ]
        baseline, *timings = measure(cases, runs=runs)
        if profile:
            self._profile_reads([case for case in cases if case[0] in PROFILED_READS], runs)
        holding = {p.start for p in event_partitions() if p.attached and p.start <= timezone.now()}
        spread = f" over {len(holding)} monthly partitions" if holding else ""
        self.stdout.write(
            f"\nOne customer with {total:,} events{spread}; {runs} runs each; database: {connection.vendor}.\n"
        )
        report(self.stdout, timings, baseline)
        by_label = {t.label: t for t in timings}
        self.results["partitions"] = len(holding)
        for key, label in (
            ("page_ratio", "profile page, full load (activity tab)"),
            ("fragment_ratio", "timeline fragment (tab panel, first page)"),
            ("more_ratio", "Show 10 more at depth 10"),
        ):
            if label in by_label:
                self.results[key] = by_label[label].p50_ms / baseline.p50_ms
        flat = next((t for t in timings if t.label.endswith(f"depth {depths[-1]:,}")), None)
        shallow = next((t for t in timings if t.label.endswith("depth 10")), None)
        if flat and shallow:
            self.results["deep_ratio"] = flat.p50_ms / shallow.p50_ms
            self.stdout.write(
                f"\nDeepest page / depth 10: {flat.p50_ms / shallow.p50_ms:.2f}x (target: within 2x). "
                f"Slowest filter database time: {max(t.db_ms for t in timings if 'filter' in t.label):.2f} ms "
                f"(target: <= 5 ms). Fragment p95: "
                f"{max(t.p95_ms for t in timings if 'fragment' in t.label or 'Show' in t.label):.2f} ms "
                f"(target: <= 15 ms)."
            )

    def _ingestion(self, account, count: int) -> None:
        """Events per second into a table that already holds the million: one at a time through the API,
        1,000 per request through the batch endpoint, and a JSON Lines import. Requests go straight to the
        WSGI application, as a server would pass them (server-side cost, one process)."""
        people = _ingest_customers(account, min(2000, max(10, count // 50)))  # 2,000 from 100,000 events on
        _token, secret = api_token_create(account=account, actor=None, name=f"bench {time.time()}")
        host = f"{account.subdomain}.localhost"
        api, plain = WsgiCaller(host, {"Authorization": f"Bearer {secret}"}), WsgiCaller(host)
        rng = random.Random(count)
        bodies = (_api_body(rng, people, n) for n in range(10**9))

        def post(path, payload):
            status = api("POST", path, json.dumps(payload).encode())
            if status not in (200, 202):
                raise RuntimeError(f"{path} answered {status}")

        # One event a request, in rounds that alternate with the trivial view: on a shared machine the speed
        # drifts from one second to the next, and a ratio is only fair between neighbouring measurements.
        rounds, per_round = 5, max(1, min(count, 5000) // 5)
        payloads = [json.dumps(next(bodies)).encode() for _ in range(rounds * per_round + 200)]
        for payload in payloads[:200]:  # warm-up: connections, caches, the first kinds of each customer
            api("POST", "/api/v2/user_profiles/events", payload)
        singles, trivials = [], []
        for start in range(200, len(payloads), per_round):
            started = time.perf_counter()
            for payload in payloads[start : start + per_round]:
                if api("POST", "/api/v2/user_profiles/events", payload) != 202:
                    raise RuntimeError("the single-event endpoint refused an event")
            singles.append(per_round / (time.perf_counter() - started))
            started = time.perf_counter()
            for _ in range(per_round):
                plain("GET", "/_dev/trivial")
            trivials.append(per_round / (time.perf_counter() - started))
        single, trivial = statistics.median(singles), statistics.median(trivials)
        single_ratio = statistics.median(s / t for s, t in zip(singles, trivials))

        started = time.perf_counter()
        for _ in range(count // 1000):
            post("/api/v2/user_profiles/events/create_many", {"events": [next(bodies) for _ in range(1000)]})
        batch = (count // 1000 * 1000) / (time.perf_counter() - started)

        ceiling = _bare_copy_rate(account, people, count)

        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as file:
            for _ in range(count):
                file.write(json.dumps(next(bodies)) + "\n")
        try:
            started = time.perf_counter()
            call_command("import_events", file.name, account=account.subdomain, stdout=io.StringIO())
            imported = count / (time.perf_counter() - started)
        finally:
            os.unlink(file.name)

        self.results.update(single_ratio=single_ratio, single=single, trivial=trivial, batch=batch, imported=imported)
        if ceiling:
            self.results.update(ceiling=ceiling, batch_ratio=batch / ceiling, import_ratio=imported / ceiling)
        self.stdout.write(f"\nIngestion into a table of {Event.objects.count():,} events ({connection.vendor}):")
        self.stdout.write(f"{'path':<52} {'events/s':>10} {'target':>10} {'ratio':>22}")
        self.stdout.write(f"{'trivial view, requests/s (for comparison)':<52} {trivial:10,.0f}")
        self.stdout.write(
            f"{'events API, one event a request':<52} {single:10,.0f} {'>= 1,000':>10} {single_ratio:10.2f} x trivial"
        )
        if ceiling:
            self.stdout.write(f"{'bare COPY of ready rows, one connection (ceiling)':<52} {ceiling:10,.0f}")
        rates = (("events API, create_many (1,000 a request)", batch), ("import_events (JSON Lines)", imported))
        for label, rate in rates:
            ratio = f"{rate / ceiling:10.2f} x bare COPY" if ceiling else ""
            self.stdout.write(f"{label:<52} {rate:10,.0f} {'>= 100,000':>10} {ratio}")

    def _profile_ingestion(self, account) -> None:
        """Where each path's time goes, by pyinstrument (a dev dependency): the single event, create_many and
        the import (one process, so that one profile sees all of it)."""
        from pyinstrument import Profiler  # dev only, and only for --profile

        people = _ingest_customers(account, 2000)
        _token, secret = api_token_create(account=account, actor=None, name=f"bench profile {time.time()}")
        api = WsgiCaller(f"{account.subdomain}.localhost", {"Authorization": f"Bearer {secret}"})
        rng = random.Random(7)
        singles = [json.dumps(_api_body(rng, people, n)).encode() for n in range(2000)]
        batches = [json.dumps({"events": [_api_body(rng, people, n) for n in range(1000)]}).encode() for _ in range(20)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as file:
            for n in range(50_000):
                file.write(json.dumps(_api_body(rng, people, n)) + "\n")

        def importing():
            call_command("import_events", file.name, account=account.subdomain, workers=1, stdout=io.StringIO())

        def posting(path: str, bodies: list[bytes]):
            return lambda: [api("POST", path, body) for body in bodies]

        paths = [
            ("events API, one event a request (2,000)", posting("/api/v2/user_profiles/events", singles)),
            ("create_many (20 x 1,000)", posting("/api/v2/user_profiles/events/create_many", batches)),
            ("import_events, one process (50,000)", importing),
        ]
        try:
            for label, run in paths:
                profiler = Profiler(interval=0.001)
                started = time.process_time()
                with profiler:
                    run()
                self.stdout.write(f"\n=== Profile: {label} (process CPU {time.process_time() - started:.2f} s)")
                self.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))
        finally:
            os.unlink(file.name)

    def _profile_reads(self, cases, runs: int) -> None:
        """Where a page's time goes, by pyinstrument: each case `runs` times in one profile (framework frames
        folded away, so the lines left are this project's, with the library calls they spend time in)."""
        from pyinstrument import Profiler  # dev only, and only for --profile

        for label, call in cases:
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(runs):
                    call()
            self.stdout.write(f"\n=== Profile: {label} ({runs} requests)")
            self.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))

    def _data_set(self, events: int):
        account, _created = Account.objects.update_or_create(
            subdomain="bench", defaults={"name": "Benchmark", "customer_profile_enabled": True}
        )
        fields = {"role": Role.AGENT, "name": "Bench Agent", "prefers_new_profile": True}
        agent, _created = User.objects.update_or_create(
            account=account,
            email="timeline-agent@bench.test",
            defaults=fields,
            create_defaults={**fields, "password": demo_password_hash()},
        )
        customer, _created = User.objects.get_or_create(
            account=account, email="million@bench.test", defaults={"name": "Million Events"}
        )
        have = Event.objects.filter(customer_id=customer.pk).count()
        if have < events:
            started = time.perf_counter()
            self.stdout.write(f"Seeding {events - have:,} events…")
            self._seed(account, customer, events - have)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE activity_event")
            self.stdout.write(f"  done in {time.perf_counter() - started:.1f} s")
        return account, agent, customer

    def _seed(self, account, customer, count: int) -> None:
        """`count` events spread evenly over this month and the 35 before it: 36 monthly partitions on
        PostgreSQL, as a store keeping three years would hold."""
        rng = random.Random(1_000_000)
        kinds = [(source, type_) for source, types in KINDS.items() for type_ in types]
        weights = [30 if type_ == "page_viewed" else 1 for _source, type_ in kinds]
        now = timezone.now()
        oldest = _months_before(now, SEED_MONTHS - 1)
        step = (now - oldest).total_seconds() / count
        for start in range(0, count, SEED_BATCH):
            batch = []
            for i in range(start, min(count, start + SEED_BATCH)):
                source, type_ = rng.choices(kinds, weights)[0]
                occurred = now - datetime.timedelta(seconds=i * step + rng.random() * step)
                properties = {"n": i, "ref": f"R-{rng.randint(0, 10**6):06d}", "amount": {"value": i % 900}}
                if type_ == "order_refunded":  # rare and all in the oldest month, so its filter has to seek
                    occurred = oldest + datetime.timedelta(seconds=i % (27 * 86400))
                batch.append(
                    NewEvent(customer.pk, source, type_, f"{type_} #{i}", json.dumps(properties), occurred, None)
                )
            events_ingest(account_id=account.pk, events=batch)
            self.stdout.write(f"  {min(count, start + SEED_BATCH):,} / {count:,}")


def _months_before(now: datetime.datetime, months: int) -> datetime.datetime:
    """The first instant (UTC) of the month `months` before `now`'s."""
    index = now.year * 12 + now.month - 1 - months
    return datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=datetime.UTC)


def _bare_copy_rate(account, emails: list[str], count: int) -> float | None:
    """Events/s of the database alone: rows already built (no parsing, checking, kinds nor ids), COPYed
    straight into the event store over one connection, then rolled back. The ingestion paths are measured
    against this ceiling."""
    if connection.vendor != "postgresql":
        return None
    kinds = list(
        EventKind.objects.filter(customer__account=account, customer__email__in=emails).values_list(
            "id", "customer_id", "source", "type"
        )
    )
    rng = random.Random(count)
    now = timezone.now()
    rows = []
    for n in range(count):
        kind_id, customer_id, source, type_ = rng.choice(kinds)
        properties = json.dumps({"n": n, "ref": f"R-{n:07d}", "amount": {"value": n % 900, "currency": "EUR"}})
        rows.append((account.pk, customer_id, kind_id, source, type_, f"Bench event {n}", properties, now, now))
    columns = "account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at"
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY activity_event ({columns}) FROM STDIN") as copy:
            copy.set_types(["int8", "int8", "int8", "text", "text", "text", "text", "timestamptz", "timestamptz"])
            for row in rows:
                copy.write_row(row)
        rate = count / (time.perf_counter() - started)
        transaction.set_rollback(True)
    return rate


def _ingest_customers(account, count: int) -> list[str]:
    """Customers (by email) that the ingested events are about; created once, reused afterwards."""
    emails = [f"shopper{i}@ingest.bench.test" for i in range(count)]
    have = set(User.objects.filter(account=account, email__in=emails).values_list("email", flat=True))
    for email in emails:
        if email not in have:
            customer_create(account=account, actor=None, name=email.split("@")[0], email=email)
    return emails


def _api_body(rng: random.Random, emails: list[str], n: int) -> dict:
    source = rng.choice(list(KINDS))
    return {
        "profile": {
            "source": source,
            "type": "customer",
            "identifiers": [{"type": "email", "value": rng.choice(emails)}],
        },
        "event": {
            "source": source if source != "Support" else "Helpdesk bench",
            "type": rng.choice(KINDS[source]),
            "description": f"Bench event {n}",
            "properties": {"n": n, "ref": f"R-{n:07d}", "amount": {"value": n % 900, "currency": "EUR"}},
        },
    }


def _cursor_at(customer, depth: int) -> str:
    """The "Show 10 more" cursor an agent would hold after `depth` events (found once, by OFFSET, in setup)."""
    names = [name for name, _descending in TIMELINE_KEYS]
    order = [f"-{name}" for name in names]
    values = Event.objects.filter(customer_id=customer.pk).order_by(*order).values_list(*names)[depth - 1]
    return encode_cursor(list(values))
