"""Benchmark merging a customer with a million events into another, and the kept customer's timeline after.

Seeds (once, reused afterwards) a customer with --events events; each run gives them a few tickets, contacts
and an organization, makes a fresh customer to merge them into, times the preview and the merge (committed,
as an agent's), then undoes the pointer so the next run starts the same. The kept customer's Activity tab is
then measured beside a trivial view, as bench_timeline does. --compare-update also times the alternative a
merge does not take: rewriting every event's customer in one UPDATE (rolled back). Meant for PostgreSQL:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench make bench
"""

import datetime
import json
import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Account, Role, User
from activity.ingest import NewEvent, events_ingest
from activity.models import Event
from activity.selectors import TIMELINE_KEYS
from common.keyset import encode_cursor
from demo.factories import TicketFactory, demo_password_hash
from devtools.bench import WsgiCaller, measure, report
from profiles.merge import customer_merge, merge_preview
from profiles.models import Identity, IdentityType, Organization, OrganizationMembership
from profiles.timeline import filter_value

SOURCES = {
    "Shop": ["order_placed", "cart_updated", "order_refunded"],
    "Billing": ["invoice_paid", "payment_failed"],
    "Web analytics": ["page_viewed"],
    "Mobile app": ["app_opened", "push_clicked"],
}
SEED_BATCH = 100_000
SOURCE_ID = "million-to-merge"  # the external id the seeded duplicate is found by, run after run
_refunds = filter_value("Shop", "order_refunded")


class Command(BaseCommand):
    help = "Time merging a customer with 1M events (preview and merge), then the kept customer's timeline."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--merges", type=int, default=5, help="Merges to time (each undone after).")
        parser.add_argument("--runs", type=int, default=60, help="Runs of each timeline request.")
        parser.add_argument("--compare-update", action="store_true", help="Also time one UPDATE of every event.")

    def handle(self, *args, **options):
        with override_settings(DEBUG=False):
            self._run(**options)

    def _run(self, *, events, merges, runs, compare_update, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("Note: the targets are for PostgreSQL; SQLite figures are only indicative.")
        account, agent, source = self._data_set(events)
        total = Event.objects.filter(customer_id=source.pk).count()
        previews, merged, queries = [], [], 0
        target = None
        for run in range(merges):
            target = self._fresh_pair(account, source, run)
            started = time.perf_counter()
            preview = merge_preview(source=source, target=target, actor=agent)
            previews.append((time.perf_counter() - started) * 1000)
            counter = _Counter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                customer_merge(source=source, target=target, actor=agent, preview_token=preview.token)
                merged.append((time.perf_counter() - started) * 1000)
            queries = counter.count
            if run < merges - 1:
                _undo(source)
        self.stdout.write(
            f"\nMerging a customer with {total:,} events ({connection.vendor}), {merges} merges:\n"
            f"{'preview':<44} p50 {statistics.median(previews):9.1f} ms   max {max(previews):9.1f} ms\n"
            f"{'merge (one transaction, committed)':<44} p50 {statistics.median(merged):9.1f} ms   "
            f"max {max(merged):9.1f} ms   {queries} queries (target: a few seconds at most)"
        )
        self._timeline(account, agent, target, source, runs)
        _undo(source)
        if compare_update:
            # Last: the rolled-back rows stay in the indexes until vacuumed, under a customer of their own.
            elsewhere = User.objects.create(account=account, name=f"Update target {time.time()}")
            self.stdout.write(
                f"\nFor comparison, rewriting the {total:,} events' customer in one UPDATE (what a merge does not "
                f"do): {_update_all(source, elsewhere):,.0f} ms (rolled back)."
            )

    def _timeline(self, account, agent, target, source, runs):
        """The kept customer's Activity tab, their own events and the merged one's read together."""
        get = WsgiCaller.signed_in(f"{account.subdomain}.localhost", agent).page
        base = f"/agent/users/{target.pk}/?tab=activity"
        panel = {"HX-Request": "true", "HX-Target": "tab-panel"}
        more = {"HX-Request": "true", "HX-Target": "timeline-more"}
        total = Event.objects.filter(customer_id__in=[source.pk, target.pk]).count()
        depths = [d for d in (10, 10_000, 990_000) if d < total]
        cases = [
            ("trivial view (/_dev/trivial)", get("/_dev/trivial")),
            ("kept customer's page, full load (activity tab)", get(base)),
            ("kept customer's timeline fragment", get(base, **panel)),
            *[
                (f"Show 10 more at depth {depth:,}", get(f"{base}&after={_cursor_at([source, target], depth)}", **more))
                for depth in depths
            ],
            ("filter: one source (Billing)", get(f"{base}&filter={filter_value('Billing')}", **panel)),
            ("filter: source + type (Shop / refunds)", get(f"{base}&filter={_refunds}", **panel)),
        ]
        baseline, *timings = measure(cases, runs=runs)
        self.stdout.write(f"\nThe kept customer's timeline after the merge ({total:,} events); {runs} runs each.\n")
        report(self.stdout, timings, baseline)

    def _data_set(self, events: int):
        account, _created = Account.objects.update_or_create(
            subdomain="bench-merge", defaults={"name": "Merge benchmark", "customer_profile_enabled": True}
        )
        fields = {"role": Role.AGENT, "name": "Bench Agent", "prefers_new_profile": True}
        agent, _created = User.objects.update_or_create(
            account=account,
            email="merge-agent@bench.test",
            defaults=fields,
            create_defaults={**fields, "password": demo_password_hash()},
        )
        source, _created = User.objects.get_or_create(
            account=account, external_id=SOURCE_ID, defaults={"name": "Million Events (duplicate)"}
        )
        _undo(source)
        have = Event.objects.filter(customer_id=source.pk).count()
        if have < events:
            started = time.perf_counter()
            self.stdout.write(f"Seeding {events - have:,} events…")
            self._seed(account, source, events - have)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE activity_event")
            self.stdout.write(f"  done in {time.perf_counter() - started:.1f} s")
        return account, agent, source

    def _seed(self, account, customer, count: int) -> None:
        rng = random.Random(count)
        kinds = [(source, type_) for source, types in SOURCES.items() for type_ in types]
        now = timezone.now()
        for start in range(0, count, SEED_BATCH):
            batch = []
            for i in range(start, min(count, start + SEED_BATCH)):
                source, type_ = rng.choice(kinds)
                occurred = now - datetime.timedelta(seconds=i * 60 + rng.randint(0, 59))
                properties = json.dumps({"n": i, "ref": f"R-{rng.randint(0, 10**6):06d}"})
                batch.append(NewEvent(customer.pk, source, type_, f"{type_} #{i}", properties, occurred, None))
            events_ingest(account_id=account.pk, events=batch)
            self.stdout.write(f"  {min(count, start + SEED_BATCH):,} / {count:,}")

    def _fresh_pair(self, account, source, run: int) -> User:
        """A new customer to merge `source` into, and what a real duplicate brings besides its events: a few
        tickets, two contacts, an organization, values in both's fields."""
        stamp = f"{int(time.time() * 1000)}-{run}"
        with transaction.atomic():
            target = User.objects.create(
                account=account, name=f"Kept customer {stamp}", email=f"kept-{stamp}@bench.test", notes="Kept"
            )
            Identity.objects.create(
                account=account, user=target, type=IdentityType.EMAIL, value=target.email, primary=True
            )
            User.objects.filter(pk=source.pk).update(notes=f"Duplicate {stamp}", tags="duplicate")
            source.refresh_from_db()
            for value in (f"dup-{stamp}@bench.test", f"dup-{stamp}@home.bench.test"):
                Identity.objects.create(account=account, user=source, type=IdentityType.EMAIL, value=value)
            organization = Organization.objects.create(account=account, name=f"Org {stamp}")
            OrganizationMembership.objects.create(account=account, user=source, organization=organization, default=True)
            TicketFactory.create_batch(20, requester=source, account=account)
            TicketFactory.create_batch(5, requester=target, account=account)
            events_ingest(
                account_id=account.pk,
                events=[
                    NewEvent(target.pk, "Shop", "order_placed", "Order", "{}", timezone.now(), None) for _ in range(50)
                ],
            )
        return target


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _undo(source: User) -> None:
    """Make the benchmark's duplicate a customer of their own again (their events never moved), with the
    external id the merge gave the kept customer."""
    others = User.objects.filter(account_id=source.account_id, external_id=SOURCE_ID).exclude(pk=source.pk)
    others.update(external_id="")
    User.objects.filter(pk=source.pk).update(merged_into=None, external_id=SOURCE_ID)
    source.merged_into, source.external_id = None, SOURCE_ID


def _cursor_at(people, depth: int) -> str:
    names = [name for name, _descending in TIMELINE_KEYS]
    order = [f"-{name}" for name in names]
    values = Event.objects.filter(customer_id__in=[p.pk for p in people]).order_by(*order).values_list(*names)
    return encode_cursor(list(values[depth - 1]))


def _update_all(source: User, target: User) -> float:
    """Milliseconds to rewrite every event of `source` as `target`'s in one statement, rolled back."""
    with transaction.atomic():
        started = time.perf_counter()
        Event.objects.filter(customer_id=source.pk).update(customer_id=target.pk)
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed
