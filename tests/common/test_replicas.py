"""Reads from a replica, writes on the primary: the router, read-your-writes and what happens when a replica
fails. The replica here is a second connection to the test database (what a replica at no lag would
answer), so every database runs these; tests/test_streaming_replica.py does it with a real one.
"""

import time

import pytest
from django.db import OperationalError, connections, transaction

from accounts.models import ApiToken, User
from accounts.services import account_set_customer_profile, api_token_create
from activity.services import event_record
from common import replica_health
from common.replicas import WROTE_COOKIE, ReplicaRouter, replica_reads
from demo.factories import CustomFieldFactory, TicketFactory
from tests.conftest import api_client, client_for
from tests.replicas import REQUEST_LOOKUPS, add_replica, forget_writes, remove_replica, served, use_new_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(settings):
    """One replica configured: "replica1", at no lag."""
    add_replica("replica1")
    settings.DATABASE_REPLICAS = ["replica1"]
    yield "replica1"
    remove_replica("replica1")


@pytest.fixture
def new_page(acme, alice, bob):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    use_new_page(bob)
    return client_for(bob)


def _save_name(client, customer, name: str):
    """Customer details saved with a new name, the rest as the tab showed it."""
    form = client.get(f"/agent/users/{customer.pk}/?tab=details").context["details_form"]
    data = {n: form[n].value() for n, field in form.fields.items() if not field.disabled}
    data = {n: ("on" if v is True else v) for n, v in data.items() if v not in (None, False)}
    return client.post(f"/agent/users/{customer.pk}/details/", data | {"name": name})


# Without replicas


def test_without_replicas_the_router_decides_nothing_and_no_cookie_is_set(new_page, carol):
    router = ReplicaRouter()

    response = new_page.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})

    assert router.db_for_read(User) is None and router.db_for_write(User) is None
    assert WROTE_COOKIE not in response.cookies
    assert new_page.get(f"/agent/users/{carol.pk}/").status_code == 200


# The profile page


def test_the_profile_page_reads_from_the_replica_all_but_the_request_s_own_lookups(replica, new_page, carol):
    for i in range(12):
        event_record(customer=carol, source="Shop", type="order_placed", description=f"order {i}")

    with served("default", "replica1") as db:
        response = new_page.get(f"/agent/users/{carol.pk}/")

    assert response.status_code == 200 and "order 11" in response.content.decode()
    # Before the view: the host's account, the session and the team member, on the primary. Nothing else is
    # read there: the customer, their facts, the timeline and its filters all come from the replica.
    assert db.tables("default") == REQUEST_LOOKUPS and len(db.on["default"]) == 3, db.on["default"]
    assert {"activity_event", "activity_eventkind", "profiles_identity"} <= db.tables("replica1")


def test_the_tickets_tab_and_show_more_read_from_the_replica(replica, new_page, carol):
    TicketFactory(account=carol.account, requester=carol, subject="Printer on fire")
    for i in range(12):
        event_record(customer=carol, source="Shop", type="order_placed", description=f"order {i}")
    first = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")
    after = first.context["timeline_page"].next_cursor

    with served("default", "replica1") as db:
        tickets = new_page.get(
            f"/agent/users/{carol.pk}/?tab=tickets", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tab-panel"
        )
        more = new_page.get(
            f"/agent/users/{carol.pk}/?tab=activity&after={after}",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="timeline-more",
        )

    assert "Printer on fire" in tickets.content.decode() and "order 0" in more.content.decode()
    assert db.tables("default") == REQUEST_LOOKUPS and len(db.on["default"]) == 6, db.on["default"]
    assert {"tickets_ticket", "activity_event"} <= db.tables("replica1")


def test_customer_search_reads_from_the_replica(replica, new_page, carol):
    with served("default", "replica1") as db:
        response = new_page.get("/agent/users/?q=carol")

    assert "Carol Customer" in response.content.decode()
    assert db.tables("default") == REQUEST_LOOKUPS
    assert db.on["replica1"]


def test_custom_field_definitions_kept_by_the_process_are_read_from_the_primary(replica, new_page, carol, acme):
    CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan")

    with served("default", "replica1") as db:
        response = new_page.get(f"/agent/users/{carol.pk}/?tab=details")

    # They are kept under the account's definitions version, read on the primary: from a replica a moment
    # behind, old definitions would be kept under the new version for an hour.
    assert response.status_code == 200 and "Plan" in response.content.decode()
    assert "custom_fields_customfield" in db.tables("default")
    assert "custom_fields_customfield" not in db.tables("replica1")


# Read-your-writes


def test_a_member_who_saved_reads_from_the_primary_for_the_pin_window_then_from_the_replica(
    replica, new_page, carol, settings
):
    forget_writes(new_page)
    response = _save_name(new_page, carol, "Carol Saved")
    assert response.status_code in (200, 302) and User.objects.get(pk=carol.pk).name == "Carol Saved"
    assert response.cookies[WROTE_COOKIE]["max-age"] == settings.REPLICA_PIN_SECONDS + 1

    with served("default", "replica1") as pinned:
        right_after = new_page.get(f"/agent/users/{carol.pk}/?tab=details")
    new_page.cookies[WROTE_COOKIE] = str(time.time() - settings.REPLICA_PIN_SECONDS - 1)
    with served("default", "replica1") as later:
        new_page.get(f"/agent/users/{carol.pk}/?tab=details")

    assert "Carol Saved" in right_after.content.decode()
    assert pinned.on["replica1"] == [] and "accounts_user" in pinned.tables("default")
    assert later.on["replica1"] and later.tables("default") == REQUEST_LOOKUPS


def test_someone_else_s_write_does_not_keep_a_member_on_the_primary(replica, new_page, alice, carol):
    use_new_page(alice)
    _save_name(client_for(alice), carol, "Carol Saved")

    with served("default", "replica1") as db:
        response = new_page.get(f"/agent/users/{carol.pk}/?tab=details")

    assert "Carol Saved" in response.content.decode()  # no lag here; a real replica may be a moment behind
    assert db.on["replica1"]


def test_a_forged_cookie_from_the_future_pins_nobody(replica, new_page, carol):
    new_page.cookies[WROTE_COOKIE] = str(time.time() + 3600)

    with served("default", "replica1") as db:
        new_page.get(f"/agent/users/{carol.pk}/")

    assert db.on["replica1"]


def test_a_write_is_never_sent_to_a_replica_even_from_an_instance_read_there(replica, carol):
    router = ReplicaRouter()

    @replica_reads
    def view(request):
        customer = User.objects.get(pk=carol.pk)
        assert customer._state.db == "replica1"
        customer.name = "Changed"
        customer.save(update_fields=["name"])
        again = User.objects.get(pk=carol.pk)  # after a write, the request reads its own write
        return type("Response", (), {"status_code": 200, "db": again._state.db})()

    result = view(_get())

    assert result.db == "default"
    assert router.db_for_write(User, instance=carol) == "default"
    assert User.objects.get(pk=carol.pk).name == "Changed"


def test_reads_inside_a_transaction_go_to_the_primary(replica, carol):
    @replica_reads
    def view(request):
        outside = User.objects.filter(pk=carol.pk).first()._state.db
        with transaction.atomic():
            inside = User.objects.filter(pk=carol.pk).first()._state.db
        return type("Response", (), {"status_code": 200, "dbs": (outside, inside)})()

    assert view(_get()).dbs == ("replica1", "default")


def test_only_gets_and_heads_read_from_a_replica(replica, carol):
    @replica_reads
    def view(request):
        return type("Response", (), {"status_code": 200, "db": User.objects.get(pk=carol.pk)._state.db})()

    assert view(_get("GET")).db == "replica1"
    assert view(_get("HEAD")).db == "replica1"
    assert view(_get("POST")).db == "default"
    assert view(_get("DELETE")).db == "default"


# The API


def test_api_gets_read_from_the_replica(replica, acme, alice, carol):
    api = api_client(acme, api_token_create(account=acme, actor=alice, name="Reader")[1])
    api.get(f"/api/v2/users/{carol.pk}")  # notes the token's first use, keeps the field definitions

    with served("default", "replica1") as db:
        response = api.get(f"/api/v2/users/{carol.pk}")

    assert response.status_code == 200 and response.json()["user"]["name"] == "Carol Customer"
    # The host's account with the token, on the primary (one query); the user and the team member the token
    # acts for, on the replica.
    assert len(db.on["default"]) == 1 and "accounts_apitoken" in db.tables("default"), db.on["default"]
    assert "accounts_user" in db.tables("replica1")


def test_an_api_token_that_posted_an_event_reads_its_events_from_the_primary_and_others_from_the_replica(
    replica, acme, alice, carol, settings
):
    token, secret = api_token_create(account=acme, actor=alice, name="Shop")
    shop = api_client(acme, secret)
    other = api_client(acme, api_token_create(account=acme, actor=alice, name="Reports")[1])
    body = {
        "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": carol.email}]},
        "event": {"source": "Shop", "type": "order_placed", "description": "Order 1"},
    }

    posted = shop.post("/api/v2/user_profiles/events", body, content_type="application/json")
    with served("default", "replica1") as pinned:
        own = shop.get(f"/api/v2/users/{carol.pk}/events")
    with served("default", "replica1") as unpinned:
        others = other.get(f"/api/v2/users/{carol.pk}/events")
    ApiToken.objects.filter(pk=token.pk).update(wrote_at=ApiToken.objects.get(pk=token.pk).wrote_at.replace(year=2000))
    with served("default", "replica1") as later:
        shop.get(f"/api/v2/users/{carol.pk}/events")

    assert posted.status_code == 202
    assert [e["description"] for e in own.json()["data"]] == ["Order 1"]
    assert [e["description"] for e in others.json()["data"]] == ["Order 1"]
    assert pinned.on["replica1"] == [] and "activity_event" in pinned.tables("default")
    assert "activity_event" in unpinned.tables("replica1") and "activity_event" not in unpinned.tables("default")
    assert "activity_event" in later.tables("replica1")


def test_a_token_s_writes_are_noted_on_it_at_most_once_a_second(replica, acme, alice, carol):
    token, secret = api_token_create(account=acme, actor=alice, name="Shop")
    shop = api_client(acme, secret)

    def post(n):
        body = {
            "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": carol.email}]},
            "event": {"source": "Shop", "type": "order_placed", "description": f"Order {n}"},
        }
        return shop.post("/api/v2/user_profiles/events", body, content_type="application/json")

    with served("default") as db:
        for n in range(3):
            assert post(n).status_code == 202

    noted = [sql for sql in db.on["default"] if 'SET "wrote_at"' in sql]
    assert len(noted) == 1, noted
    assert ApiToken.objects.get(pk=token.pk).wrote_at is not None


def test_a_refused_write_does_not_pin_the_token(replica, acme, alice):
    token, secret = api_token_create(account=acme, actor=alice, name="Shop")

    response = api_client(acme, secret).post("/api/v2/user_profiles/events", {}, content_type="application/json")

    assert response.status_code == 422
    assert ApiToken.objects.get(pk=token.pk).wrote_at is None


# When a replica is gone, lags or doesn't have the record yet


@pytest.fixture
def gone(settings):
    """A replica that can't be reached."""
    add_replica("replica1", NAME="/nonexistent/directory/db.sqlite3", HOST="127.0.0.1", PORT="1")
    settings.DATABASE_REPLICAS = ["replica1"]
    yield "replica1"
    remove_replica("replica1")


def test_a_replica_that_fails_mid_request_is_skipped_and_the_page_renders_from_the_primary(
    gone, new_page, carol, monkeypatch, caplog
):
    # Healthy when last measured, gone since: the request's first read there fails.
    monkeypatch.setattr(replica_health, "_measure", lambda *a: replica_health.ReplicaState(True, 0.0))

    with served("default") as db:
        first = new_page.get(f"/agent/users/{carol.pk}/")
    second = new_page.get(f"/agent/users/{carol.pk}/")

    assert first.status_code == 200 and second.status_code == 200
    assert "activity_event" in db.tables("default")
    assert "Replica replica1 skipped, reads go to the primary: failed during a request" in caplog.text


def test_a_replica_that_can_t_be_reached_is_skipped(gone, new_page, carol, caplog):
    with served("default") as db:
        response = new_page.get(f"/agent/users/{carol.pk}/")

    assert response.status_code == 200 and "activity_event" in db.tables("default")
    assert "Replica replica1 skipped, reads go to the primary: unreachable" in caplog.text


def test_a_replica_that_hangs_until_its_timeout_is_asked_again_after_five_times_that(gone, monkeypatch):
    clock = [1000.0]
    attempts = []

    def hanging_connect(*args, **kwargs):
        attempts.append(clock[0])
        clock[0] += 2.0  # connect_timeout
        raise OperationalError("timeout expired")

    monkeypatch.setattr(replica_health.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(connections["replica1"], "cursor", hanging_connect)

    for _ in range(12):
        replica_health.healthy_replica()
        clock[0] += 1.0

    # Asked at 1000 (to 1002), then not until 10 s after it gave up: one request in ten waits, not each.
    assert attempts == [1000.0, 1012.0]


def test_with_no_healthy_replica_reads_go_to_the_primary(replica, new_page, carol, monkeypatch):
    monkeypatch.setattr(replica_health, "_measure", lambda *a: replica_health.ReplicaState(False, 9.0, "lagging"))

    with served("default", "replica1") as db:
        response = new_page.get(f"/agent/users/{carol.pk}/")

    assert response.status_code == 200
    assert db.on["replica1"] == [] and "activity_event" in db.tables("default")


def test_a_404_on_the_replica_is_confirmed_on_the_primary(replica, new_page, carol, monkeypatch):
    # A replica a moment behind doesn't have a customer created a moment ago: the primary decides.
    with served("default", "replica1") as db:
        response = new_page.get(f"/agent/users/{carol.pk + 1000}/")

    assert response.status_code == 404
    assert "accounts_user" in db.tables("replica1")
    assert len(db.on["default"]) > 3  # the request's lookups, then the customer again


def test_the_replicas_are_measured_at_most_once_a_second_per_process(replica, new_page, carol, monkeypatch):
    measured = []
    real = replica_health._measure
    monkeypatch.setattr(replica_health, "_measure", lambda *args: measured.append(args[0]) or real(*args))

    for _ in range(3):
        new_page.get(f"/agent/users/{carol.pk}/")
    replica_health._checked_at -= replica_health.CHECK_EVERY
    new_page.get(f"/agent/users/{carol.pk}/")

    assert measured == ["replica1", "replica1"]


# The lag


def _lag(**given):
    values = {"in_recovery": True, "replayed": 100, "since_commit": 30.0, "primary": 200, "positions": [], "now": 1000}
    return replica_health.replica_lag(**(values | given))


def test_a_replica_that_has_replayed_all_the_primary_wrote_lags_zero_however_old_its_last_commit():
    assert _lag(replayed=200, primary=200, since_commit=3600.0) == 0.0


def test_a_replica_behind_lags_at_most_the_time_since_its_last_replayed_commit():
    assert _lag(since_commit=2.5) == 2.5


def test_a_replica_behind_lags_at_most_the_time_since_a_primary_position_it_has_reached():
    # Cut off from its primary, a quiet replica's last commit may be recent while the primary went on writing.
    positions = [(990.0, 90), (996.0, 100), (999.0, 150)]

    assert _lag(since_commit=60.0, positions=positions) == 4.0


def test_a_replica_behind_with_nothing_replayed_has_no_known_lag():
    assert _lag(since_commit=None) is None


def test_a_server_not_in_recovery_is_no_replica_to_wait_for():
    assert _lag(in_recovery=False, replayed=0) == 0.0


def _get(method="GET"):
    return type("Request", (), {"method": method, "last_write": None})()


@pytest.fixture(autouse=True)
def _forget_measurements():
    replica_health.forget()
    yield
    replica_health.forget()
