import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.factories import TicketFactory, UserFactory
from tickets.models import TicketCC
from tickets.selectors import tickets_for_customer


@pytest.fixture
def history(carol, bob):
    """Thirty tickets of Carol's, one an hour apart, with varied statuses and priorities."""
    start = timezone.now() - datetime.timedelta(days=10)
    statuses = ["new", "open", "pending", "hold", "solved", "closed"]
    return [
        TicketFactory(
            requester=carol,
            assignee=bob if i % 2 else None,
            subject=f"Subject {i:02d}",
            status=statuses[i % 6],
            priority=["", "low", "normal", "high", "urgent"][i % 5],
            created_at=start + datetime.timedelta(hours=i),
            updated_at=start + datetime.timedelta(hours=i, minutes=30),
        )
        for i in range(30)
    ]


def _walk(customer, **params):
    """Every ticket id, page by page, following next cursors."""
    seen, after = [], None
    while True:
        page = tickets_for_customer(customer=customer, after=after, size=7, **params)
        seen += [t.pk for t in page.items]
        if not page.has_next:
            return seen
        after = page.next_cursor


def test_requested_tickets_come_most_recently_updated_first(carol, history):
    page = tickets_for_customer(customer=carol, size=5)

    assert [t.subject for t in page.items] == ["Subject 29", "Subject 28", "Subject 27", "Subject 26", "Subject 25"]
    assert page.has_next and not page.has_prev


@pytest.mark.parametrize("sort", ["id", "subject", "status", "priority", "assignee", "created", "updated"])
@pytest.mark.parametrize("descending", [True, False])
def test_paging_by_keyset_visits_every_ticket_once_in_any_sort(carol, history, sort, descending):
    ids = _walk(carol, sort=sort, descending=descending)

    assert sorted(ids) == sorted(t.pk for t in history)
    assert len(ids) == len(set(ids))


def test_sorting_by_status_follows_the_workflow_not_the_alphabet(carol, history):
    page = tickets_for_customer(customer=carol, sort="status", descending=False, size=30)

    statuses = [t.status for t in page.items]
    order = ["new", "open", "pending", "hold", "solved", "closed"]
    assert statuses == sorted(statuses, key=order.index)


def test_sorting_by_priority_puts_tickets_without_one_first_then_low_to_urgent(carol, history):
    page = tickets_for_customer(customer=carol, sort="priority", descending=False, size=30)

    order = ["", "low", "normal", "high", "urgent"]
    assert [t.priority for t in page.items] == sorted((t.priority for t in history), key=order.index)


def test_sorting_by_assignee_follows_their_names_unassigned_first(carol, history, alice):
    TicketFactory(requester=carol, assignee=alice, subject="Alice's")

    page = tickets_for_customer(customer=carol, sort="assignee", descending=False, size=40)

    names = [t.assignee.name if t.assignee else "" for t in page.items]
    assert names == [""] * 15 + ["Alice Admin"] + ["Bob Agent"] * 15
    unassigned_ids = [t.pk for t in page.items[:15]]
    assert unassigned_ids == sorted(unassigned_ids)


def test_previous_goes_back_to_exactly_the_page_before(carol, history):
    first = tickets_for_customer(customer=carol, size=7)
    second = tickets_for_customer(customer=carol, size=7, after=first.next_cursor)

    back = tickets_for_customer(customer=carol, size=7, before=second.prev_cursor)

    assert [t.pk for t in back.items] == [t.pk for t in first.items]
    assert not back.has_prev


def test_the_status_filter_keeps_only_that_status(carol, history):
    page = tickets_for_customer(customer=carol, status="pending", size=30)

    assert {t.status for t in page.items} == {"pending"} and len(page.items) == 5


def test_unsolved_means_new_open_pending_or_on_hold(carol, history):
    page = tickets_for_customer(customer=carol, status="unsolved", size=30)

    assert {t.status for t in page.items} == {"new", "open", "pending", "hold"}


def test_ccd_tickets_are_those_where_the_customer_is_copied(carol, acme):
    other = UserFactory(account=acme)
    copied = TicketFactory(requester=other, subject="Copied")
    TicketFactory(requester=other, subject="Not copied")
    TicketCC.objects.create(ticket=copied, user=carol)

    page = tickets_for_customer(customer=carol, relation="ccd")

    assert [t.subject for t in page.items] == ["Copied"]


def test_a_tampered_cursor_starts_from_the_top_instead_of_failing(carol, history):
    page = tickets_for_customer(customer=carol, after="not-a-cursor!!", size=3)

    assert [t.subject for t in page.items] == ["Subject 29", "Subject 28", "Subject 27"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("status", "ticket_requester_srank_idx"),
        ("priority", "ticket_requester_prank_idx"),
        ("assignee", "ticket_requester_assignee_idx"),
        ("subject", "ticket_requester_subject_idx"),
    ],
)
def test_each_sort_reads_its_index_in_order_instead_of_sorting(carol, history, sort, index):
    # Asked to avoid sorting at any cost, the planner still sorts unless an index gives the order: here one
    # must, the expression written in the query being the index's.
    first = tickets_for_customer(customer=carol, sort=sort, size=5)
    with CaptureQueriesContext(connection) as queries:
        tickets_for_customer(customer=carol, sort=sort, size=5, after=first.next_cursor)
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index in plan and "Sort" not in plan, plan
