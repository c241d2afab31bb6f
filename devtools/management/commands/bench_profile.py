"""Benchmark the customer profile page and its tickets tab on a customer with many tickets, and its Related
tab on a customer many records point at (beside one few records point at).

Prints p50/p95 server-side times next to a trivial view measured in the same run. Run on PostgreSQL:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python manage.py bench_profile
"""

import datetime
import itertools
import json
import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, Role, User
from accounts.services import api_token_create
from common.keyset import encode_cursor
from custom_fields.models import CustomField, FieldObject, FieldType, LookupLink
from custom_fields.relations import lookup_links_rebuild
from custom_fields.services import custom_fields_changed
from demo.factories import demo_password_hash
from devtools.bench import Target, WsgiCaller, measure, report, targets_report
from profiles.models import Identity, IdentityType, Organization, PhoneLine
from tickets.models import Priority, Status, Ticket
from tickets.selectors import tickets_for_customer


class Command(BaseCommand):
    help = "Time the profile page and tickets tab for one customer with many tickets (default 10,000)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--customers", type=int, default=20_000, help="Other customers, for the search.")
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument(
            "--related-tickets", type=int, default=100_000, help="Tickets whose lookup field points at one customer."
        )
        parser.add_argument(
            "--related-customers", type=int, default=1_000, help="Customers whose lookup field points at them."
        )

    def handle(self, *args, tickets, customers, runs, related_tickets, related_customers, **options):
        self.results: dict[str, float] = {}
        self._run(tickets, customers, runs, related_tickets, related_customers)
        targets_report(self.stdout, self.targets())

    def targets(self) -> list[Target]:
        """This command's rows of the issue's table."""
        r = self.results.get
        return [
            Target("Tickets tab sorted by assignee, DB time (10,000 tickets)", r("assignee_db"), "ms", 3, False),
            Target("Tickets tab sorted by status, DB time", r("status_db"), "ms", 3, False),
            Target("Tickets tab sorted by priority, DB time", r("priority_db"), "ms", 3, False),
            Target("customer search by phone digits, DB time (20,000 customers)", r("digits_db"), "ms", 3, False),
            Target("customer search, two words, one in every name, DB time", r("words_db"), "ms", 15, False),
            Target(
                "  … in an account just loaded, no ANALYZE since (stale statistics)",
                r("digits_fresh_db"),
                "ms",
                3,
                False,
            ),
        ]

    def _run(self, tickets: int, customers: int, runs: int, related_tickets: int, related_customers: int) -> None:
        account, agent, customer = self._data_set(tickets, customers)
        related = _related_data_set(self.stdout, account, related_tickets, related_customers)
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
            ("trivial view (/_dev/trivial)", get("/_dev/trivial")),
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
            ("customer search, by phone digits", get(f"/agent/users/?q={_someones_digits(account)}")),
            # Two words in the other order, one of them in every name: each word from its trigram index.
            ("customer search, two words in any order", get("/agent/users/?q=4242+person")),
            *_related_cases(get, related),
            *_api_cases(account, agent, customer),
        ]
        fresh = _fresh_account(customers)
        if fresh is not None:
            fresh_get = WsgiCaller.signed_in(
                f"{fresh.subdomain}.localhost", _team_member(fresh, "agent@fresh.test", prefers_new_profile=True)
            ).page
            cases.append(
                (
                    "customer search, by phone digits, account just loaded",
                    fresh_get(f"/agent/users/?q={_someones_digits(fresh)}"),
                )
            )
        try:
            baseline, *timings = measure(cases, runs=runs)
        finally:
            if fresh is not None:
                _drop_account(fresh)
        self.stdout.write(
            f"\nOne customer with {tickets:,} tickets; {customers:,} other customers. {runs} runs each.\n"
            f"Related: one customer {related_tickets:,} tickets and {related_customers:,} customers point at "
            f"(heavy), one 10 records point at (light).\n"
        )
        report(self.stdout, timings, baseline)
        by_label = {t.label: t for t in timings}
        for key, label in (
            ("assignee_db", "tickets tab, sorted by assignee"),
            ("status_db", "tickets tab, sorted by status"),
            ("priority_db", "tickets tab, sorted by priority"),
            ("digits_db", "customer search, by phone digits"),
            ("words_db", "customer search, two words in any order"),
            ("digits_fresh_db", "customer search, by phone digits, account just loaded"),
        ):
            if label in by_label:
                self.results[key] = by_label[label].db_ms
        _related_ratios(self.stdout, by_label)

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
            _people(account, _bench_phones(account).count(), customers - others)
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


def _bench_phones(account):
    """The phone identities `_people` gave the account's bench people (+33611 and their number)."""
    return Identity.objects.filter(account=account, type=IdentityType.PHONE, value__startswith="+33611")


def _someones_digits(account) -> str:
    """The phone number of one of the account's bench people as an agent types it ("0611000042"): a search
    by digits that finds that person (whoever else the data set holds, and however they were numbered)."""
    value = list(_bench_phones(account).order_by("value").values_list("value", flat=True)[:43])[
        -1
    ]  # the 43rd, or the last
    return "0" + value.removeprefix("+33")


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


def _api_cases(account, agent, customer) -> list:
    """GET and PUT users/{id} through the API v2, with a token acting for the agent: a PUT changes the notes
    (alternating between two values, so each one writes its event and audit entry)."""
    _token, secret = api_token_create(account=account, actor=agent, name=f"bench {time.time()}")
    api = WsgiCaller(f"{account.subdomain}.localhost", {"Authorization": f"Bearer {secret}"})
    url = f"/api/v2/users/{customer.pk}.json"
    bodies = itertools.cycle(
        [json.dumps({"user": {"notes": text}}).encode() for text in ("Bench note A", "Bench note B")]
    )

    def put() -> None:
        status = api("PUT", url, next(bodies))
        if status != 200:
            raise RuntimeError(f"PUT {url} failed with {status}")

    return [("API v2: GET users/{id}", api.page(url)), ("API v2: PUT users/{id} (notes)", put)]


def _team_member(account, email: str, *, prefers_new_profile: bool) -> User:
    fields = {"role": Role.AGENT, "name": email, "prefers_new_profile": prefers_new_profile}
    member, _created = User.objects.update_or_create(
        account=account, email=email, defaults=fields, create_defaults={**fields, "password": demo_password_hash()}
    )
    return member


# The Related tab (F8) ------------------------------------------------------------------------------------

RELATED_HEAVY = "Related tab, heavy customer (tab switch)"
RELATED_LIGHT = "Related tab, light customer (tab switch)"


def _related_cases(get, related: dict) -> list:
    heavy, light = related["heavy"], related["light"]
    tabs = {"HX-Request": "true", "HX-Target": "profile-tabs"}

    def expand(field, cursor=None):
        url = f"/agent/users/{heavy.pk}/?tab=related&open={field.pk}" + (f"&after={cursor}" if cursor else "")
        target = f"relation-in-{field.pk}-{'more' if cursor else 'rows'}"
        return get(url, **{"HX-Request": "true", "HX-Target": target})

    cases = [
        (RELATED_HEAVY, get(f"/agent/users/{heavy.pk}/?tab=related", **tabs)),
        (RELATED_LIGHT, get(f"/agent/users/{light.pk}/?tab=related", **tabs)),
        ("Related tab, heavy customer (full page)", get(f"/agent/users/{heavy.pk}/?tab=related")),
        ("Related tab, light customer (full page)", get(f"/agent/users/{light.pk}/?tab=related")),
    ]
    for kind, field in [("tickets", related["reported_by"]), ("customers", related["manager"])]:
        cases.append((f"Related, heavy: {kind} expanded (first 25)", expand(field)))
        for depth, cursor in related[f"{kind}_cursors"].items():
            cases.append((f"Related, heavy: {kind} at depth {depth:,}", expand(field, cursor)))
    return cases


def _related_ratios(stdout, timings: dict) -> None:
    """The Related tab's targets, as ratios measured side by side."""
    heavy, light = timings[RELATED_HEAVY], timings[RELATED_LIGHT]
    stdout.write(f"\nRelated tab, heavy / light: {heavy.p50_ms / light.p50_ms:.2f} (target <= 1.5)")
    for label, t in timings.items():
        if label.startswith("Related, heavy:") and " at depth " in label:
            first = timings[f"{label.split(' at depth ')[0]} expanded (first 25)"]
            stdout.write(f"{label} / its first page: {t.p50_ms / first.p50_ms:.2f} (flat: about 1)")


def _related_data_set(stdout, account, tickets: int, customers: int) -> dict:
    """Lookup fields on tickets, customers and organizations; a heavy customer `tickets` tickets,
    `customers` customers and an organization point at, a light one 10 records point at (5 tickets, 4
    customers, an organization). Made once, then reused."""
    fields = {}
    for object_type, key, title in [
        ("ticket", "reported_by", "Reported by"),
        ("user", "account_manager", "Account manager"),
        ("organization", "primary_contact", "Primary contact"),
    ]:
        fields[key], _created = CustomField.objects.get_or_create(
            account=account,
            object_type=object_type,
            key=key,
            defaults={"title": title, "type": FieldType.LOOKUP, "lookup_target": FieldObject.USER},
        )
    custom_fields_changed(account=account)
    people = {}
    for email, name in [("related-heavy@bench.test", "Related Heavy"), ("related-light@bench.test", "Related Light")]:
        people[email], _created = User.objects.get_or_create(account=account, email=email, defaults={"name": name})
    heavy, light = people["related-heavy@bench.test"], people["related-light@bench.test"]
    reporter, _created = User.objects.get_or_create(
        account=account, email="related-reporter@bench.test", defaults={"name": "Related Reporter"}
    )
    # Each also points at someone: the tab lists both directions.
    User.objects.filter(pk__in=[heavy.pk, light.pk]).update(custom_fields={"account_manager": reporter.pk})
    made = _pointing(stdout, account, heavy, reporter, tickets, customers, prefix="h")
    made |= _pointing(stdout, account, light, reporter, 5, 4, prefix="l")
    if made:
        stdout.write("Indexing lookup values…")
        lookup_links_rebuild(account=account)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh statistics, and index-only scans of the new links
                for table in (
                    "tickets_ticket",
                    "accounts_user",
                    "custom_fields_lookuplink",
                    "custom_fields_lookupcount",
                ):
                    cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        "heavy": heavy,
        "light": light,
        "reported_by": fields["reported_by"],
        "manager": fields["account_manager"],
        "tickets_cursors": _cursors(fields["reported_by"], heavy, [tickets // 2, tickets - 25]),
        "customers_cursors": _cursors(fields["account_manager"], heavy, [customers - 25]),
    }


def _pointing(stdout, account, target, reporter, tickets: int, customers: int, *, prefix: str) -> bool:
    """Make `tickets` tickets and `customers` customers (and an organization) point at `target`; whether
    anything was made."""
    value = {"reported_by": target.pk}
    have = Ticket.objects.filter(account=account, custom_fields__reported_by=target.pk).count()
    if have >= tickets:
        return False
    stdout.write(f"Creating {tickets - have:,} tickets pointing at {target.name}…")
    now = timezone.now()
    rows = [
        Ticket(
            account=account,
            requester=reporter,
            submitter=reporter,
            subject=f"Reported {i}",
            custom_fields=value,
            created_at=now,
            updated_at=now,
        )
        for i in range(have, tickets)
    ]
    Ticket.objects.bulk_create(rows, batch_size=2000)
    User.objects.bulk_create(
        [
            User(
                account=account,
                name=f"Managed {prefix}{i}",
                email=f"managed-{prefix}{i}@bench.test",
                custom_fields={"account_manager": target.pk},
            )
            for i in range(customers)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    Organization.objects.get_or_create(
        account=account, name=f"Contact of {target.name}", defaults={"custom_fields": {"primary_contact": target.pk}}
    )
    return True


def _cursors(field, target, depths: list[int]) -> dict[int, str]:
    """The "Show more" cursor after `depth` records of a relationship, for each depth (found the slow way,
    once, as paging there one page at a time would)."""
    ids = list(
        LookupLink.objects.filter(field=field, target_id=target.pk)
        .order_by("-source_id")
        .values_list("source_id", flat=True)
    )
    return {depth: encode_cursor([ids[depth - 1]]) for depth in depths if 0 < depth <= len(ids)}
