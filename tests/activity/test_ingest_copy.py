"""The PostgreSQL batch path of `events_ingest` (COPY, ids from the sequence) and `event_insert_for`."""

import datetime
import json

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from activity.ingest import CustomerKey, NewEvent, event_insert_for, events_ingest
from activity.models import Event, EventClientId, EventKind
from demo.factories import UserFactory

NOW = datetime.datetime(2026, 5, 17, 9, 30, tzinfo=datetime.UTC)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def new(customer, type="order_placed", *, at=NOW, client_id=None) -> NewEvent:
    return NewEvent(
        customer_id=customer.pk,
        source="Shop",
        type=type,
        description=f"{type} happened",
        properties=json.dumps({"total": 12}),
        occurred_at=at,
        client_id=client_id,
    )


def counted() -> int:
    return sum(EventKind.objects.values_list("count", flat=True))


@on_postgresql
def test_a_batch_claims_its_client_ids_and_stores_nothing_under_one_claimed_before(acme, carol):
    [theirs] = events_ingest(account_id=acme.pk, events=[new(carol, client_id="order-2")])
    batch = [new(carol, client_id="order-1"), new(carol, client_id="order-2"), new(carol, "refunded")]

    results = events_ingest(account_id=acme.pk, events=batch)

    assert results[1] == (theirs.id, False)
    assert results[0].created and results[2].created
    assert set(Event.objects.values_list("pk", flat=True)) == {theirs.id, results[0].id, results[2].id}
    assert Event.objects.get(pk=results[2].id).type == "refunded"
    assert counted() == Event.objects.count() == 3
    claims = EventClientId.objects.filter(account=acme).values_list("client_id", "event_id", "occurred_at")
    assert sorted(claims) == [("order-1", results[0].id, NOW), ("order-2", theirs.id, NOW)]


@on_postgresql
def test_a_batch_without_client_ids_gets_its_ids_in_input_order(acme, carol):
    erin = UserFactory(account=acme, name="Erin")
    early, late = sorted([carol, erin], key=lambda c: c.pk)
    # Input order is neither by customer nor by time: the rows go in sorted, the ids must not follow them.
    batch = [
        new(late, "a", at=NOW),
        new(early, "b", at=NOW),
        new(late, "c", at=NOW - datetime.timedelta(days=2)),
        new(early, "d", at=NOW - datetime.timedelta(days=1)),
    ]

    results = events_ingest(account_id=acme.pk, events=batch)

    ids = [r.id for r in results]
    assert ids == sorted(ids) and len(set(ids)) == 4
    stored = Event.objects.in_bulk(ids)
    assert [(stored[i].customer_id, stored[i].type, stored[i].occurred_at) for i in ids] == [
        (e.customer_id, e.type, e.occurred_at) for e in batch
    ]


@on_postgresql
@pytest.mark.parametrize("client_id", [None, "order-1"])
def test_storing_one_event_on_a_customer_nobody_finds_stores_nothing(acme, carol, client_id):
    nobody = CustomerKey("email", "nobody@example.org")
    event = ("Shop", "order_placed", "", "{}", NOW, client_id)

    found = event_insert_for(account_id=acme.pk, customer=nobody, event=event, received_at=timezone.now())

    assert found is None
    assert not Event.objects.exists()
    assert not EventKind.objects.exists()


@on_postgresql
def test_storing_one_event_on_the_customer_named_by_their_email(acme, carol):
    by_email = CustomerKey("email", carol.email)
    event = ("Shop", "order_placed", "", "{}", NOW, "order-1")

    found = event_insert_for(account_id=acme.pk, customer=by_email, event=event, received_at=timezone.now())

    customer_id, stored = found
    assert customer_id == carol.pk and stored.created
    assert Event.objects.get(pk=stored.id).customer == carol
    assert EventKind.objects.get(customer=carol).count == 1


@on_postgresql
@pytest.mark.parametrize("field", ["email", "external_id"])
def test_a_team_member_or_another_accounts_customer_gets_no_event(acme, alice, dave, field):
    User.objects.filter(pk__in=[alice.pk, dave.pk]).update(external_id="x-1")
    event = ("Shop", "order_placed", "", "{}", NOW, None)

    for person in (alice, dave):
        person.refresh_from_db()
        key = CustomerKey(field, getattr(person, field))
        assert event_insert_for(account_id=acme.pk, customer=key, event=event, received_at=timezone.now()) is None

    assert not Event.objects.exists()
