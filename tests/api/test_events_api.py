"""POST /api/v2/user_profiles/events: one event for the customer a profile names."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry, Role, User
from accounts.services import api_token_create
from activity.models import Event, EventKind
from demo.factories import PhoneIdentityFactory, UserFactory
from profiles.models import Identity, PhoneLine
from tests.conftest import api_client

URL = "/api/v2/user_profiles/events"


def body(*identifiers, **event) -> dict:
    identifiers = identifiers or ({"type": "email", "value": "carol@example.com"},)
    return {
        "profile": {"source": "shop", "type": "customer", "identifiers": list(identifiers)},
        "event": {"source": "Shop", "type": "order_placed", "description": "Placed order #12", **event},
    }


def first_identifier(data: dict) -> dict:
    return data["profile"]["identifiers"][0]


def post(client, data, path=URL, **extra):
    raw = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(path, data=raw, content_type=extra.pop("content_type", "application/json"), **extra)


def details(response) -> dict:
    payload = response.json()
    return {field: errors[0]["error"] for field, errors in payload.get("details", {}).items()}


# Storing


def test_an_event_for_a_known_email_lands_on_that_customers_timeline(acme_api, carol):
    response = post(
        acme_api,
        body(
            {"type": "email", "value": " Carol@Example.com "},
            properties={"order": {"id": 12, "total": 99.5}},
            created_at="2026-05-17T09:30:00+02:00",
        ),
    )

    assert response.status_code == 202
    event = Event.objects.get()
    assert (event.customer, event.source, event.type, event.description) == (
        carol,
        "Shop",
        "order_placed",
        "Placed order #12",
    )
    assert event.occurred_at == datetime.datetime(2026, 5, 17, 7, 30, tzinfo=datetime.UTC)
    assert response.json() == {
        "event": {
            "id": str(event.pk),
            "user_id": carol.pk,
            "source": "Shop",
            "type": "order_placed",
            "description": "Placed order #12",
            "properties": {"order": {"id": 12, "total": 99.5}},
            "created_at": "2026-05-17T07:30:00Z",
            "received_at": response.json()["event"]["received_at"],
        }
    }
    assert EventKind.objects.get(customer=carol).count == 1


def test_an_event_without_a_time_happened_when_it_arrived(acme_api, carol):
    post(acme_api, body())

    event = Event.objects.get()
    assert abs(event.occurred_at - event.received_at) < datetime.timedelta(seconds=1)


def test_a_customer_is_found_by_phone_number(acme_api, acme, carol):
    PhoneIdentityFactory(user=carol, value="+33123456789")

    response = post(acme_api, body({"type": "phone_number", "value": "+33 1 23 45 67 89"}))

    assert response.status_code == 202
    assert Event.objects.get().customer == carol


def test_a_customer_is_found_by_external_id_first(acme_api, acme, carol):
    erin = UserFactory(account=acme, name="Erin", external_id="shop-42")

    response = post(
        acme_api, body({"type": "email", "value": "carol@example.com"}, {"type": "external_id", "value": "shop-42"})
    )

    assert response.status_code == 202
    assert Event.objects.get().customer == erin


def test_an_unknown_email_creates_the_customer_with_that_primary_email(acme_api, acme, alice):
    data = body({"type": "email", "value": "New.Person@Example.org"}, {"type": "external_id", "value": "shop-7"})
    data["profile"]["name"] = "New Person"

    response = post(acme_api, data)

    assert response.status_code == 202
    customer = User.objects.get(account=acme, email="new.person@example.org")
    assert (customer.name, customer.role, customer.external_id) == ("New Person", Role.END_USER, "shop-7")
    assert not customer.has_usable_password()
    identity = Identity.objects.get(user=customer)
    assert (identity.value, identity.primary, identity.verified) == ("new.person@example.org", True, False)
    assert response.json()["event"]["user_id"] == customer.pk
    assert set(Event.objects.filter(customer=customer).values_list("type", flat=True)) == {
        "identity_created",
        "order_placed",
    }
    entry = AuditEntry.objects.get(action="customer.created")
    assert (entry.actor, entry.target_id) == (alice, str(customer.pk))


def test_an_unknown_external_id_alone_creates_the_customer(acme_api, acme):
    response = post(acme_api, body({"type": "external_id", "value": "crm-991"}))

    assert response.status_code == 202
    customer = User.objects.get(account=acme, external_id="crm-991")
    assert (customer.name, customer.email) == ("crm-991", "")


def test_an_unknown_phone_number_alone_names_nobody_and_stores_nothing(acme_api, acme):
    users = User.objects.count()

    response = post(acme_api, body({"type": "phone_number", "value": "+33123456789"}))

    assert response.status_code == 422
    assert details(response) == {"profile.identifiers": "NotFound"}
    assert User.objects.count() == users and not Event.objects.exists()


def test_a_shared_phone_line_names_nobody_in_particular(acme_api, acme, carol):
    erin = UserFactory(account=acme, name="Erin")
    for owner in (carol, erin):
        PhoneIdentityFactory(user=owner, value="+33123456789", phone_line=PhoneLine.SHARED)

    response = post(acme_api, body({"type": "phone_number", "value": "+33123456789"}))

    assert response.status_code == 422
    assert not Event.objects.exists()


def test_events_are_not_recorded_on_team_members(acme_api, bob):
    response = post(acme_api, body({"type": "email", "value": "bob@acme.test"}))

    assert response.status_code == 422
    assert details(response) == {"profile.identifiers": "NotACustomer"}
    assert not Event.objects.exists()


# Idempotency


def test_the_same_event_id_twice_stores_one_event(acme_api, carol):
    first = post(acme_api, body(id="order-12-placed"))

    again = post(acme_api, body(id="order-12-placed", description="Retried"))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["event"] == first.json()["event"]
    assert Event.objects.count() == 1
    assert EventKind.objects.get(customer=carol).count == 1


def test_the_same_event_id_in_another_account_is_another_event(acme_api, globex_api, carol, dave):
    post(acme_api, body(id="order-1"))

    response = post(globex_api, body({"type": "email", "value": "dave@example.com"}, id="order-1"))

    assert response.status_code == 202
    assert Event.objects.filter(customer=dave).count() == 1


# Bad input: a JSON error naming the field, and nothing stored


@pytest.mark.parametrize(
    "change, field, code",
    [
        (lambda b: b["event"].pop("source"), "event.source", "Required"),
        (lambda b: b["event"].pop("type"), "event.type", "Required"),
        (lambda b: b["event"].update(source="  "), "event.source", "Blank"),
        (lambda b: b["event"].update(type=7), "event.type", "InvalidType"),
        (lambda b: b["event"].update(properties=["not", "an", "object"]), "event.properties", "InvalidType"),
        (lambda b: b["event"].update(properties="{}"), "event.properties", "InvalidType"),
        (lambda b: b["event"].update(properties={"blob": "x" * 33_000}), "event.properties", "TooLarge"),
        (lambda b: b["event"].update(created_at="17/05/2026"), "event.created_at", "InvalidValue"),
        (lambda b: b["event"].update(created_at=1715938200), "event.created_at", "InvalidValue"),
        (lambda b: b["event"].update(description="d" * 256), "event.description", "TooLong"),
        (lambda b: b["event"].update(id=""), "event.id", "InvalidType"),
        (lambda b: b["event"].update(source="support"), "event.source", "Reserved"),
        (lambda b: first_identifier(b).update(type="fax"), "profile.identifiers[0].type", "InvalidValue"),
        (lambda b: first_identifier(b).update(value="carol"), "profile.identifiers[0].value", "InvalidValue"),
        (lambda b: first_identifier(b).update(value=""), "profile.identifiers[0].value", "Blank"),
        (lambda b: b["profile"]["identifiers"].append("carol"), "profile.identifiers[1]", "InvalidType"),
        (lambda b: b["profile"].update(identifiers=[]), "profile.identifiers", "Required"),
        (lambda b: b["profile"].pop("source"), "profile.source", "Required"),
        (lambda b: b["profile"].update(type=""), "profile.type", "Blank"),
        (lambda b: b.pop("profile"), "profile", "Required"),
        (lambda b: b.update(event="clicked"), "event", "InvalidType"),
    ],
)  # fmt: skip
def test_a_bad_field_is_named_and_nothing_is_stored(acme_api, carol, change, field, code):
    data = body()
    change(data)

    response = post(acme_api, data)

    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"
    assert details(response) == {field: code}
    assert not Event.objects.exists() and not EventKind.objects.exists()


def test_every_bad_field_is_named_at_once(acme_api, carol):
    response = post(
        acme_api,
        {"profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "fax", "value": "1"}]},
         "event": {"properties": 3}},
    )  # fmt: skip

    assert set(details(response)) == {"profile.identifiers[0].type", "event.source", "event.type", "event.properties"}


@pytest.mark.parametrize(
    "raw, content_type, status, field",
    [
        ("{not json", "application/json", 400, "body"),
        ("  ", "application/json", 400, "body"),
        ("[1, 2]", "application/json", 400, "body"),
        ('"just a string"', "application/json", 400, "body"),
        ('{"event": NaN}', "application/json", 400, "body"),
        (b"\xff\xfe{}", "application/json", 400, "body"),
        ("[" * 100_000 + "]" * 100_000, "application/json", 413, "body"),
        ("[" * 30_000 + "]" * 30_000, "application/json", 400, "body"),
        ("source=Shop&type=x", "application/x-www-form-urlencoded", 415, "Content-Type"),
        ("{}", "text/plain", 415, "Content-Type"),
    ],
)
def test_an_unreadable_body_is_refused_with_a_json_error(acme_api, carol, raw, content_type, status, field):
    response = post(acme_api, raw, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["details"]
    assert not Event.objects.exists()


def test_an_empty_body_is_refused(acme_api, carol):
    response = acme_api.post(URL, CONTENT_TYPE="application/json")

    assert response.status_code == 400
    assert details(response) == {"body": "InvalidValue"}


def test_a_body_over_64_kb_is_too_large(acme_api, carol):
    response = post(acme_api, body(description="x", properties={"blob": "x" * 70_000}))

    assert response.status_code == 413
    assert details(response) == {"body": "TooLarge"}


def test_a_json_content_type_with_a_charset_is_fine(acme_api, carol):
    response = post(acme_api, body(), content_type="application/json; charset=utf-8")

    assert response.status_code == 202


def test_only_post_is_allowed(acme_api):
    response = acme_api.get(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert details(response) == {"method": "InvalidValue"}


def test_nul_characters_and_lone_surrogates_are_refused_not_a_crash(acme_api, carol):
    raw = '{"profile": {"source": "s", "type": "t", "identifiers": [{"type": "email", "value": "carol@example.com"}]},'
    bad = [
        raw + '"event": {"source": "Shop", "type": "a\\u0000b"}}',
        raw + '"event": {"source": "Shop", "type": "t", "properties": {"k": "\\ud800"}}}',
        raw + '"event": {"source": "Shop", "type": "t", "description": "\\udfff"}}',
    ]

    statuses = [post(acme_api, data).status_code for data in bad]

    assert statuses == [422, 422, 422]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "profile, field",
    [
        ({"name": "Eve\x00"}, "profile.name"),
        ({"source": "sh\ud800op"}, "profile.source"),
        ({"identifiers": [{"type": "external_id", "value": "x\x00"}]}, "profile.identifiers[0].value"),
        ({"identifiers": [{"type": "external_id", "value": "\udc00"}]}, "profile.identifiers[0].value"),
        ({"identifiers": [{"type": "email", "value": "a\x00@example.com"}]}, "profile.identifiers[0].value"),
    ],
)
def test_nul_characters_and_lone_surrogates_in_the_profile_are_named(acme_api, carol, profile, field):
    fields = {
        "source": "shop",
        "type": "customer",
        "identifiers": [{"type": "external_id", "value": "eve-1"}],
        **profile,
    }
    users = User.objects.count()

    # json.dumps writes NUL and lone surrogates as \u escapes, as a client's encoder would.
    response = post(acme_api, json.dumps({"profile": fields, "event": {"source": "Shop", "type": "t"}}))

    assert response.status_code == 422
    assert details(response) == {field: "InvalidValue"}
    assert not Event.objects.exists() and User.objects.count() == users


# Tenant isolation on writes


def test_a_token_of_another_account_cannot_write_to_its_customers(globex_api, carol, dave):
    response = post(globex_api, body({"type": "email", "value": "carol@example.com"}))

    # Globex has no Carol: it gets a customer of its own with that address, and Acme's Carol is untouched.
    assert response.status_code == 202
    created = User.objects.get(pk=response.json()["event"]["user_id"])
    assert created.account == dave.account and created != carol
    assert not Event.objects.filter(customer=carol).exists()


def test_a_token_is_refused_on_another_accounts_host(acme, alice, carol, globex):
    _token, secret = api_token_create(account=acme, actor=alice, name="Shop")

    response = post(api_client(globex, secret), body({"type": "email", "value": "carol@example.com"}))

    assert response.status_code == 401
    assert not Event.objects.exists()


# Speed


def test_storing_an_event_for_a_known_customer_takes_two_queries_on_postgresql(acme_api, carol):
    with CaptureQueriesContext(connection) as queries:
        response = post(acme_api, body(id="e1"))

    assert response.status_code == 202
    # This endpoint takes every event an app sends, one request each: its cost is the ingestion rate.
    # Account from the host with the token in the same query (+ the token's "last used" once a minute),
    # then one statement finding the customer by identifier, claiming the event id, storing the event and
    # counting it. SQLite has no such statement: it looks the customer up, then the event id, then counts,
    # inserts the event and claims its id.
    expected = 3 if connection.vendor == "postgresql" else 7
    assert len(queries) == expected, [q["sql"] for q in queries]

    with CaptureQueriesContext(connection) as queries:
        post(acme_api, body(id="e2"))

    assert len(queries) == expected - 1
