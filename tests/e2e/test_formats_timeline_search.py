"""Fit and finish in a browser: one format for phone numbers, dates and relative times; a timeline whose
pages are ten rows and whose ticket events link to the ticket; a search that finds people however their
name is typed. In English and French, at desktop and phone widths, accessible."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from activity.services import event_record
from demo.factories import MembershipFactory, PhoneIdentityFactory, TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in, use_new_profile

pytestmark = pytest.mark.e2e

WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
SHOTS = Path("/work/notes/shots/11b")


def look(page, name: str) -> None:
    """Accessible at both widths, with a screenshot of each kept for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        assert_accessible(page, f"{name}-{label}")
        shutil.copy(screenshot(page, f"{name}-{label}"), SHOTS / f"{name}-{label}.png")


@pytest.fixture
def camille(site, agent_user):
    account = site["account"]
    use_new_profile(account, agent_user)
    camille = UserFactory(account=account, name="Camille Martin", email="camille@example.com", tags="vip")
    PhoneIdentityFactory(user=camille, value="+33612345678", primary=True)
    MembershipFactory(user=camille, organization__account=account, organization__name="Chavez Logistics", default=True)
    return camille


def _agent(site, language):
    agent = UserFactory(account=site["account"], role=Role.AGENT, name=f"Agent {language}", locale=language)
    use_new_profile(site["account"], agent)
    return agent


@pytest.mark.parametrize("language", ["en", "fr"])
def test_phone_numbers_dates_and_relative_times_read_the_same_everywhere(browser, site, camille, language):
    moment = timezone.now() - datetime.timedelta(days=1, hours=23)
    TicketFactory(requester=camille, subject="Invoice question", created_at=moment, updated_at=moment)
    event_record(customer=camille, source="Shop", type="order_placed", description="Order", occurred_at=moment)
    page = open_page(browser)
    sign_in(page, site, _agent(site, language))

    page.goto(f"{site['url']}/agent/users/{camille.pk}/")
    key_details = page.locator("#key-details")
    assert "+33 6 12 34 56 78" in key_details.inner_text()
    assert (
        page.locator(".event__meta time").first.inner_text() == {"en": "2 days ago", "fr": "il y a 2 jours"}[language]
    )
    look(page, f"formats-activity-{language}")

    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")
    assert page.get_by_text("+33 6 12 34 56 78", exact=True).first.is_visible()

    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=tickets")
    shown = page.locator("table time").first.inner_text()
    local = timezone.localtime(moment, datetime.UTC).date()
    assert str(local.year) in shown and "/" not in shown  # the locale's words, never 11/30/2026
    look(page, f"formats-tickets-{language}")


def test_each_page_of_the_timeline_is_ten_rows_and_ticket_events_link_to_the_ticket(browser, site, camille):
    start = timezone.now() - datetime.timedelta(days=10)
    for n in range(12):
        at = start + datetime.timedelta(hours=2 * n)
        for minute in range(5):
            event_record(
                customer=camille,
                source="Web",
                type="page_viewed",
                description=f"Viewed /p{minute}",
                occurred_at=at - datetime.timedelta(minutes=minute),
            )
        event_record(customer=camille, source="Shop", type="order_placed", description=f"Order {n}", occurred_at=at)
    ticket = TicketFactory(requester=camille, subject="Printer on fire")
    for ticket_id, hours in ((ticket.pk, 2), (987654, 1)):
        event_record(
            customer=camille,
            type="ticket_requested",
            description=f"Requested ticket #{ticket_id}",
            properties={"ticket_id": ticket_id, "subject": "Printer on fire"},
            occurred_at=timezone.now() - datetime.timedelta(hours=hours),
        )
    page = open_page(browser)
    sign_in(page, site, _agent(site, "en"))
    page.goto(f"{site['url']}/agent/users/{camille.pk}/")

    rows = page.locator("ol.timeline:not(.timeline--nested) > li.event")  # a group's members are inside it
    assert rows.count() == 10
    page.get_by_role("link", name="Show 10 more").click()
    htmx_settled(page)
    assert rows.count() == 20
    assert page.locator(".event__ticket", has_text="Ticket #987654 (deleted)").count() == 1
    assert page.locator("a.event__ticket", has_text="987654").count() == 0
    look(page, "timeline-rows-en")
    page.get_by_role("link", name=f"Ticket #{ticket.pk}", exact=True).click()
    assert page.url == f"{site['url']}/agent/tickets/{ticket.pk}/"


@pytest.mark.parametrize("query", ["Martin Camille", "Cam Mar", "Camille Chavez"])
def test_the_search_finds_a_customer_however_their_name_is_typed(browser, site, agent_user, camille, query):
    UserFactory(account=site["account"], name="Camille Dupont", email="dupont@example.com")
    page = open_page(browser)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/")

    page.get_by_role("searchbox").fill(query)
    page.get_by_role("button", name="Search").click()
    htmx_settled(page)

    names = page.locator(".result__name")
    assert names.all_inner_texts() == ["Camille Martin"]
    if query == "Martin Camille":
        look(page, "search-words-en")
