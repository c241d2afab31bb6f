"""A real client of the original API, zenpy, against the live test server: existing integrations work by
changing only the base URL (zenpy's ZENPY_FORCE_NETLOC and ZENPY_FORCE_SCHEME)."""

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Identity as ZIdentity
from zenpy.lib.api_objects import Organization as ZOrganization
from zenpy.lib.api_objects import OrganizationMembership as ZMembership
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.api_objects import User as ZUser
from zenpy.lib.api_objects import UserField as ZUserField
from zenpy.lib.endpoint import MultipleIDEndpoint
from zenpy.lib.exception import APIException, RecordNotFoundException

from accounts.models import AuditEntry, Role, User
from accounts.services import api_token_create
from activity.models import Event
from custom_fields.models import CustomField, FieldType
from demo.factories import AccountFactory, CustomFieldFactory, TicketFactory, UserFactory
from profiles.models import Identity, OrganizationMembership
from tickets.models import Ticket, TicketCC

pytestmark = pytest.mark.django_db(transaction=True)
MAKE_DEFAULT = MultipleIDEndpoint("users/{}/organization_memberships/{}/make_default.json")


@pytest.fixture
def world(live_server, settings, monkeypatch):
    """Acme served at the live server's address (a bare IP names the default account), Alice its admin, and
    a zenpy client signed with her email and a token, as Zendesk's Basic form."""
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"
    acme = AccountFactory(name="Acme", subdomain="acme")
    alice = UserFactory(account=acme, role=Role.ADMIN, name="Alice Admin", email="alice@acme.test")
    secret = api_token_create(account=acme, actor=alice, name="zenpy")[1]
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", live_server.url.removeprefix("http://"))
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    client = Zenpy(subdomain="acme", email="alice@acme.test", token=secret, timeout=30)
    return {"account": acme, "alice": alice, "zenpy": client}


def test_zenpy_creates_shows_and_updates_a_customer_with_user_fields_and_tags(world):
    zenpy, acme = world["zenpy"], world["account"]
    CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan", type=FieldType.TEXT)

    created = zenpy.users.create(
        ZUser(name="Ann Buyer", email="Ann@Shop.test", user_fields={"plan": "gold"}, tags=["vip", "Early Bird"])
    )
    shown = zenpy.users(id=created.id)
    shown.name = "Ann B. Buyer"
    shown.user_fields = {"plan": "platinum"}
    shown.locale = "fr"
    updated = zenpy.users.update(shown)

    ann = User.objects.get(pk=created.id)
    assert (created.email, created.role, created.tags) == ("ann@shop.test", "end-user", ["vip", "early_bird"])
    assert (updated.name, updated.user_fields["plan"], updated.locale) == ("Ann B. Buyer", "platinum", "fr")
    assert (ann.name, ann.custom_fields, ann.locale) == ("Ann B. Buyer", {"plan": "platinum"}, "fr")
    # The agent's services ran: the timeline and the audit log say who did what.
    assert {"name_changed", "custom_field_changed", "locale_changed"} <= set(
        Event.objects.filter(customer=ann).values_list("type", flat=True)
    )
    assert AuditEntry.objects.filter(target_id=str(ann.pk), action="customer.created").exists()


def test_zenpy_maps_a_foreign_or_unknown_user_to_its_not_found_exception(world):
    dave = UserFactory(account=AccountFactory(subdomain="globex"), name="Dave Elsewhere")

    with pytest.raises(RecordNotFoundException):
        world["zenpy"].users(id=dave.pk)


def test_zenpy_refuses_a_duplicate_email_with_the_originals_error_naming_the_field(world):
    with pytest.raises(APIException) as refused:
        world["zenpy"].users.create(ZUser(name="Again", email="alice@acme.test"))

    assert refused.value.response.status_code == 422
    body = refused.value.response.json()
    assert body["error"] == "RecordInvalid"
    assert body["details"]["user.email"][0]["error"] == "DuplicateValue"


def test_zenpy_searches_customers_and_finds_one_by_external_id(world):
    acme = world["account"]
    UserFactory(account=acme, name="Bea Searchable", email="bea@shop.test", external_id="shop-42")
    UserFactory(account=acme, name="Someone Else", email="else@shop.test")

    found = list(world["zenpy"].users.search(query="bea@shop"))
    by_external_id = list(world["zenpy"].users.search(external_id="shop-42"))

    assert [u.name for u in found] == ["Bea Searchable"]
    assert [u.email for u in by_external_id] == ["bea@shop.test"]


def test_zenpy_adds_an_identity_makes_it_primary_and_deletes_the_old_one(world):
    zenpy, acme = world["zenpy"], world["account"]
    carol = UserFactory(account=acme, name="Carol Customer", email="carol@example.com")

    added = zenpy.users.identities.create(carol.pk, ZIdentity(type="email", value="carol@new.test", verified=True))
    listed = zenpy.users.identities.make_primary(carol.pk, added.id)
    old = Identity.objects.get(user=carol, value="carol@example.com")
    zenpy.users.identities.delete(carol.pk, old.pk)

    carol.refresh_from_db()
    assert [(i.value, i.primary) for i in listed] == [("carol@new.test", True), ("carol@example.com", False)]
    assert carol.email == "carol@new.test"
    assert list(Identity.objects.filter(user=carol).values_list("value", flat=True)) == ["carol@new.test"]


def test_zenpy_creates_an_organization_and_a_membership_makes_it_default_and_deletes_it(world):
    zenpy, acme = world["zenpy"], world["account"]
    carol = UserFactory(account=acme, name="Carol Customer", email="carol@example.com")
    first = zenpy.organizations.create(ZOrganization(name="First Co", domain_names=["first.test"]))
    second = zenpy.organizations.create(ZOrganization(name="Second Co"))

    zenpy.organization_memberships.create(ZMembership(user_id=carol.pk, organization_id=first.id))
    joined = zenpy.organization_memberships.create(ZMembership(user_id=carol.pk, organization_id=second.id))
    with pytest.raises(APIException) as again:
        zenpy.organization_memberships.create(ZMembership(user_id=carol.pk, organization_id=second.id))
    default = list(zenpy.users.organization_memberships(carol.pk))
    # zenpy has no call of its own for make_default: its generic request, on the original's path.
    zenpy.users._put(zenpy.users._build_url(MAKE_DEFAULT(carol.pk, joined.id)), payload={})
    after_default = OrganizationMembership.objects.get(pk=joined.id).default
    zenpy.organization_memberships.delete(zenpy.organization_memberships(id=joined.id))

    assert again.value.response.status_code == 422
    assert first.domain_names == ["first.test"]
    assert [m.default for m in default] == [True, False]
    assert after_default is True
    assert list(OrganizationMembership.objects.filter(user=carol).values_list("organization__name", "default")) == [
        ("First Co", True)
    ]


def test_zenpy_lists_a_users_requested_and_ccd_tickets_and_creates_one(world):
    zenpy, acme, alice = world["zenpy"], world["account"], world["alice"]
    carol = UserFactory(account=acme, name="Carol Customer", email="carol@example.com")
    requested = TicketFactory(account=acme, requester=carol, submitter=carol, subject="Where is my order?")
    other = TicketFactory(account=acme, subject="Team thread")
    TicketCC.objects.create(ticket=other, user=carol)

    created = zenpy.tickets.create(
        ZTicket(subject="Refund", comment={"body": "Please refund order 12."}, requester_id=carol.pk, priority="high")
    )

    assert [t.subject for t in zenpy.users.requested(carol.pk)] == ["Where is my order?", "Refund"]
    assert [t.id for t in zenpy.users.cced(carol.pk)] == [other.pk]
    ticket = Ticket.objects.get(pk=created.id)
    assert (ticket.requester, ticket.submitter, ticket.priority, ticket.description) == (
        carol,
        alice,
        "high",
        "Please refund order 12.",
    )
    assert Event.objects.filter(customer=carol, type="ticket_requested").count() == 1
    assert requested.pk != ticket.pk


def test_zenpy_creates_updates_and_deletes_a_user_field(world):
    zenpy = world["zenpy"]

    created = zenpy.user_fields.create(
        ZUserField(
            type="dropdown",
            title="Support plan",
            key="support_plan",
            custom_field_options=[{"name": "Gold", "value": "gold"}],
        )
    )
    created.title = "Plan"
    updated = zenpy.user_fields.update(created)
    listed = list(zenpy.user_fields())
    zenpy.user_fields.delete(updated)

    assert (updated.title, updated.key, [o.value for o in updated.custom_field_options]) == (
        "Plan",
        "support_plan",
        ["gold"],
    )
    assert [f.key for f in listed] == ["support_plan"]
    assert not CustomField.objects.filter(key="support_plan").exists()


def test_zenpy_pages_through_250_users_by_cursor(world):
    acme = world["account"]
    User.objects.bulk_create([User(account=acme, name=f"Bulk {n:03d}", email=f"bulk{n}@shop.test") for n in range(249)])

    seen = [u.id for u in world["zenpy"].users()]

    assert len(seen) == 250 == len(set(seen))
    assert seen == sorted(seen)


def test_zenpy_merges_a_customer_into_another_through_the_merge_service(world):
    zenpy, acme = world["zenpy"], world["account"]
    kept = UserFactory(account=acme, name="Camille Martin", email="camille@example.com")
    duplicate = UserFactory(account=acme, name="C. Martin", email="c.martin@example.net")
    TicketFactory(account=acme, requester=duplicate, submitter=duplicate, subject="Old request")

    merged = zenpy.users.merge(duplicate.pk, kept.pk)

    duplicate.refresh_from_db()
    assert merged.id == kept.pk and duplicate.merged_into_id == kept.pk
    assert list(Ticket.objects.filter(requester=kept).values_list("subject", flat=True)) == ["Old request"]
    assert set(Identity.objects.filter(user=kept).values_list("value", flat=True)) == {
        "camille@example.com",
        "c.martin@example.net",
    }
    assert Event.objects.filter(customer=kept, type="user_merged").exists()
    with pytest.raises(APIException):  # a team member can't be merged
        zenpy.users.merge(world["alice"].pk, kept.pk)
