"""Crafted cursors: a list page starts at the top, the API answers 400 naming the parameter, never a 500."""

import base64
import datetime
import json

import pytest

from accounts.services import account_set_customer_profile
from common.keyset import cursor_values, encode_cursor
from demo.factories import TicketFactory, UserFactory


def crafted(raw: str) -> str:
    """A cursor as an attacker makes it: any text, base64url-encoded like a real one."""
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# Each is valid base64 of JSON (or close to it), of a shape no list ever wrote.
HOSTILE = [
    crafted('["x",1]'),
    crafted('[1,"x"]'),
    crafted('["9999-12-31T23:59:59-14:00",1]'),
    crafted('["0001-01-01T00:00:00+14:00",1]'),
    crafted('["2026-01-01T00:00:00+00:00",99999999999999999999999]'),
    crafted('["2026-01-01T00:00:00+00:00",true]'),
    crafted('["a\\u0000b",1]'),
    crafted('["\\ud800",1]'),
    crafted("[NaN,1]"),
    crafted("[null,1]"),
    crafted("[[],{}]"),
    crafted("[1,2,3]"),
    crafted('{"a":1}'),
    "not base64 at all!",
    "A" * 2000,
]


@pytest.mark.parametrize("cursor", HOSTILE)
def test_a_cursor_no_list_could_have_made_has_no_values(cursor):
    assert cursor_values(cursor, [datetime.datetime, int]) is None


def test_a_cursor_a_list_made_reads_back_as_its_values():
    moment = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC)

    values = cursor_values(encode_cursor([moment, 42]), [datetime.datetime, int])

    assert values == [moment, 42]


def test_a_moment_at_the_edge_of_time_still_reads_back():
    moment = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)

    assert cursor_values(encode_cursor([moment, 1]), [datetime.datetime, int]) == [moment, 1]


@pytest.fixture
def customers(acme):
    return [UserFactory(account=acme, name=f"Customer {i:02d}") for i in range(30)]


@pytest.mark.parametrize("cursor", HOSTILE)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_crafted_cursor_on_search_shows_the_first_page(as_bob, customers, cursor, direction):
    response = as_bob.get("/agent/users/", {"q": "Customer", direction: cursor})

    assert response.status_code == 200
    if cursor_values(cursor, [str, int]) is None:  # else it is a place in the list, say after the name "x"
        assert [c.name for c in response.context["page"].items][:2] == ["Customer 00", "Customer 01"]


@pytest.fixture
def new_page(acme, alice, as_bob):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})
    return as_bob


@pytest.mark.parametrize("cursor", HOSTILE)
@pytest.mark.parametrize("sort", ["updated", "subject", "status", "assignee"])
def test_a_crafted_cursor_on_the_tickets_tab_shows_the_first_page(new_page, carol, cursor, sort):
    TicketFactory(account=carol.account, requester=carol, submitter=carol, subject="First")

    response = new_page.get(f"/agent/users/{carol.pk}/", {"tab": "tickets", "sort": sort, "after": cursor})

    assert response.status_code == 200
    if sort in ("updated", "status") or cursor_values(cursor, [str, int]) is None:
        assert [t.subject for t in response.context["ticket_page"].items] == ["First"]


@pytest.mark.parametrize("cursor", HOSTILE)
def test_a_crafted_cursor_on_the_activity_tab_shows_the_newest_events(new_page, carol, cursor):
    response = new_page.get(f"/agent/users/{carol.pk}/", {"tab": "activity", "after": cursor})

    assert response.status_code == 200
    assert response.context["timeline_page"].prev_cursor is None


@pytest.mark.parametrize("cursor", HOSTILE)
def test_a_crafted_cursor_on_the_portal_shows_the_first_page(as_carol, carol, cursor):
    TicketFactory(account=carol.account, requester=carol, submitter=carol, subject="Mine")

    response = as_carol.get("/portal/", {"before": cursor})

    assert response.status_code == 200
    assert [t.subject for t in response.context["page"].items] == ["Mine"]


@pytest.mark.parametrize("cursor", HOSTILE)
@pytest.mark.parametrize("name", ["page[after]", "page[before]"])
def test_a_crafted_cursor_on_the_events_api_is_a_400_naming_the_parameter(acme_api, carol, cursor, name):
    response = acme_api.get(f"/api/v2/users/{carol.pk}/events", {name: cursor})

    assert response.status_code == 400
    assert list(json.loads(response.content)["details"]) == [name]
