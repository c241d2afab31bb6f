"""POST /api/v2/user_profiles/events/create_many: many events at once, each accepted or refused on its own."""

import pytest

from accounts.models import User
from activity.models import Event, EventKind
from api import events as api
from tests.api.test_events_api import body, details, post

URL = "/api/v2/user_profiles/events/create_many"


def email(value):
    return {"type": "email", "value": value}


def test_a_batch_stores_every_event_and_reports_each(acme_api, carol):
    events = [body(type="page_viewed", id=f"view-{n}") for n in range(3)] + [body(type="order_placed")]

    response = post(acme_api, {"events": events}, path=URL)

    assert response.status_code == 202
    payload = response.json()
    assert payload["meta"] == {"created": 4, "duplicate": 0, "invalid": 0}
    stored = {str(e.pk): e for e in Event.objects.filter(customer=carol)}
    assert [r["status"] for r in payload["results"]] == ["created"] * 4
    assert [stored[r["id"]].type for r in payload["results"]] == ["page_viewed"] * 3 + ["order_placed"]
    assert {(k.type, k.count) for k in EventKind.objects.filter(customer=carol)} == {
        ("page_viewed", 3),
        ("order_placed", 1),
    }


def test_bad_items_are_reported_by_index_and_the_good_ones_stored(acme_api, carol):
    events = [
        body(type="ok_1"),
        body(type=""),
        "not an object",
        body({"type": "fax", "value": "123"}),
        body(type="ok_2", properties={"blob": "x" * 33_000}),
        body(type="ok_3"),
    ]

    response = post(acme_api, {"events": events}, path=URL)

    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "invalid", "invalid", "invalid", "created"]
    assert {r["index"]: set(r["details"]) for r in results if r["status"] == "invalid"} == {
        1: {"event.type"},
        2: {"events[2]"},
        3: {"profile.identifiers[0].type"},
        4: {"event.properties"},
    }
    assert response.json()["meta"] == {"created": 2, "duplicate": 0, "invalid": 4}
    assert sorted(Event.objects.values_list("type", flat=True)) == ["ok_1", "ok_3"]


def test_a_batch_of_only_bad_items_is_refused(acme_api, carol):
    response = post(acme_api, {"events": [body(type=""), body(source=None)]}, path=URL)

    assert response.status_code == 422
    assert response.json()["meta"]["invalid"] == 2
    assert not Event.objects.exists()


def test_event_ids_already_stored_or_repeated_are_stored_once(acme_api, carol):
    post(acme_api, body(id="a"))

    response = post(acme_api, {"events": [body(id="a"), body(id="b"), body(id="b"), body(id="c")]}, path=URL)

    results = response.json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "created", "duplicate", "created"]
    assert results[2]["id"] == results[1]["id"]
    assert Event.objects.count() == 3
    assert EventKind.objects.get(customer=carol).count == 3

    again = post(acme_api, {"events": [body(id="c"), body(id="b")]}, path=URL)

    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert [r["id"] for r in again.json()["results"]] == [results[3]["id"], results[1]["id"]]
    assert Event.objects.count() == 3


def test_an_unknown_email_named_twice_creates_one_customer(acme_api, acme):
    events = [body(email("new@example.org"), type=f"t{n}") for n in range(3)]

    response = post(acme_api, {"events": events}, path=URL)

    assert response.status_code == 202
    customer = User.objects.get(account=acme, email="new@example.org")
    assert Event.objects.filter(customer=customer).exclude(type="identity_created").count() == 3


def test_events_for_several_customers_land_on_each(acme_api, acme, carol):
    erin = User.objects.create(account=acme, name="Erin", external_id="e-1")

    response = post(
        acme_api,
        {"events": [body(email("carol@example.com")), body({"type": "external_id", "value": "e-1"})]},
        path=URL,
    )

    assert response.status_code == 202
    assert Event.objects.get(customer=carol) and Event.objects.get(customer=erin)


@pytest.mark.parametrize(
    "data, code",
    [({}, "Required"), ({"events": []}, "Required"), ({"events": {"0": {}}}, "Required")],
)
def test_a_batch_without_events_is_refused(acme_api, data, code):
    response = post(acme_api, data, path=URL)

    assert response.status_code == 422
    assert details(response) == {"events": code}


def test_a_batch_of_more_than_1000_events_is_refused_whole(acme_api, carol):
    response = post(acme_api, {"events": [body()] * 1001}, path=URL)

    assert response.status_code == 422
    assert details(response) == {"events": "TooMany"}
    assert not Event.objects.exists()


def test_a_batch_of_1000_events_is_fine(acme_api, carol):
    response = post(acme_api, {"events": [body()] * 1000}, path=URL)

    assert response.status_code == 202
    assert Event.objects.count() == 1000
    assert EventKind.objects.get(customer=carol).count == 1000


def test_a_batch_over_the_size_limit_is_refused_unread(acme_api, carol, monkeypatch):
    monkeypatch.setattr(api, "BATCH_MAX_BYTES", 10_000)

    response = post(acme_api, {"events": [body()] * 100}, path=URL)

    assert response.status_code == 413
    assert details(response) == {"body": "TooLarge"}
    assert not Event.objects.exists()


def test_a_batch_cannot_reach_another_accounts_customers(globex_api, carol, dave):
    response = post(globex_api, {"events": [body(email("carol@example.com")), body(email("dave@example.com"))]},
                    path=URL)  # fmt: skip

    assert response.status_code == 202
    assert not Event.objects.filter(customer=carol).exists()
    assert Event.objects.filter(customer=dave).count() == 1


def test_a_batch_needs_a_token(anonymous, carol):
    response = post(anonymous, {"events": [body()]}, path=URL)

    assert response.status_code == 401
    assert not Event.objects.exists()
