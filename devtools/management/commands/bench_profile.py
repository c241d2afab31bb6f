"""Benchmark the customer profile page and its tickets tab on a customer with many tickets.

Prints p50/p95 server-side times next to a trivial view measured in the same run. Run on PostgreSQL:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python manage.py bench_profile
"""

import datetime
import random

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, Role, User
from demo.factories import demo_password_hash
from devtools.bench import Target, WsgiCaller, measure, report, targets_report
from profiles.models import Identity, IdentityType, PhoneLine
from tickets.models import Priority, Status, Ticket
from tickets.selectors import tickets_for_customer


class Command(BaseCommand):
    help = "Time the profile page and tickets tab for one customer with many tickets (default 10,000)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--customers", type=int, default=20_000, help="Other customers, for the search.")
        parser.add_argument("--runs", type=int, default=60)

    def handle(self, *args, tickets, customers, runs, **options):
        self.results: dict[str, float] = {}
        self._run(tickets, customers, runs)
        targets_report(self.stdout, self.targets())

    def targets(self) -> list[Target]:
        """This command's rows of the issue's table."""
        r = self.results.get
        return [
            Target("Tickets tab sorted by assignee, DB time (10,000 tickets)", r("assignee_db"), "ms", 3, False),
            Target("Tickets tab sorted by status, DB time", r("status_db"), "ms", 3, False),
            Target("Tickets tab sorted by priority, DB time", r("priority_db"), "ms", 3, False),
            Target("customer search by phone digits, DB time (20,000 customers)", r("digits_db"), "ms", 3, False),
            Target(
                "  … in an account just loaded, no ANALYZE since (stale statistics)",
                r("digits_fresh_db"),
                "ms",
                3,
                False,
            ),
        ]

    def _run(self, tickets: int, customers: int, runs: int) -> None:
        account, agent, customer = self._data_set(tickets, customers)
        # Requests go straight to the WSGI application, as a server passes them, signed in as each agent.
        host = f"{account.subdomain}.localhost"
        get = WsgiCaller.signed_in(host, agent).page
        legacy = WsgiCaller.signed_in(host, _team_member(account, "legacy@bench.test", prefers_new_profile=False))
        base = f"/agent/users/{customer.pk}/"
        htmx = {"HX-Request": "true", "HX-Target": "tab-panel"}
        tabs = {"HX-Request": "true", "HX-Target": "profile-tabs"}

        cursor, depth = None, 0
        while depth < tickets - 25:  # walk to the last page by keyset, as a user paging on would
            page = tickets_for_customer(customer=customer, size=25, after=cursor)
            if not page.has_next:
                break
            cursor, depth = page.next_cursor, depth + 25

        cases = [
            ("trivial view (/healthz)", get("/healthz")),
            ("profile page, full load (tickets tab)", get(f"{base}?tab=tickets")),
            ("legacy profile page, full load", legacy.page(base)),
            ("profile page, full load (details tab)", get(f"{base}?tab=details")),
            ("details tab partial", get(f"{base}?tab=details", **tabs)),
            ("tickets tab partial, first page", get(f"{base}?tab=tickets", **htmx)),
            (f"tickets tab, page at depth {depth:,}", get(f"{base}?tab=tickets&after={cursor}", **htmx)),
            ("tickets tab, sorted by subject", get(f"{base}?tab=tickets&sort=subject&dir=asc", **htmx)),
            ("tickets tab, status filter (pending)", get(f"{base}?tab=tickets&status=pending", **htmx)),
            ("tickets tab, sorted by assignee", get(f"{base}?tab=tickets&sort=assignee", **htmx)),
            ("tickets tab, sorted by status", get(f"{base}?tab=tickets&sort=status", **htmx)),
            ("tickets tab, sorted by priority", get(f"{base}?tab=tickets&sort=priority", **htmx)),
            ("customer search, 'bench' (many matches)", get("/agent/users/?q=bench")),
            ("customer search, by phone digits", get("/agent/users/?q=0611000042")),
        ]
        fresh = _fresh_account(customers)
        if fresh is not None:
            fresh_get = WsgiCaller.signed_in(
                f"{fresh.subdomain}.localhost", _team_member(fresh, "agent@fresh.test", prefers_new_profile=True)
            ).page
            cases.append(
                ("customer search, by phone digits, account just loaded", fresh_get("/agent/users/?q=0611000042"))
            )
        try:
            baseline, *timings = measure(cases, runs=runs)
        finally:
            if fresh is not None:
                _drop_account(fresh)
        self.stdout.write(
            f"\nOne customer with {tickets:,} tickets; {customers:,} other customers. {runs} runs each.\n"
        )
        report(self.stdout, timings, baseline)
        by_label = {t.label: t for t in timings}
        for key, label in (
            ("assignee_db", "tickets tab, sorted by assignee"),
            ("status_db", "tickets tab, sorted by status"),
            ("priority_db", "tickets tab, sorted by priority"),
            ("digits_db", "customer search, by phone digits"),
            ("digits_fresh_db", "customer search, by phone digits, account just loaded"),
        ):
            if label in by_label:
                self.results[key] = by_label[label].db_ms

    @transaction.atomic
    def _data_set(self, tickets: int, customers: int):
        account, _created = Account.objects.update_or_create(
            subdomain="bench", defaults={"name": "Benchmark", "customer_profile_enabled": True}
        )
        agent = _team_member(account, "agent@bench.test", prefers_new_profile=True)
        customer = User.objects.filter(account=account, email="heavy@bench.test").first()
        if customer is None:
            customer = User.objects.create(account=account, name="Heavy Bench Customer", email="heavy@bench.test")
        have = Ticket.objects.filter(requester=customer).count()
        if have < tickets:
            self.stdout.write(f"Creating {tickets - have:,} tickets…")
            rng = random.Random(7)
            now = timezone.now()
            rows = []
            for i in range(have, tickets):
                created = now - datetime.timedelta(minutes=i * 37)
                rows.append(
                    Ticket(
                        account=account,
                        requester=customer,
                        submitter=customer,
                        assignee=agent if i % 3 else None,
                        assignee_name=agent.name if i % 3 else "",
                        subject=f"Bench ticket {rng.randint(0, 10**9):09d}",
                        status=rng.choice(Status.values),
                        priority=rng.choice(Priority.values),
                        created_at=created,
                        updated_at=created + datetime.timedelta(minutes=rng.randint(0, 600)),
                    )
                )
            Ticket.objects.bulk_create(rows, batch_size=2000)
        others = User.objects.filter(account=account, role=Role.END_USER).count() - 1
        if others < customers:
            self.stdout.write(f"Creating {customers - others:,} customers…")
            _people(account, others, customers - others)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load
        return account, agent, customer


def _people(account, first: int, count: int) -> None:
    people = User.objects.bulk_create(
        [
            User(account=account, name=f"Bench Person {i}", email=f"p{i}@bench.test")
            for i in range(first, first + count)
        ],
        batch_size=2000,
    )
    Identity.objects.bulk_create(
        [
            Identity(
                account=account, user=p, type=IdentityType.PHONE, value=f"+33611{i:06d}", phone_line=PhoneLine.DIRECT
            )
            for i, p in enumerate(people, start=first)
        ],
        batch_size=2000,
    )


def _fresh_account(customers: int) -> Account | None:
    """An account whose customers were all loaded just now, with no ANALYZE since: the planner's statistics
    still describe the tables without them (on PostgreSQL; made anew each run)."""
    if connection.vendor != "postgresql":
        return None
    stale = Account.objects.filter(subdomain="bench-fresh").first()
    if stale is not None:
        _drop_account(stale)
    account = Account.objects.create(subdomain="bench-fresh", name="Just loaded", customer_profile_enabled=True)
    _people(account, 0, customers)
    return account


def _drop_account(account: Account) -> None:
    with connection.cursor() as cursor:  # faster than the ORM's cascade for thousands of people
        cursor.execute("DELETE FROM profiles_identity WHERE account_id = %s", [account.pk])
        cursor.execute("DELETE FROM accounts_user WHERE account_id = %s", [account.pk])
    account.delete()


def _team_member(account, email: str, *, prefers_new_profile: bool) -> User:
    fields = {"role": Role.AGENT, "name": email, "prefers_new_profile": prefers_new_profile}
    member, _created = User.objects.update_or_create(
        account=account, email=email, defaults=fields, create_defaults={**fields, "password": demo_password_hash()}
    )
    return member
