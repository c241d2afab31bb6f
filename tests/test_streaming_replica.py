"""The profile page and the events API with reads on a real streaming replica (PostgreSQL only).

The fixture owns both ends: a throwaway primary on a spare port holding a copy of the test database, and a
replica of it made with pg_basebackup, streaming. Django's "default" points at that primary for each test and
"replica1" at the replica. Where PostgreSQL's servers can't be started here, the tests are skipped saying why
(never in CI, where that is a failure).
"""

import os
import time

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import ApiToken
from accounts.services import account_set_customer_profile, api_token_create
from activity.services import event_record
from common import replica_health
from demo.factories import AccountFactory, TicketFactory, UserFactory
from devtools.pg_cluster import ClusterUnavailable, ReplicatedServers, pointed_at
from profiles.services import customer_create
from tests.conftest import api_client, client_for
from tests.replicas import REQUEST_LOOKUPS, add_replica, remove_replica, served, use_new_page

pytestmark = pytest.mark.django_db(transaction=True)


def _servers() -> ReplicatedServers:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: streaming replicas are PostgreSQL's (the PostgreSQL run covers this)")
    try:
        return ReplicatedServers().__enter__()
    except ClusterUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the streaming replica tests, but: {error}")
        pytest.skip(f"PostgreSQL servers can't be started here: {error}")


def _loaded(pair: ReplicatedServers, django_db_blocker) -> ReplicatedServers:
    with django_db_blocker.unblock():
        pair.load(connection.settings_dict["NAME"], connection.settings_dict)
    pair.caught_up()
    return pair


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    """One primary and its replica for the module: a copy of the migrated test database, streaming."""
    pair = _servers()
    try:
        yield _loaded(pair, django_db_blocker)
    finally:  # stopped and removed whatever happened, a failed load included
        pair.__exit__(None, None, None)


def _on(pair: ReplicatedServers, settings):
    """Django on the pair: "default" on its primary, "replica1" on its replica; emptied afterwards."""
    settings.DATABASE_REPLICAS = ["replica1"]
    with pointed_at("default", pair.primary.port):
        add_replica("replica1", HOST="127.0.0.1", PORT=pair.replica.port)
        try:
            yield pair
        finally:
            remove_replica("replica1")
            call_command("flush", interactive=False, verbosity=0)  # the replica follows


@pytest.fixture
def replica(servers, transactional_db, settings):
    if not servers.replica.running:  # a test stopped it
        servers.replica.start()
    servers.resume_replay()
    yield from _on(servers, settings)


# The cast, on the pair's primary.


@pytest.fixture
def acme(replica):
    account = AccountFactory(name="Acme", subdomain="acme")
    return account


@pytest.fixture
def page_of(acme, alice, bob):
    """What a member who hasn't written lately gets for a customer's page (path and query)."""
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    use_new_page(alice, bob)
    as_bob = client_for(bob)
    return lambda path, **headers: as_bob.get(path, **headers)


def _story(customer, events: int = 12) -> None:
    TicketFactory(account=customer.account, requester=customer, subject="Printer on fire")
    for i in range(events):
        event_record(customer=customer, source="Shop", type="order_placed", description=f"order {i}")


def test_the_profile_page_its_tickets_tab_and_timeline_read_from_the_replica(replica, page_of, carol):
    _story(carol)
    replica.caught_up()

    with served("default", "replica1") as db:
        page = page_of(f"/agent/users/{carol.pk}/")
        tickets = page_of(f"/agent/users/{carol.pk}/?tab=tickets", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tab-panel")
        more = page_of(
            f"/agent/users/{carol.pk}/?tab=activity&after={page.context['timeline_page'].next_cursor}",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="timeline-more",
        )

    assert "order 11" in page.content.decode() and "Carol Customer" in page.content.decode()
    assert "Printer on fire" in tickets.content.decode()
    assert "order 0" in more.content.decode()
    # Each request's session, member and account on the primary, nothing more; the rest on the replica.
    assert db.tables("default") == REQUEST_LOOKUPS and len(db.on["default"]) == 9, db.on["default"]
    assert {"activity_event", "activity_eventkind", "tickets_ticket", "profiles_identity"} <= db.tables("replica1")


def test_the_events_api_round_trip_reads_an_app_s_own_event_from_the_primary_and_others_from_the_replica(
    replica, acme, alice, carol, settings
):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 30, 31  # paused, it stays in use
    token, secret = api_token_create(account=acme, actor=alice, name="Shop")
    shop, reports = api_client(acme, secret), api_client(acme, api_token_create(account=acme, actor=alice, name="R")[1])
    replica.caught_up()
    replica.pause_replay()  # the replica won't have the event until it resumes
    body = {
        "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": carol.email}]},
        "event": {"source": "Shop", "type": "order_placed", "description": "Order 1", "id": "order-1"},
    }

    posted = shop.post("/api/v2/user_profiles/events", body, content_type="application/json")
    with served("default", "replica1") as right_after:
        own = shop.get(f"/api/v2/users/{carol.pk}/events")
        theirs = reports.get(f"/api/v2/users/{carol.pk}/events")
    replica.resume_replay()
    replica.caught_up()
    ApiToken.objects.filter(pk=token.pk).update(wrote_at=None)  # the pin window has passed
    with served("default", "replica1") as later:
        own_later = shop.get(f"/api/v2/users/{carol.pk}/events")
        theirs_later = reports.get(f"/api/v2/users/{carol.pk}/events")

    assert posted.status_code == 202
    # The app that posted reads it back at once, from the primary; another, from the replica that hasn't it
    # yet (eventually consistent), then has it once the replica replayed it.
    assert [e["description"] for e in own.json()["data"]] == ["Order 1"]
    assert theirs.json()["data"] == []
    assert [e["description"] for e in own_later.json()["data"]] == ["Order 1"]
    assert [e["description"] for e in theirs_later.json()["data"]] == ["Order 1"]
    assert right_after.on["replica1"] and "activity_event" in right_after.tables("default")
    assert "activity_event" not in later.tables("default") and "activity_event" in later.tables("replica1")


def test_a_member_who_saved_sees_their_save_while_the_replica_lags(replica, acme, alice, bob, carol, settings):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 30, 31  # paused, it stays in use
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    use_new_page(bob)
    as_bob = client_for(bob)
    replica.caught_up()
    replica.pause_replay()

    form = as_bob.get(f"/agent/users/{carol.pk}/?tab=details").context["details_form"]
    data = {n: form[n].value() for n, field in form.fields.items() if not field.disabled}
    data = {n: ("on" if v is True else v) for n, v in data.items() if v not in (None, False)}
    as_bob.post(f"/agent/users/{carol.pk}/details/", data | {"name": "Carol Renamed"})
    with served("default", "replica1") as db:
        own = as_bob.get(f"/agent/users/{carol.pk}/?tab=details")
    others = client_for(alice).get(f"/agent/users/{carol.pk}/?tab=details")

    assert "Carol Renamed" in own.content.decode() and db.on["replica1"] == []
    assert "Carol Customer" in others.content.decode()  # read on the replica, a moment behind


def test_a_customer_the_replica_hasn_t_got_yet_is_found_on_the_primary(replica, page_of, alice, settings):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 30, 31  # paused, it stays in use
    replica.caught_up()
    replica.pause_replay()
    customer = customer_create(account=alice.account, actor=alice, name="Brand New", email="new@example.com")

    with served("default", "replica1") as db:
        response = page_of(f"/agent/users/{customer.pk}/")

    assert response.status_code == 200 and "Brand New" in response.content.decode()
    assert "accounts_user" in db.tables("replica1")  # looked for there first


def test_a_replica_that_lags_more_than_allowed_is_skipped_until_it_catches_up(replica, page_of, carol, settings):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 1, 2
    replica.caught_up()
    time.sleep(1.2)
    replica_health._checked_at = float("-inf")  # measured on the next request (each second in production)
    with served("default", "replica1") as quiet:
        page_of(f"/agent/users/{carol.pk}/")
    replica.pause_replay()
    _story(carol, events=1)

    time.sleep(1.2)
    replica_health._checked_at = float("-inf")
    with served("default", "replica1") as lagging:
        page_of(f"/agent/users/{carol.pk}/")
    lag = replica_health.replica_states()["replica1"]
    replica.resume_replay()
    replica.caught_up()
    replica_health._checked_at = float("-inf")
    with served("default", "replica1") as caught_up:
        page_of(f"/agent/users/{carol.pk}/")

    # Nothing written for longer than the limit, but nothing missing either: the replica stays in use.
    assert "activity_event" in quiet.tables("replica1")
    assert not lag.healthy and lag.lag > 1, lag
    assert lagging.on["replica1"] == [] and "activity_event" in lagging.tables("default")
    assert "activity_event" in caught_up.tables("replica1")


def test_the_replica_stopped_mid_test_the_page_still_renders(replica, page_of, carol, caplog):
    _story(carol)
    replica.caught_up()
    before = page_of(f"/agent/users/{carol.pk}/")

    replica.replica.stop("fast")
    with served("default") as db:
        during = page_of(f"/agent/users/{carol.pk}/")  # its connection to the replica was cut: run again
        replica_health._checked_at = float("-inf")
        after = page_of(f"/agent/users/{carol.pk}/?tab=tickets")  # measured: unreachable, skipped

    assert before.status_code == during.status_code == after.status_code == 200
    assert "order 11" in during.content.decode() and "Printer on fire" in after.content.decode()
    assert {"activity_event", "tickets_ticket"} <= db.tables("default")
    assert "Replica replica1 skipped, reads go to the primary" in caplog.text
    assert not replica_health.replica_states()["replica1"].healthy


@pytest.fixture
def own_servers(django_db_setup, django_db_blocker, transactional_db, settings):
    """A pair for this test alone (it breaks replication)."""
    pair = _servers()
    try:
        yield from _on(_loaded(pair, django_db_blocker), settings)
    finally:
        pair.__exit__(None, None, None)


def test_a_replica_its_primary_stopped_replicating_to_is_skipped_once_it_lags(own_servers, settings):
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 1, 2
    account = AccountFactory(name="Acme", subdomain="acme", customer_profile_enabled=True)
    bob = UserFactory(account=account, role="agent", email="bob@acme.test", prefers_new_profile=True)
    carol = UserFactory(account=account, name="Carol Customer", email="carol@example.com")
    own_servers.caught_up()
    as_bob = client_for(bob)
    as_bob.get(f"/agent/users/{carol.pk}/")  # measured: caught up

    own_servers.cut_replication()
    event_record(customer=carol, source="Shop", type="order_placed", description="after the cut")
    time.sleep(1.2)
    replica_health._checked_at = float("-inf")
    with served("default", "replica1") as db:
        response = as_bob.get(f"/agent/users/{carol.pk}/")

    # The replica has replayed all it received, and says so: only the primary's position shows it behind.
    assert "after the cut" in response.content.decode()
    assert db.on["replica1"] == [] and "activity_event" in db.tables("default")
    assert not replica_health.replica_states()["replica1"].healthy
