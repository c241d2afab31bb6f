"""GET /api/v2/users/{id}/events: a user's events, newest first, filtered, by cursor."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from activity.ingest import NewEvent, events_ingest

T0 = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)


def store(customer, source, type, at, **fields):
    [stored] = events_ingest(
        account_id=customer.account_id,
        events=[NewEvent(customer.pk, source, type, fields.get("description", ""), "{}", at, None)],
    )
    return stored.id


@pytest.fixture
def history(carol):
    """Five events a day apart, newest last: (id, source, type, day)."""
    kinds = [("Shop", "order_placed"), ("Shop", "page_viewed"), ("Web", "page_viewed"), ("Shop", "order_placed"),
             ("Web", "signed_up")]  # fmt: skip
    return [
        store(carol, source, type, T0 + datetime.timedelta(days=n), description=f"{source} {type} {n}")
        for n, (source, type) in enumerate(kinds)
    ]


def ids(response) -> list[int]:
    return [int(e["id"]) for e in response.json()["data"]]


def url(carol, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v2/users/{carol.pk}/events" + (f"?{query}" if query else "")


def follow(client, link: str):
    parts = urlsplit(link)
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def test_a_users_events_come_newest_first_in_zendesks_shape(acme_api, carol, history):
    response = acme_api.get(url(carol))

    assert response.status_code == 200
    payload = response.json()
    assert ids(response) == history[::-1]
    assert payload["data"][0] == {
        "id": str(history[4]),
        "user_id": carol.pk,
        "source": "Web",
        "type": "signed_up",
        "description": "Web signed_up 4",
        "properties": {},
        "created_at": "2026-05-05T12:00:00Z",
        "received_at": payload["data"][0]["received_at"],
    }
    assert payload["links"] == {"next": None, "prev": None}
    assert payload["meta"] == {"has_more": False, "after_cursor": None, "before_cursor": None}


def test_cursors_page_forward_and_back(acme_api, carol, history):
    first = acme_api.get(url(carol, **{"page[size]": 2}))
    second = follow(acme_api, first.json()["links"]["next"])
    third = follow(acme_api, second.json()["links"]["next"])

    assert [ids(first), ids(second), ids(third)] == [history[4:2:-1], history[2:0:-1], history[0:1]]
    assert first.json()["meta"]["has_more"] and second.json()["meta"]["has_more"]
    assert third.json()["links"]["next"] is None and not third.json()["meta"]["has_more"]
    assert first.json()["links"]["prev"] is None
    assert first.json()["links"]["next"].startswith("http://acme.localhost/api/v2/users/")

    back = follow(acme_api, third.json()["links"]["prev"])
    back_again = follow(acme_api, back.json()["links"]["prev"])

    assert ids(back) == ids(second)
    assert ids(back_again) == ids(first)
    assert back_again.json()["links"]["prev"] is None


def test_cursors_keep_the_filters(acme_api, carol, history):
    first = acme_api.get(url(carol, **{"filter[source]": "Shop", "page[size]": 1}))
    rest = [first]
    while rest[-1].json()["links"]["next"]:
        rest.append(follow(acme_api, rest[-1].json()["links"]["next"]))

    assert [i for page in rest for i in ids(page)] == [history[3], history[1], history[0]]


def test_events_with_the_same_time_page_by_id_without_loss(acme_api, carol):
    same = [store(carol, "Shop", "tick", T0) for _ in range(5)]

    seen = []
    response = acme_api.get(url(carol, **{"page[size]": 2}))
    seen += ids(response)
    while response.json()["links"]["next"]:
        response = follow(acme_api, response.json()["links"]["next"])
        seen += ids(response)

    assert seen == sorted(same, reverse=True)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"filter[source]": "Web"}, [4, 2]),
        ({"filter[source]": "Shop", "filter[type]": "order_placed"}, [3, 0]),
        ({"filter[source]": "Nope"}, []),
        ({"filter[start_time]": "2026-05-03T12:00:00Z"}, [4, 3, 2]),
        ({"filter[end_time]": "2026-05-02T12:00:00Z"}, [1, 0]),
        ({"filter[end_time]": "2026-05-02"}, [1, 0]),
        ({"filter[start_time]": "2026-05-02", "filter[end_time]": "2026-05-03"}, [2, 1]),
        ({"filter[start_time]": "2026-05-03T14:00:00+02:00", "filter[source]": "Web"}, [4, 2]),
    ],
)
def test_filters_narrow_the_events(acme_api, carol, history, params, expected):
    response = acme_api.get(url(carol), params)

    assert response.status_code == 200
    assert ids(response) == [history[n] for n in expected]


def test_page_size_defaults_to_and_is_capped_at_100(acme_api, carol):
    moments = [T0 + datetime.timedelta(seconds=n) for n in range(101)]
    events_ingest(
        account_id=carol.account_id, events=[NewEvent(carol.pk, "Shop", "t", "", "{}", m, None) for m in moments]
    )

    assert len(ids(acme_api.get(url(carol)))) == 100
    assert len(ids(acme_api.get(url(carol, **{"page[size]": 100})))) == 100
    assert acme_api.get(url(carol, **{"page[size]": 101})).status_code == 400


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page[size]": "101"}, "page[size]"),
        ({"page[size]": "0"}, "page[size]"),
        ({"page[size]": "ten"}, "page[size]"),
        ({"page[after]": "garbage!"}, "page[after]"),
        ({"page[before]": "WyJub3QgYSB0aW1lIiwgMV0"}, "page[before]"),  # ["not a time", 1]
        ({"page[after]": "WzEsMl0"}, "page[after]"),  # [1, 2]
        ({"filter[type]": "order_placed"}, "filter[type]"),
        ({"filter[start_time]": "last week"}, "filter[start_time]"),
        ({"filter[end_time]": "2026-13-01"}, "filter[end_time]"),
    ],
)
def test_a_bad_parameter_is_named(acme_api, carol, params, field):
    response = acme_api.get(url(carol), params)

    assert response.status_code == 400
    assert list(response.json()["details"]) == [field]


def test_only_get_is_allowed(acme_api, carol):
    response = acme_api.post(url(carol), {}, content_type="application/json")

    assert response.status_code == 405


# Tenant isolation on reads


def test_a_user_of_another_account_is_not_found(acme_api, dave):
    store(dave, "Shop", "secret", T0)

    response = acme_api.get(url(dave))

    assert response.status_code == 404
    assert response.json()["error"] == "RecordNotFound"
    assert "secret" not in response.content.decode()


def test_another_accounts_token_cannot_read_this_accounts_customers(globex_api, carol, history):
    response = globex_api.get(url(carol))

    assert response.status_code == 404
    assert "Shop" not in response.content.decode()


def test_an_unknown_user_is_not_found(acme_api, carol):
    assert acme_api.get("/api/v2/users/999999/events").status_code == 404


def test_reading_needs_a_token(anonymous, carol, history):
    response = anonymous.get(url(carol))

    assert response.status_code == 401
    assert "details" in response.json()
