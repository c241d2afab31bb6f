"""Build the demo account: people, organizations, custom fields, tickets and a long activity history."""

import datetime
import json
import random

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Account, Role, User
from activity.ingest import NewEvent, events_ingest
from activity.models import Event
from custom_fields.models import CustomField
from custom_fields.relations import lookup_links_rebuild
from custom_fields.services import custom_fields_changed
from demo.factories import OrganizationFactory, TicketFactory, UserFactory
from profiles.models import Identity, IdentityType, OrganizationMembership, PhoneLine
from tickets.backfill import ticket_events_backfill
from tickets.models import Comment, Status, Ticket, TicketCC

DEMO_PASSWORD = "demo-password-1"
SHOWCASE_EMAIL = "camille.martin@example.com"
DUPLICATE_EMAIL = "c.martin.home@example.net"  # the showcase again, from another address: one to merge
SIGN_INS = [("admin@example.com", "Alex Admin", Role.ADMIN), ("agent@example.com", "Sam Agent", Role.AGENT)]

APP_EVENTS = {
    "Shop": [
        ("order_placed", "Placed order {ref}"),
        ("cart_updated", "Updated cart"),
        ("product_reviewed", "Reviewed a product"),
        ("order_refunded", "Refund issued for order {ref}"),
    ],
    "Billing": [
        ("invoice_paid", "Paid invoice {ref}"),
        ("payment_failed", "Payment failed for invoice {ref}"),
        ("subscription_renewed", "Subscription renewed"),
    ],
    "Web analytics": [("page_viewed", "Viewed {path}")],
    "Mobile app": [("app_opened", "Opened the app"), ("push_clicked", "Clicked a notification")],
}
PAGES = ["/pricing", "/docs/getting-started", "/account/billing", "/blog/release-notes", "/help/returns", "/"]


class Command(BaseCommand):
    help = "Create (once) the demo account with realistic data; --reset rebuilds it."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo account first and rebuild it.")
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--tickets", type=int, default=1000)
        parser.add_argument("--events", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=20261125, help="Random seed (same seed, same data).")
        parser.add_argument("--site-url", default="http://127.0.0.1:8000/", help="Where the demo will be served.")

    def handle(self, *args, **options):
        for name in ("customers", "tickets", "events"):
            if options[name] < 0:
                raise CommandError(f"--{name} must be zero or more.")
        existing = Account.objects.filter(subdomain="demo").first()
        if existing and options["reset"]:
            _delete_account(existing)
            existing = None
        if existing:
            self.stdout.write("Demo data already present (use --reset to rebuild).")
        else:
            with transaction.atomic():
                DemoBuilder(options, self.stdout).build()
        self._print_sign_ins(options["site_url"])

    def _print_sign_ins(self, site_url: str):
        self.stdout.write(
            self.style.SUCCESS(f"\nDemo ready at {site_url}  — sign in with:")
            + "".join(f"\n  {email:<22} {DEMO_PASSWORD}  ({role})" for email, _n, role in SIGN_INS)
            + f"\n  {SHOWCASE_EMAIL:<22} {DEMO_PASSWORD}  (customer, portal)\n"
        )


def _delete_account(account: Account) -> None:
    with transaction.atomic():
        Event.objects.filter(account=account).delete()
        Comment.objects.filter(ticket__account=account).delete()
        Ticket.objects.filter(account=account).delete()
        account.delete()


class DemoBuilder:
    def __init__(self, options, stdout):
        self.options = options
        self.stdout = stdout
        self.rng = random.Random(options["seed"])
        self.fake = Faker(["en_US", "fr_FR"])
        self.fake.seed_instance(options["seed"])
        self.now = timezone.now().replace(microsecond=0)

    def build(self):
        self.account = Account.objects.create(name="Demo Helpdesk", subdomain="demo")
        self.team = self._team()
        self.orgs = self._organizations()
        self.fields = self._custom_fields()
        self.customers = self._customers()
        self.showcase = self._showcase()
        self.duplicate = self._duplicate()
        self._lookups()
        tickets = self._tickets()
        # Lookup values were written in bulk, around the services: index them as the services would have.
        lookup_links_rebuild(account=self.account)
        self._events()
        self.stdout.write(
            f"Built: {len(self.customers)} customers, {len(self.orgs)} organizations, {len(tickets)} tickets, "
            f"{Event.objects.filter(account=self.account).count()} events."
        )

    def _team(self) -> list[User]:
        password = make_password(DEMO_PASSWORD)
        team = []
        for email, name, role in SIGN_INS + [
            ("jordan@example.com", "Jordan Lee", Role.AGENT),
            ("lea@example.com", "Léa Dubois", Role.AGENT),
        ]:
            member = User.objects.create(account=self.account, role=role, name=name, email=email, password=password)
            Identity.objects.create(
                account=self.account, user=member, type=IdentityType.EMAIL, value=email, primary=True, verified=True
            )
            team.append(member)
        return team

    def _organizations(self):
        orgs = []
        for _ in range(20):
            name = self.fake.unique.company()
            domain = "".join(ch for ch in name.lower() if ch.isalnum())[:20] + ".example"
            orgs.append(
                OrganizationFactory.build(
                    account=self.account,
                    name=name,
                    domains=domain,
                    tags=self.rng.choice(["", "enterprise", "smb", "partner"]),
                )
            )
        return self.account.organizations.bulk_create(orgs)

    def _custom_fields(self):
        specs = [
            ("user", "customer_number", "Customer number", "text", {}),
            ("user", "shipping_notes", "Shipping notes", "textarea", {}),
            ("user", "seats", "Seats", "integer", {}),
            ("user", "lifetime_value", "Lifetime value", "decimal", {}),
            ("user", "vip", "VIP", "checkbox", {}),
            ("user", "contract_renewal", "Contract renewal", "date", {}),
            ("user", "plan", "Plan", "dropdown", {"options": _options("Free", "Pro", "Enterprise")}),
            (
                "user",
                "interests",
                "Interests",
                "multiselect",
                {"options": _options("Hardware", "Software", "Training", "Support plans")},
            ),
            ("user", "customer_code", "Customer code", "regexp", {"regexp": r"^[A-Z]{3}-\d{4}$"}),
            ("user", "account_manager", "Account manager", "lookup", {"lookup_target": "user"}),
            ("user", "risk_score", "Risk score", "integer", {"agent_access": "read_only"}),
            ("user", "internal_rating", "Internal rating", "text", {"agent_access": "hidden"}),
            ("organization", "primary_contact", "Primary contact", "lookup", {"lookup_target": "user"}),
            ("organization", "region", "Region", "dropdown", {"options": _options("EMEA", "Americas", "APAC")}),
            ("organization", "parent", "Parent organization", "lookup", {"lookup_target": "organization"}),
            ("ticket", "reported_by", "Reported by", "lookup", {"lookup_target": "user"}),
        ]
        fields = [
            CustomField(account=self.account, object_type=obj, key=key, title=title, type=kind, position=i, **extra)
            for i, (obj, key, title, kind, extra) in enumerate(specs)
        ]
        created = {f.key: f for f in CustomField.objects.bulk_create(fields)}
        custom_fields_changed(account=self.account)
        return created

    def _customers(self) -> list[User]:
        count = self.options["customers"]
        people = []
        for i in range(count):
            first, last = self.fake.first_name(), self.fake.last_name()
            email = (
                f"{_ascii(first)}.{_ascii(last)}{i}@{self.rng.choice(['example.com', 'example.net', 'example.org'])}"
            )
            people.append(
                UserFactory.build(
                    account=self.account,
                    name=f"{first} {last}",
                    email=email,
                    password=make_password(None),
                    locale=self.rng.choice(["en", "en", "fr"]),
                    time_zone=self.rng.choice(
                        ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "America/Los_Angeles"]
                    ),
                    tags=" ".join(
                        sorted(
                            self.rng.sample(
                                ["vip", "newsletter", "beta", "reseller", "churn_risk", "eu"], self.rng.randint(0, 3)
                            )
                        )
                    ),
                    details=self.fake.address().replace("\n", ", ") if self.rng.random() < 0.4 else "",
                    notes=self.fake.sentence() if self.rng.random() < 0.3 else "",
                    custom_fields=self._field_values(),
                )
            )
        customers = User.objects.bulk_create(people, batch_size=500)
        created = self.now - datetime.timedelta(days=900)
        User.objects.filter(pk__in=[c.pk for c in customers]).update(created_at=created)
        identities, memberships = [], []
        shared_numbers = [f"+3319{self.rng.randint(1000000, 9999999)}" for _ in range(5)]
        for i, customer in enumerate(customers):
            identities.append(
                _identity(self.account, customer, customer.email, primary=True, verified=self.rng.random() > 0.1)
            )
            if self.rng.random() < 0.3:
                identities.append(
                    _identity(
                        self.account,
                        customer,
                        f"alt{i}@{self.fake.free_email_domain()}",
                        verified=self.rng.random() < 0.5,
                    )
                )
            if self.rng.random() < 0.7:
                identities.append(_phone(self.account, customer, f"+336{10000000 + i * 37:08d}", primary=True))
            if i % 15 == 0:
                identities.append(_phone(self.account, customer, shared_numbers[i % 5], shared=True))
            for j, org in enumerate(self.rng.sample(self.orgs, self.rng.choice([0, 1, 1, 1, 2, 3]))):
                memberships.append(
                    OrganizationMembership(account=self.account, user=customer, organization=org, default=j == 0)
                )
        Identity.objects.bulk_create(identities, batch_size=1000)
        OrganizationMembership.objects.bulk_create(memberships, batch_size=1000)
        # A ticket is filed under its requester's default organization.
        self.default_organization = {m.user.pk: m.organization for m in memberships if m.default}
        # A few customers signed in to the portal; most never did.
        for customer in self.rng.sample(customers, len(customers) // 4):
            User.objects.filter(pk=customer.pk).update(
                last_login=self.now - datetime.timedelta(hours=self.rng.randint(1, 2000))
            )
        return customers

    def _field_values(self) -> dict:
        values = {}
        if self.rng.random() < 0.5:
            values["plan"] = self.rng.choice(["free", "pro", "enterprise"])
        if self.rng.random() < 0.3:
            values["seats"] = self.rng.randint(1, 500)
        if self.rng.random() < 0.2:
            values["vip"] = True
        return values

    def _showcase(self) -> User:
        customer = User.objects.create(
            account=self.account,
            name="Camille Martin",
            email=SHOWCASE_EMAIL,
            password=make_password(DEMO_PASSWORD),
            locale="fr",
            time_zone="Europe/Paris",
            tags="vip beta eu",
            details="12 rue des Lilas, 69003 Lyon, France",
            notes="Prefers email. Escalate billing questions to Sam. <b>not bold</b>",
            custom_fields={
                "customer_number": "C-000042",
                "shipping_notes": "Leave parcels at the front desk.\nNo deliveries on Mondays.",
                "seats": 120,
                "lifetime_value": "48250.50",
                "vip": True,
                "contract_renewal": (self.now.date() + datetime.timedelta(days=45)).isoformat(),
                "plan": "enterprise",
                "interests": ["software", "training"],
                "customer_code": "CAM-0042",
                "account_manager": self.team[1].pk,
                "risk_score": 12,
                "internal_rating": "A",
            },
        )
        User.objects.filter(pk=customer.pk).update(
            created_at=self.now - datetime.timedelta(days=1200), last_login=self.now - datetime.timedelta(hours=3)
        )
        Identity.objects.bulk_create(
            [
                _identity(self.account, customer, SHOWCASE_EMAIL, primary=True, verified=True),
                _identity(self.account, customer, "camille.perso@example.org", verified=False),
                _phone(self.account, customer, "+33612345678", primary=True),
                _phone(self.account, customer, "+33478000000", shared=True),
            ]
        )
        colleague = self.customers[0]
        Identity.objects.create(
            account=self.account,
            user=colleague,
            type=IdentityType.PHONE,
            value="+33478000000",
            phone_line=PhoneLine.SHARED,
        )
        OrganizationMembership.objects.bulk_create(
            [
                OrganizationMembership(account=self.account, user=customer, organization=org, default=i == 0)
                for i, org in enumerate(self.orgs[:3])
            ]
        )
        self.default_organization[customer.pk] = self.orgs[0]
        self.customers.append(customer)
        return customer

    def _duplicate(self) -> User:
        """The showcase customer a second time, as when someone writes in from another address: a customer
        to merge into her (Merge, in the profile's header)."""
        customer = User.objects.create(
            account=self.account,
            name="C. Martin",
            email=DUPLICATE_EMAIL,
            password=make_password(None),
            locale="en",
            time_zone="Europe/Paris",
            tags="newsletter",
            notes="Wrote from her personal address about a late delivery.",
            custom_fields={"plan": "pro", "seats": 5, "customer_code": "CAM-0042"},
        )
        Identity.objects.bulk_create(
            [
                _identity(self.account, customer, DUPLICATE_EMAIL, primary=True, verified=True),
                _phone(self.account, customer, "+33698765432", primary=True),
            ]
        )
        OrganizationMembership.objects.create(
            account=self.account, user=customer, organization=self.orgs[3], default=True
        )
        self.customers.append(customer)
        return customer

    def _lookups(self):
        others = [c for c in self.customers if c not in (self.showcase, self.duplicate)]
        for org in self.orgs[:8]:
            org.custom_fields = {"primary_contact": self.rng.choice(others).pk, "region": "emea"}
        self.orgs[0].custom_fields["primary_contact"] = self.showcase.pk  # the article's example (F8)
        for org in self.orgs[1:4]:
            org.custom_fields["parent"] = self.orgs[0].pk
        self.account.organizations.bulk_update(self.orgs[:8], ["custom_fields"])
        others = self.rng.sample(others, 5)
        for other in others:
            other.custom_fields["account_manager"] = self.showcase.pk
        User.objects.bulk_update(others, ["custom_fields"])

    def _tickets(self) -> list[Ticket]:
        agents = self.team
        count = self.options["tickets"]
        tickets = []
        for i in range(count):
            requester = self.showcase if i % 25 == 0 else self.rng.choice(self.customers)
            tickets.append(self._ticket(requester, agents, i))
        for i, status in enumerate(Status.values * 3):  # the showcase has tickets in every status
            tickets.append(self._ticket(self.showcase, agents, count + i, status=status))
        tickets = Ticket.objects.bulk_create(tickets, batch_size=500)
        ccs, comments = [], []
        for ticket in tickets:
            for person in self.rng.sample(self.customers, self.rng.choice([0, 0, 1, 2])):
                if person.pk != ticket.requester_id:
                    ccs.append(TicketCC(ticket=ticket, user=person))
            if ticket.requester_id != self.showcase.pk and self.rng.random() < 0.05:
                ccs.append(TicketCC(ticket=ticket, user=self.showcase))
            moment = ticket.created_at
            for n in range(self.rng.randint(1, 4)):
                author = ticket.requester if n % 2 == 0 else (ticket.assignee or agents[0])
                comments.append(
                    Comment(
                        ticket=ticket, author=author, body=self.fake.paragraph(), public=n % 3 != 2, created_at=moment
                    )
                )
                moment += datetime.timedelta(hours=self.rng.randint(1, 48))
        TicketCC.objects.bulk_create(ccs, batch_size=1000, ignore_conflicts=True)
        Comment.objects.bulk_create(comments, batch_size=1000)
        return tickets

    def _ticket(self, requester, agents, i, status=None):
        created = self.now - datetime.timedelta(days=self.rng.uniform(0, 1100))
        status = status or self.rng.choice(Status.values)
        solved = status in ("solved", "closed")
        return TicketFactory.build(
            account=self.account,
            requester=requester,
            submitter=requester if self.rng.random() < 0.8 else self.rng.choice(agents),
            assignee=None if status == "new" else self.rng.choice(agents),
            organization=self.default_organization.get(requester.pk),
            subject=self.fake.sentence(nb_words=self.rng.randint(4, 9)).rstrip("."),
            status=status,
            priority=self.rng.choice(["", "low", "normal", "normal", "high", "urgent"]),
            tags=requester.tags,
            custom_fields={"reported_by": self.showcase.pk} if i % 40 == 1 else {},
            created_at=created,
            updated_at=min(self.now, created + datetime.timedelta(hours=self.rng.randint(1, 400))),
            solved_at=min(self.now, created + datetime.timedelta(days=2)) if solved else None,
        )

    def _events(self):
        """Each ticket's requested and solved events (as the history import backfills them), then the
        integrated apps' events up to the --events budget."""
        stored, _already = ticket_events_backfill(account=self.account)
        events = []
        budget = max(0, self.options["events"] - stored)
        showcase_share = min(budget, 400)
        while budget > 0:
            customer = self.showcase if showcase_share > 0 else self.rng.choice(self.customers)
            burst = self._app_events(customer)[:budget]
            events += burst
            budget -= len(burst)
            showcase_share -= len(burst)
        for start in range(0, len(events), 5000):
            events_ingest(account_id=self.account.pk, events=events[start : start + 5000])

    def _app_events(self, customer) -> list[NewEvent]:
        """One thing a customer did in an integrated app; a web visit is a burst of page views."""
        occurred = self.now - datetime.timedelta(minutes=self.rng.randint(1, 60 * 24 * 700))
        source = self.rng.choice(list(APP_EVENTS))
        if source == "Web analytics":
            pages = self.rng.sample(PAGES, self.rng.randint(1, 5))
            return [
                _event(
                    customer,
                    source,
                    "page_viewed",
                    f"Viewed {path}",
                    {
                        "url": f"https://www.example.com{path}",
                        "referrer": "https://www.example.com/",
                        "duration_s": self.rng.randint(3, 300),
                    },
                    occurred - datetime.timedelta(minutes=2 * n),
                )
                for n, path in enumerate(pages)
            ]
        type_, template = self.rng.choice(APP_EVENTS[source])
        ref = f"#{self.rng.randint(10000, 99999)}"
        properties = {
            "reference": ref,
            "amount": {"value": round(self.rng.uniform(5, 900), 2), "currency": "EUR"},
            "items": [{"sku": f"SKU-{self.rng.randint(100, 999)}", "quantity": self.rng.randint(1, 3)}],
        }
        return [_event(customer, source, type_, template.format(ref=ref), properties, occurred)]


def _options(*names):
    return [{"name": n, "value": n.lower().replace(" ", "_")} for n in names]


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if c.isascii() and c.isalnum())


def _identity(account, user, value, primary=False, verified=False):
    return Identity(
        account=account, user=user, type=IdentityType.EMAIL, value=value.lower(), primary=primary, verified=verified
    )


def _phone(account, user, value, primary=False, shared=False):
    line = PhoneLine.SHARED if shared else PhoneLine.DIRECT
    return Identity(
        account=account,
        user=user,
        type=IdentityType.PHONE,
        value=value,
        primary=primary,
        verified=True,
        phone_line=line,
    )


def _event(customer, source, type_, description, properties, occurred_at) -> NewEvent:
    return NewEvent(customer.pk, source, type_, description[:255], json.dumps(properties), occurred_at, None)
