"""Tickets in a browser: a customer asks from the portal, an agent answers and solves it, and both
moments land on the customer's timeline."""

import pytest

from demo.factories import UserFactory
from tests.e2e.conftest import assert_accessible, open_page, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(site):
    return UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com", tags="vip")


def test_a_customer_asks_and_an_agent_answers_and_solves(browser, site, agent_user, customer):
    site["account"].customer_profile_enabled = True
    site["account"].save()
    agent_user.prefers_new_profile = True
    agent_user.save()

    portal = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(portal, site, customer)
    portal.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    portal.get_by_role("button", name="Submit").click()
    assert portal.get_by_text("This field is required.").count() >= 1  # nothing typed is lost, nothing sent
    portal.get_by_label("Subject").fill("Where is my <b>order</b>?")
    portal.get_by_label("How can we help?").fill("It was due on Monday.")
    assert_accessible(portal, "portal-new-request")
    portal.get_by_role("button", name="Submit").click()
    assert portal.get_by_text("was submitted").is_visible()
    assert portal.get_by_text("Where is my <b>order</b>?").is_visible()
    assert portal.evaluate("document.documentElement.scrollWidth") <= 390

    agent = open_page(browser)
    sign_in(agent, site, agent_user)
    agent.goto(f"{site['url']}/agent/users/{customer.pk}/?tab=tickets")
    agent.get_by_role("link", name="Where is my <b>order</b>?").click()
    agent.get_by_label("Your reply").fill("It ships today.")
    agent.get_by_label("Submit as").select_option("solved")
    assert_accessible(agent, "ticket-page")
    agent.get_by_role("button", name="Submit").click()
    assert agent.get_by_text("Ticket updated.").is_visible()
    assert agent.get_by_text("It ships today.").is_visible()

    agent.goto(f"{site['url']}/agent/users/{customer.pk}/")
    timeline = agent.locator("ol.timeline").inner_text()
    assert "Comment on ticket #" in timeline and "solved" in timeline
    assert "Requested ticket #" in timeline and "Where is my <b>order</b>?" in timeline
