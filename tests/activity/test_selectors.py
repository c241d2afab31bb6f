"""Timeline reads: every filter seeks its own index, and paging through a source merges its kinds
without skipping or repeating an event, in both directions."""

import datetime

import pytest
from django.utils import timezone

from activity.selectors import EventFilter, event_kinds_for_customer, events_for_customer
from activity.services import event_record

START = timezone.now() - datetime.timedelta(days=3)


@pytest.fixture
def history(carol):
    """Three types of one source and another source, interleaved, some at the very same instant."""
    events = []
    for i in range(24):
        source, type_ = [("Shop", "order_placed"), ("Shop", "cart_updated"), ("Billing", "paid"), ("Shop", "review")][
            i % 4
        ]
        at = START + datetime.timedelta(minutes=10 * (i // 2))  # pairs share a timestamp
        events.append(event_record(customer=carol, source=source, type=type_, description=f"e{i}", occurred_at=at))
    return events


def _newest_first(events):
    return [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]


def _walk(customer, event_filter, size):
    ids, after = [], None
    while True:
        page = events_for_customer(customer=customer, event_filter=event_filter, after=after, size=size)
        ids += [e.pk for e in page.items]
        if not page.has_next:
            return ids
        after = page.next_cursor


@pytest.mark.parametrize(
    ("event_filter", "keep"),
    [
        (EventFilter(), lambda e: True),
        (EventFilter("Shop"), lambda e: e.source == "Shop"),
        (EventFilter("Shop", "cart_updated"), lambda e: e.type == "cart_updated"),
        (EventFilter("Billing"), lambda e: e.source == "Billing"),
    ],
)
def test_paging_forward_visits_every_matching_event_once_newest_first(carol, history, event_filter, keep):
    assert _walk(carol, event_filter, size=4) == _newest_first([e for e in history if keep(e)])


def test_paging_back_from_the_end_of_a_source_returns_the_same_pages(carol, history):
    shop = EventFilter("Shop")
    pages, after = [], None
    while True:
        page = events_for_customer(customer=carol, event_filter=shop, after=after, size=5)
        pages.append([e.pk for e in page.items])
        if not page.has_next:
            break
        after = page.next_cursor

    back, before = [], page.prev_cursor
    while before:
        page = events_for_customer(customer=carol, event_filter=shop, before=before, size=5)
        back.insert(0, [e.pk for e in page.items])
        before = page.prev_cursor

    assert back == pages[:-1]


def test_a_filter_naming_nothing_the_customer_has_reads_no_events(carol, history, django_assert_num_queries):
    kinds = event_kinds_for_customer(customer=carol)

    with django_assert_num_queries(0):
        page = events_for_customer(customer=carol, event_filter=EventFilter("Shop", "no_such_type"), kinds=kinds)

    assert page.items == [] and not page.has_next


def test_one_query_reads_a_source_page_whatever_its_number_of_kinds(carol, history, django_assert_num_queries):
    kinds = event_kinds_for_customer(customer=carol)

    with django_assert_num_queries(1):
        page = events_for_customer(customer=carol, event_filter=EventFilter("Shop"), kinds=kinds, size=3)

    assert len(page.items) == 3


def test_another_customers_kinds_never_leak_into_a_timeline(carol, dave, history):
    event_record(customer=dave, source="Shop", type="order_placed", description="Dave's")

    ids = _walk(carol, EventFilter("Shop"), size=50)

    assert all(e.customer_id == carol.pk for e in history if e.pk in ids)
    assert len(ids) == 18


@pytest.mark.parametrize(
    ("event_filter", "keep"),
    [
        (EventFilter(), lambda e: True),
        (EventFilter("Shop"), lambda e: e.source == "Shop"),
        (EventFilter("Shop", "order_placed"), lambda e: e.type == "order_placed"),
    ],
)
@pytest.mark.parametrize("with_kinds", [False, True])
def test_a_timeline_follows_the_customers_merged_into_it(acme, carol, history, event_filter, keep, with_kinds):
    from accounts.models import User
    from demo.factories import UserFactory

    twin = UserFactory(account=acme, name="Carol Twin", email="twin@example.com")
    theirs = [
        event_record(customer=twin, source=s, type=t, occurred_at=START + datetime.timedelta(minutes=m))
        for s, t, m in [("Shop", "order_placed", 5), ("Shop", "order_placed", 10), ("Web", "page_viewed", 61)]
    ]
    User.objects.filter(pk=twin.pk).update(merged_into=carol)
    kinds = event_kinds_for_customer(customer=carol) if with_kinds else None

    ids, after = [], None
    while True:
        page = events_for_customer(customer=carol, event_filter=event_filter, kinds=kinds, after=after, size=4)
        ids += [e.pk for e in page.items]
        if not page.has_next:
            break
        after = page.next_cursor

    assert ids == _newest_first([e for e in history + theirs if keep(e)])
