import datetime
import json
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from activity.ingest import NewEvent, events_ingest
from activity.models import Event, EventKind
from activity.services import event_record
from activity.validation import EventInvalid, event_clean
from demo.factories import AccountFactory, UserFactory

NOW = datetime.datetime(2026, 5, 17, 9, 30, tzinfo=datetime.UTC)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def new(customer, type="order_placed", *, at=NOW, client_id=None, source="Shop", properties=None) -> NewEvent:
    return NewEvent(
        customer_id=customer.pk,
        source=source,
        type=type,
        description=f"{type} happened",
        properties=json.dumps(properties or {"total": 12}),
        occurred_at=at,
        client_id=client_id,
    )


def kinds(customer) -> dict:
    return {(k.source, k.type): (k.count, k.last_occurred_at) for k in EventKind.objects.filter(customer=customer)}


def test_a_batch_is_stored_in_order_and_counted_per_kind(acme, carol):
    other = UserFactory(account=acme, name="Erin")
    batch = [
        new(carol, at=NOW),
        new(other, at=NOW),
        new(carol, "page_viewed", at=NOW - datetime.timedelta(days=1)),
        new(carol, at=NOW - datetime.timedelta(days=3)),
    ]

    results = events_ingest(account_id=acme.pk, events=batch)

    assert [r.created for r in results] == [True] * 4
    stored = {e.pk: e for e in Event.objects.all()}
    assert [(stored[r.id].customer_id, stored[r.id].type, stored[r.id].occurred_at) for r in results] == [
        (e.customer_id, e.type, e.occurred_at) for e in batch
    ]
    assert stored[results[0].id].properties == {"total": 12}
    assert stored[results[0].id].account_id == acme.pk
    assert kinds(carol) == {
        ("Shop", "order_placed"): (2, NOW),
        ("Shop", "page_viewed"): (1, NOW - datetime.timedelta(days=1)),
    }
    assert kinds(other) == {("Shop", "order_placed"): (1, NOW)}


def test_tallies_add_to_what_was_already_counted_and_keep_the_latest_time(acme, carol):
    event_record(customer=carol, source="Shop", type="order_placed", occurred_at=NOW)

    events_ingest(account_id=acme.pk, events=[new(carol, at=NOW - datetime.timedelta(days=9))] * 2)

    assert kinds(carol) == {("Shop", "order_placed"): (3, NOW)}


def test_a_client_id_already_stored_is_not_stored_again_nor_counted(acme, carol):
    [first] = events_ingest(account_id=acme.pk, events=[new(carol, client_id="order-1")])

    results = events_ingest(
        account_id=acme.pk, events=[new(carol, client_id="order-1"), new(carol, client_id="order-2")]
    )

    assert results[0] == (first.id, False)
    assert results[1].created is True
    assert Event.objects.count() == 2
    assert kinds(carol)[("Shop", "order_placed")][0] == 2


def test_a_client_id_repeated_within_a_batch_is_stored_once(acme, carol):
    results = events_ingest(
        account_id=acme.pk, events=[new(carol, client_id="a"), new(carol, client_id="a"), new(carol, client_id="b")]
    )

    assert results[1] == (results[0].id, False)
    assert results[0].created and results[2].created
    assert Event.objects.count() == 2
    assert kinds(carol)[("Shop", "order_placed")][0] == 2


def test_a_single_event_with_a_known_client_id_returns_the_stored_one(acme, carol):
    [first] = events_ingest(account_id=acme.pk, events=[new(carol, client_id="x")])

    [again] = events_ingest(account_id=acme.pk, events=[new(carol, client_id="x", at=NOW - datetime.timedelta(1))])

    assert again == (first.id, False)
    assert Event.objects.count() == 1
    assert kinds(carol) == {("Shop", "order_placed"): (1, NOW)}


def test_client_ids_are_unique_per_account_only(acme, carol, dave, globex):
    [ours] = events_ingest(account_id=acme.pk, events=[new(carol, client_id="same")])

    [theirs] = events_ingest(account_id=globex.pk, events=[new(dave, client_id="same")])

    assert theirs.created and theirs.id != ours.id
    assert Event.objects.get(pk=theirs.id).customer == dave


def test_an_empty_batch_stores_nothing(acme):
    assert events_ingest(account_id=acme.pk, events=[]) == []


def test_a_batch_of_only_known_client_ids_stores_nothing(acme, carol):
    events_ingest(account_id=acme.pk, events=[new(carol, client_id="k1"), new(carol, client_id="k2")])

    results = events_ingest(account_id=acme.pk, events=[new(carol, client_id="k2"), new(carol, client_id="k1")])

    assert [r.created for r in results] == [False, False]
    assert Event.objects.count() == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_batches_sending_the_same_client_ids_at_once_store_each_event_once():
    account = AccountFactory(subdomain="race")
    customers = [UserFactory(account=account) for _ in range(3)]
    batch = [new(c, client_id=f"{c.pk}-{n}", at=NOW - datetime.timedelta(n)) for c in customers for n in range(50)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send(events):
        try:
            barrier.wait()
            results.append(events_ingest(account_id=account.pk, events=events))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(events,)) for events in (batch, batch[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Event.objects.count() == 150
    first, second = results
    assert [r.id for r in first] == [r.id for r in second[::-1]]
    assert sum(r.created for r in first + second) == 150
    assert sum(k.count for k in EventKind.objects.all()) == 150


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_events_of_a_kind_recorded_at_once_both_count():
    account = AccountFactory(subdomain="race")
    customer = UserFactory(account=account)
    barrier = threading.Barrier(2)
    errors = []

    def record():
        try:
            barrier.wait()
            event_record(customer=customer, source="Shop", type="first_ever", occurred_at=NOW)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert kinds(customer) == {("Shop", "first_ever"): (2, NOW)}


# The checks on an event's own fields


def clean(**fields):
    return event_clean({"source": "Shop", "type": "order_placed", **fields}, now=NOW)


def invalid(**fields) -> dict:
    with pytest.raises(EventInvalid) as caught:
        event_clean(fields, now=NOW)
    return {field: code for field, (code, _message) in caught.value.errors.items()}


def test_a_minimal_event_gets_defaults():
    assert clean() == ("Shop", "order_placed", "", "{}", NOW, None)


def test_a_full_event_is_normalised():
    source, type, description, properties, occurred_at, client_id = clean(
        description="Bought 3 things",
        properties={"total": 12.5, "é": ["✓"]},
        created_at="2024-02-29T23:00:00+01:00",
        id=42,
    )

    assert (description, client_id) == ("Bought 3 things", "42")
    assert json.loads(properties) == {"total": 12.5, "é": ["✓"]}
    assert occurred_at == datetime.datetime(2024, 2, 29, 22, 0, tzinfo=datetime.UTC)


def test_a_time_without_a_zone_is_read_as_utc():
    assert clean(created_at="2024-03-01T08:00:00")[4] == datetime.datetime(2024, 3, 1, 8, tzinfo=datetime.UTC)


def test_every_bad_field_is_named_at_once():
    assert invalid(type="  ", properties=[1], created_at="yesterday", description=3, id="") == {
        "source": "Required",
        "type": "Blank",
        "properties": "InvalidType",
        "created_at": "InvalidValue",
        "description": "InvalidType",
        "id": "InvalidType",
    }


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"source": 5}, "source", "InvalidType"),
        ({"source": "x" * 65}, "source", "TooLong"),
        ({"type": "a\x00b"}, "type", "InvalidValue"),
        ({"description": "d" * 256}, "description", "TooLong"),
        ({"description": "\ud800"}, "description", "InvalidValue"),
        ({"properties": "{}"}, "properties", "InvalidType"),
        ({"properties": {"blob": "x" * 33_000}}, "properties", "TooLarge"),
        ({"properties": {"bad": "\udc00"}}, "properties", "InvalidValue"),
        ({"properties": {"nul": ["a\x00"]}}, "properties", "InvalidValue"),
        ({"created_at": 1715938200}, "created_at", "InvalidValue"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at", "InvalidValue"),
        ({"id": "i" * 129}, "id", "TooLong"),
        ({"id": True}, "id", "InvalidType"),
        ({"id": {"a": 1}}, "id", "InvalidType"),
    ],
)
def test_a_bad_field_is_named(fields, field, code):
    assert invalid(**{"source": "Shop", "type": "t", **fields}) == {field: code}


def test_a_literal_backslash_u0000_in_a_property_is_fine():
    assert json.loads(clean(properties={"path": "C:\\u0000"})[3]) == {"path": "C:\\u0000"}


def test_properties_just_under_the_limit_are_accepted():
    properties = clean(properties={"blob": "x" * (32 * 1024 - 11)})[3]

    assert len(properties.encode()) == 32 * 1024


def test_stored_properties_round_trip_through_the_database(acme, carol):
    properties = clean(properties={"emoji": "😀", "nested": {"list": [1, None, True]}, "quote": 'a"b\\c\td'})[3]

    [stored] = events_ingest(account_id=acme.pk, events=[new(carol)._replace(properties=properties)] * 2)[:1]

    assert Event.objects.get(pk=stored.id).properties == {
        "emoji": "😀",
        "nested": {"list": [1, None, True]},
        "quote": 'a"b\\c\td',
    }


def test_received_at_is_when_the_batch_arrived(acme, carol):
    before = timezone.now()

    [stored] = events_ingest(account_id=acme.pk, events=[new(carol, at=NOW - datetime.timedelta(days=400))])

    event = Event.objects.get(pk=stored.id)
    assert before <= event.received_at <= timezone.now()
