"""The timeline reads like a product: each page shows ten rows however many events fold into them, and an
event about a ticket links to it, or says the ticket is gone."""

import datetime

import pytest
from django.utils import timezone

from accounts.services import account_set_customer_profile
from activity.services import event_record
from demo.factories import TicketFactory
from tickets.events import ticket_requested_event

HTMX_MORE = {"HX-Request": "true", "HX-Target": "timeline-more"}


@pytest.fixture
def new_page(acme, alice, as_bob):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})
    return as_bob


def _visit(customer, *, pages: int, at: datetime.datetime):
    """A burst of page views, one a minute, ending at `at`."""
    for i in range(pages):
        event_record(
            customer=customer,
            source="Web",
            type="page_viewed",
            description=f"Viewed /p{i}",
            occurred_at=at - datetime.timedelta(minutes=i),
        )


def _order(customer, n: int, at: datetime.datetime):
    event_record(customer=customer, source="Shop", type="order_placed", description=f"Order {n}", occurred_at=at)


def _rows(response) -> list[str]:
    return [row.description for row in response.context["timeline_rows"]]


def test_each_page_shows_ten_rows_when_page_views_fold_into_one(new_page, carol):
    start = timezone.now() - datetime.timedelta(days=20)
    # Newest first: an order, a visit of 12 pages, an order, a visit... 30 rows of 93 events in all.
    for n in range(15):
        at = start + datetime.timedelta(hours=2 * n)
        _visit(carol, pages=5, at=at)
        _order(carol, n, at + datetime.timedelta(minutes=45))
    url = f"/agent/users/{carol.pk}/?tab=activity"

    first = new_page.get(url)
    second = new_page.get(f"{url}&after={first.context['timeline_page'].next_cursor}", headers=HTMX_MORE)
    third = new_page.get(f"{url}&after={second.context['timeline_page'].next_cursor}", headers=HTMX_MORE)

    assert _rows(first) == ["Order 14", "5 pages viewed", "Order 13", "5 pages viewed", "Order 12"] + [
        "5 pages viewed",
        "Order 11",
        "5 pages viewed",
        "Order 10",
        "5 pages viewed",
    ]
    assert len(_rows(second)) == 10 and _rows(second)[0] == "Order 9"
    assert _rows(third) == ["Order 4", "5 pages viewed", "Order 3", "5 pages viewed", "Order 2"] + [
        "5 pages viewed",
        "Order 1",
        "5 pages viewed",
        "Order 0",
        "5 pages viewed",
    ]
    assert "Show 10 more" in second.content.decode() and "Show 10 more" not in third.content.decode()


def test_a_burst_is_never_split_across_two_pages(new_page, carol):
    start = timezone.now() - datetime.timedelta(days=3)
    for n in range(9):
        _order(carol, n, start + datetime.timedelta(hours=n + 2))
    _visit(carol, pages=40, at=start + datetime.timedelta(hours=1))
    _order(carol, 99, start)

    first = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")
    rows = first.context["timeline_rows"]
    second = new_page.get(
        f"/agent/users/{carol.pk}/?tab=activity&after={first.context['timeline_page'].next_cursor}",
        headers=HTMX_MORE,
    )

    assert [len(row.events) for row in rows] == [1] * 9 + [40]
    assert _rows(second) == ["Order 99"]


def test_a_burst_longer_than_the_first_top_up_still_folds_whole(new_page, carol):
    # The first read brings 11 events, the top-up 40 more (4 a row): a visit of 120 pages needs the rest.
    start = timezone.now() - datetime.timedelta(days=3)
    _order(carol, 1, start + datetime.timedelta(hours=3))
    _visit(carol, pages=120, at=start + datetime.timedelta(hours=2))
    for n in range(2, 12):
        _order(carol, n, start - datetime.timedelta(hours=n))

    first = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")

    assert _rows(first)[:3] == ["Order 1", "120 pages viewed", "Order 2"] and len(_rows(first)) == 10


def test_an_event_about_a_ticket_links_to_it(new_page, carol):
    ticket = TicketFactory(requester=carol, subject="Printer on fire")
    event = ticket_requested_event(ticket_id=ticket.pk, subject=ticket.subject)
    event_record(customer=carol, type=event.type, description=event.description, properties=event.properties)

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert f'<a class="event__ticket" href="/agent/tickets/{ticket.pk}/">Ticket #{ticket.pk}</a>' in page


def test_an_event_whose_ticket_is_gone_says_so_without_a_link(new_page, carol, acme, dave):
    foreign = TicketFactory(requester=dave)  # another helpdesk's ticket is no ticket here
    for ticket_id in (987654, foreign.pk):
        event = ticket_requested_event(ticket_id=ticket_id, subject="Old question")
        event_record(customer=carol, type=event.type, description=event.description, properties=event.properties)

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Ticket #987654 (deleted)" in page and f"Ticket #{foreign.pk} (deleted)" in page
    assert "/agent/tickets/987654/" not in page and f"/agent/tickets/{foreign.pk}/" not in page


def test_a_french_agent_reads_the_deleted_ticket_in_french(new_page, bob, carol):
    event = ticket_requested_event(ticket_id=4242, subject="Ancienne question")
    event_record(customer=carol, type=event.type, description=event.description, properties=event.properties)
    bob.locale = "fr"
    bob.save(update_fields=["locale"])

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Ticket n° 4242 (supprimé)" in page


# The ticket links cost one query a page, whatever number of the page's rows are about tickets: which of their
# tickets still exist, by id. Without ticket events, no query at all (test_activity_tab pins that page).
@pytest.mark.parametrize("ticket_events", [1, 10])
def test_ticket_links_take_one_query_a_page(new_page, carol, ticket_events, django_assert_num_queries):
    from tests.profiles.test_activity_tab import ACTIVITY_PAGE_QUERIES

    for _ in range(ticket_events):
        ticket = TicketFactory(requester=carol)
        event = ticket_requested_event(ticket_id=ticket.pk, subject=ticket.subject)
        event_record(customer=carol, type=event.type, description=event.description, properties=event.properties)

    with django_assert_num_queries(ACTIVITY_PAGE_QUERIES + 1):
        new_page.get(f"/agent/users/{carol.pk}/")
