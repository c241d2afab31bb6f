"""The event store's monthly partitions on PostgreSQL: ready ahead, made on demand for any month events bring,
and dropped whole once their month falls out of EVENT_RETENTION_MONTHS. SQLite keeps one plain table."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from activity.ingest import CustomerKey, NewEvent, event_insert_for, events_ingest
from activity.models import Event, EventClientId, EventKind
from activity.partitions import event_partitions, month_start
from activity.selectors import event_kinds_for_customer, events_for_customer
from activity.services import event_record
from activity.validation import EventInvalid, event_clean

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def months_ago(months: int, day: int = 10) -> datetime.datetime:
    start = month_start(timezone.now())
    index = start.year * 12 + start.month - 1 - months
    return datetime.datetime(index // 12, index % 12 + 1, day, 12, tzinfo=datetime.UTC)


def new(customer, at, type="order_placed", client_id=None) -> NewEvent:
    return NewEvent(customer.pk, "Shop", type, "", json.dumps({"n": 1}), at, client_id)


def attached() -> set[str]:
    return {p.name for p in event_partitions() if p.attached}


def partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM activity_event WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


@on_postgresql
def test_the_event_store_is_partitioned_by_month_with_this_month_and_the_next_ready(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'activity_event'::regclass")
        assert cursor.fetchone()[0] == "p"

    this_month = month_start(timezone.now())
    ready = {f"activity_event_{months_ago(-n):%Y_%m}" for n in range(4)}
    assert ready <= attached(), f"from {this_month:%Y-%m}"


@on_postgresql
def test_events_of_a_month_without_a_partition_get_one_whichever_way_they_are_stored(acme, carol):
    at = datetime.datetime(2019, 3, 10, 9, 30, tzinfo=datetime.UTC)
    assert not exists("activity_event_2019_03")

    batch = events_ingest(account_id=acme.pk, events=[new(carol, at), new(carol, at + datetime.timedelta(hours=1))])
    single = event_insert_for(
        account_id=acme.pk,
        customer=CustomerKey("id", carol.pk),
        event=("Shop", "t", "", "{}", at - datetime.timedelta(days=40), "one-1"),
        received_at=timezone.now(),
    )
    recorded = event_record(customer=carol, type="note_added", occurred_at=at - datetime.timedelta(days=80))

    assert {partition_of(s.id) for s in batch} == {"activity_event_2019_03"}
    assert partition_of(single[1].id) == "activity_event_2019_01"
    assert partition_of(recorded.pk) == "activity_event_2018_12"
    assert Event.objects.filter(customer=carol).count() == 4


@on_postgresql
def test_an_event_lives_in_the_partition_of_its_month_in_utc(acme, carol):
    # 23:30 on March 31st in Brazil is already April 1st in UTC.
    at = datetime.datetime.fromisoformat("2025-03-31T23:30:00-03:00")

    [stored] = events_ingest(account_id=acme.pk, events=[new(carol, at)])

    assert partition_of(stored.id) == "activity_event_2025_04"


@on_postgresql
def test_reads_find_events_across_partitions_newest_first(acme, carol):
    moments = [months_ago(n) for n in (0, 1, 5, 13, 30)]
    events_ingest(account_id=acme.pk, events=[new(carol, at) for at in moments])

    first = events_for_customer(customer=carol, size=2)
    rest = events_for_customer(customer=carol, after=first.next_cursor, size=10)

    assert [e.occurred_at for e in first.items + rest.items] == sorted(moments, reverse=True)


@on_postgresql
def test_the_command_prepares_the_months_ahead_once(db):
    out = io.StringIO()

    call_command("event_partitions", ahead=8, stdout=out)
    call_command("event_partitions", ahead=8, stdout=(again := io.StringIO()))

    assert {f"activity_event_{months_ago(-n):%Y_%m}" for n in range(9)} <= attached()
    assert "Created 0 partitions ahead." in again.getvalue()
    assert "every month is kept" in out.getvalue()


def test_on_sqlite_the_command_says_there_is_nothing_to_do(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    out = io.StringIO()

    call_command("event_partitions", stdout=out)

    assert "one plain table" in out.getvalue()


@override_settings(EVENT_RETENTION_MONTHS=12)
def test_an_event_older_than_the_retention_window_is_refused_naming_the_oldest_date_kept(db):
    now = timezone.now()
    kept = months_ago(12, day=1).replace(hour=0)

    event_clean({"source": "Shop", "type": "t", "created_at": kept.isoformat()}, now=now)
    with pytest.raises(EventInvalid) as refused:
        event_clean(
            {"source": "Shop", "type": "t", "created_at": (kept - datetime.timedelta(seconds=1)).isoformat()}, now=now
        )

    code, message = refused.value.errors["created_at"]
    assert code == "OutOfRange"
    assert f"after {kept:%Y-%m-%d}" in str(message)


# Retention drops partitions, which needs transactions of its own (DETACH … CONCURRENTLY).


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_retention_drops_whole_months_with_their_tallies_and_client_ids(acme, carol):
    old, older, recent = months_ago(14), months_ago(13), months_ago(2)
    events_ingest(
        account_id=acme.pk,
        events=[
            new(carol, older, "order_placed", "old-1"),
            new(carol, old, "order_placed"),
            new(carol, old, "cart_updated"),
            new(carol, recent, "order_placed", "new-1"),
        ],
    )
    gone = {f"activity_event_{older:%Y_%m}", f"activity_event_{old:%Y_%m}"}
    out = io.StringIO()

    with override_settings(EVENT_RETENTION_MONTHS=12):
        call_command("event_partitions", stdout=out)

    assert not any(exists(name) for name in gone)
    assert [e.occurred_at for e in Event.objects.filter(customer=carol)] == [recent]
    tallies = {k.type: k.count for k in EventKind.objects.filter(customer=carol)}
    assert tallies == {"order_placed": 1, "cart_updated": 0}
    assert [k.type for k in event_kinds_for_customer(customer=carol)] == ["order_placed"]
    assert list(EventClientId.objects.values_list("client_id", flat=True)) == ["new-1"]
    assert f"Dropped activity_event_{old:%Y_%m} (2 events)." in out.getvalue()
    assert "Kept this month and the 12 before it" in out.getvalue()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_drop_interrupted_after_the_detach_is_finished_by_the_next_run(acme, carol):
    old = months_ago(20)
    events_ingest(account_id=acme.pk, events=[new(carol, old), new(carol, old)])
    name = f"activity_event_{old:%Y_%m}"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE activity_event DETACH PARTITION {name}")

    with override_settings(EVENT_RETENTION_MONTHS=12):
        call_command("event_partitions", stdout=io.StringIO())

    assert not exists(name)
    assert EventKind.objects.get(customer=carol).count == 0
