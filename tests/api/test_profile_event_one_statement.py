"""POST /api/v2/user_profiles/events with a single identifier: on PostgreSQL a customer known by their
primary email or external id is found and the event stored in one statement; anyone else (a phone number, a
secondary email, a team member, a shared line, unknown here) goes the long way."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from activity.models import Event, EventKind
from api import profile_events
from demo.factories import IdentityFactory, PhoneIdentityFactory, UserFactory
from profiles.models import PhoneLine

URL = "/api/v2/user_profiles/events"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

CAROL = {
    "email": " Carol@Example.com ",
    "phone_number": "+33 1 23 45 67 89",
    "external_id": "shop-carol",
}


def body(type: str, value: str, **event) -> dict:
    return {
        "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": type, "value": value}]},
        "event": {"source": "Shop", "type": "order_placed", **event},
    }


def post(client, data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def details(response) -> dict:
    return {field: errors[0]["error"] for field, errors in response.json().get("details", {}).items()}


@pytest.fixture
def known(acme, carol):
    """Carol with a phone number and an external id, next to Erin who has others of each."""
    User.objects.filter(pk=carol.pk).update(external_id="shop-carol")
    PhoneIdentityFactory(user=carol, value="+33123456789")
    erin = UserFactory(account=acme, name="Erin", email="erin@example.com", external_id="shop-erin")
    PhoneIdentityFactory(user=erin, value="+33198765432")
    return carol


@pytest.fixture
def long_way(monkeypatch):
    """The calls that went the long way (`profile_events_store`), which still does the work."""
    calls = []
    real = profile_events.profile_events_store

    def recorded(**kwargs):
        calls.append(kwargs["items"])
        return real(**kwargs)

    monkeypatch.setattr(profile_events, "profile_events_store", recorded)
    return calls


# Known customers


@pytest.mark.parametrize("type", ["email", "phone_number", "external_id"])
def test_a_known_customer_named_by_one_identifier_gets_the_event(acme_api, known, type):
    response = post(acme_api, body(type, CAROL[type], id=f"by-{type}"))

    assert response.status_code == 202
    event = Event.objects.get()
    assert (event.customer, event.client_id) == (known, f"by-{type}")
    assert response.json()["event"]["user_id"] == known.pk
    assert response.json()["event"]["id"] == str(event.pk)
    assert EventKind.objects.get(customer=known).count == 1


@on_postgresql
@pytest.mark.parametrize("type", ["email", "external_id"])
def test_a_known_customer_on_postgresql_never_goes_the_long_way(acme_api, known, long_way, type):
    response = post(acme_api, body(type, CAROL[type]))

    assert response.status_code == 202
    assert long_way == []
    assert Event.objects.get().customer == known


@on_postgresql
@pytest.mark.parametrize("type, value", [("phone_number", CAROL["phone_number"]), ("email", "carol.alt@example.com")])
def test_a_phone_number_or_secondary_email_goes_the_long_way_to_the_same_customer(
    acme_api, known, long_way, type, value
):
    IdentityFactory(user=known, value="carol.alt@example.com", primary=False)

    response = post(acme_api, body(type, value))

    assert response.status_code == 202
    assert len(long_way) == 1
    assert Event.objects.get().customer == known


def test_events_of_a_kind_it_already_counted_add_to_its_tally_and_keep_the_latest_time(acme_api, known):
    post(acme_api, body("email", CAROL["email"], created_at="2024-05-17T09:30:00Z"))
    post(acme_api, body("email", CAROL["email"], created_at="2024-05-01T08:00:00Z"))  # an older one, sent later
    refund = body("email", CAROL["email"], created_at="2024-05-02T08:00:00Z")
    refund["event"]["type"] = "order_refunded"
    post(acme_api, refund)

    tallies = {k.type: (k.count, k.last_occurred_at.isoformat()) for k in EventKind.objects.filter(customer=known)}
    assert tallies == {
        "order_placed": (2, "2024-05-17T09:30:00+00:00"),
        "order_refunded": (1, "2024-05-02T08:00:00+00:00"),
    }
    assert Event.objects.filter(customer=known).count() == 3


@on_postgresql
def test_an_event_for_a_customer_known_by_external_id_takes_two_queries(acme_api, known):
    post(acme_api, body("email", "erin@example.com"))  # the token's "last used" mark is written once a minute

    with CaptureQueriesContext(connection) as queries:
        response = post(acme_api, body("external_id", "shop-carol", id="e2"))

    assert response.status_code == 202
    # Account from the host with the token, then one statement finding Carol, storing the event and
    # counting it.
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert Event.objects.get(client_id="e2").customer == known


# Anyone else: the long way, with its answers


@pytest.mark.parametrize(
    "type, value",
    [("email", "staff@acme.test"), ("phone_number", "+33 6 11 22 33 44"), ("external_id", "staff-7")],
)
def test_a_team_members_identifier_is_refused_as_not_a_customer(acme_api, acme, type, value):
    member = UserFactory(account=acme, role=Role.AGENT, email="staff@acme.test", external_id="staff-7")
    PhoneIdentityFactory(user=member, value="+33611223344")
    users = User.objects.count()

    response = post(acme_api, body(type, value))

    assert response.status_code == 422
    assert details(response) == {"profile.identifiers": "NotACustomer"}
    assert not Event.objects.exists() and not EventKind.objects.exists()
    assert User.objects.count() == users


@pytest.mark.parametrize("other_role", [Role.END_USER, Role.AGENT])
def test_a_phone_number_several_people_share_names_nobody(acme_api, acme, carol, other_role):
    other = UserFactory(account=acme, role=other_role, name="Erin")
    for owner in (carol, other):
        PhoneIdentityFactory(user=owner, value="+33123456789", phone_line=PhoneLine.SHARED)
    users = User.objects.count()

    response = post(acme_api, body("phone_number", "+33 1 23 45 67 89"))

    assert response.status_code == 422
    assert details(response) == {"profile.identifiers": "NotFound"}
    assert not Event.objects.exists() and not EventKind.objects.exists()
    assert User.objects.count() == users


@pytest.fixture
def dave_known_to_globex(dave):
    User.objects.filter(pk=dave.pk).update(external_id="globex-dave")
    PhoneIdentityFactory(user=dave, value="+442079460000")
    return dave


@pytest.mark.parametrize("type, value", [("email", "dave@example.com"), ("external_id", "globex-dave")])
def test_an_email_or_external_id_of_another_accounts_customer_makes_a_customer_of_our_own(
    acme_api, acme, dave_known_to_globex, type, value
):
    response = post(acme_api, body(type, value))

    assert response.status_code == 202
    customer = User.objects.get(pk=response.json()["event"]["user_id"])
    assert customer.account == acme and customer != dave_known_to_globex
    assert Event.objects.filter(type="order_placed").get().customer == customer
    assert not Event.objects.filter(customer=dave_known_to_globex).exists()
    assert not EventKind.objects.filter(customer=dave_known_to_globex).exists()


def test_a_phone_number_of_another_accounts_customer_names_nobody(acme_api, acme, dave_known_to_globex):
    response = post(acme_api, body("phone_number", "+44 20 7946 0000"))

    assert response.status_code == 422
    assert details(response) == {"profile.identifiers": "NotFound"}
    assert not Event.objects.exists() and not EventKind.objects.exists()
