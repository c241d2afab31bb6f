"""The profile header's two main buttons in a browser: a ticket opened on a customer's behalf (in place, with
errors that keep what was typed, and without JavaScript), and two demo customers merged with a field chosen
from each."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Account, User
from activity.selectors import event_kinds_for_customer
from demo.factories import TicketFactory, UserFactory
from profiles.models import Identity
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def new_page_members(site, agent_user, admin_user):
    site["account"].customer_profile_enabled = True
    site["account"].save()
    agent_user.prefers_new_profile = True
    agent_user.save()
    return agent_user


@pytest.fixture
def customer(site):
    return UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com", tags="vip eu")


@pytest.fixture
def erin(site):
    return UserFactory(account=site["account"], name="Erin Example", email="erin@example.com")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_an_agent_opens_a_ticket_on_the_customers_behalf_in_place(
    browser, site, new_page_members, customer, erin, viewport
):
    agent = new_page_members
    page = open_page(browser, viewport=viewport)
    sign_in(page, site, agent)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")
    size = viewport["width"]
    screenshot(page, f"profile-header-actions-{size}")

    page.get_by_role("link", name="New ticket").click()
    subject = page.get_by_label("Subject")
    subject.wait_for()
    htmx_settled(page)
    assert subject.evaluate("element => element === document.activeElement"), "focus moves into the form"
    assert page.url.endswith(f"/agent/users/{customer.pk}/"), "opened in place"

    # Submitted half-done: errors beside the fields, focus on the first, nothing typed lost.
    page.get_by_label("Description").fill("The parcel never <b>arrived</b>.")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("Enter a subject.")).to_be_visible()
    htmx_settled(page)
    assert subject.evaluate("element => element === document.activeElement")
    assert page.get_by_label("Description").input_value() == "The parcel never <b>arrived</b>."
    assert page.get_by_label("Priority").input_value() == "high"
    assert not Ticket.objects.exists()

    subject.fill("Late delivery")
    page.get_by_label("Type").select_option("incident")
    page.get_by_label("Assignee").select_option(label=agent.name)
    cc = page.get_by_label("Person to CC 1")
    cc.press_sequentially("Erin")
    suggestions = page.locator("#id_cc_0_suggestions option")
    expect(suggestions).to_have_count(1)
    cc.fill(suggestions.get_attribute("value"))
    assert_accessible(page, f"new-ticket-in-place-{size}")
    screenshot(page, f"new-ticket-in-place-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_role("button", name="Create ticket").click()

    page.wait_for_url(f"{site['url']}/agent/tickets/*/")
    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"Ticket #{ticket.pk} was created for Camille Martin.")).to_be_visible()
    assert (ticket.requester, ticket.submitter, ticket.assignee) == (customer, agent, agent)
    assert list(ticket.ccs.all()) == [erin] and ticket.tags == "vip eu"
    assert_accessible(page, f"new-ticket-landed-{size}")
    screenshot(page, f"new-ticket-landed-{size}")

    page.goto(f"{site['url']}/agent/users/{customer.pk}/?tab=tickets")
    expect(page.get_by_role("link", name="Late delivery")).to_be_visible()
    expect(page.locator("#key-details")).to_contain_text("1 open of 1")
    page.get_by_role("tab", name="Activity").click()
    expect(page.locator("ol.timeline").first).to_contain_text(f"Requested ticket #{ticket.pk}: Late delivery")


def test_cancel_closes_the_form_and_gives_focus_back_to_new_ticket(browser, site, new_page_members, customer):
    page = open_page(browser)
    sign_in(page, site, new_page_members)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")

    opener = page.get_by_role("link", name="New ticket")
    opener.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Subject").wait_for()
    htmx_settled(page)
    page.get_by_role("link", name="Cancel").click()

    expect(page.get_by_label("Subject")).to_have_count(0)
    assert opener.evaluate("element => element === document.activeElement")


def test_without_javascript_the_form_is_a_page_of_its_own(browser, site, agent_user, customer, erin):
    page = open_page(browser, java_script_enabled=False)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")  # the legacy page: same actions (F3)

    page.get_by_role("link", name="New ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New ticket for Camille Martin")
    page.get_by_label("Subject").fill("Typed without JavaScript")
    page.get_by_label("Description").fill("Still works.")
    page.get_by_label("Person to CC 1").fill("erin@example.com")
    page.get_by_role("button", name="+ Add another CC").click()
    assert page.get_by_label("Subject").input_value() == "Typed without JavaScript"
    page.get_by_label("Person to CC 2").fill("nobody@nowhere.example")
    page.get_by_role("button", name="Create ticket").click()
    expect(page.get_by_text("No person of this account matches")).to_be_visible()
    page.get_by_label("Person to CC 2").fill("")
    page.get_by_role("button", name="Create ticket").click()

    expect(page.get_by_role("heading", name="Typed without JavaScript")).to_be_visible()
    assert list(Ticket.objects.get().ccs.all()) == [erin]


# Merging two demo customers


@pytest.fixture
def demo(live_server, db):
    """The demo account (a small one), on its own host, with the new profile page for its agent."""
    call_command("seed_demo", customers=15, tickets=40, events=300, stdout=io.StringIO())
    account = Account.objects.get(subdomain="demo")
    account.customer_profile_enabled = True
    account.save()
    agent = User.objects.get(account=account, email="agent@example.com")
    agent.prefers_new_profile = True
    agent.save()
    port = live_server.url.rsplit(":", 1)[1]
    return {"account": account, "url": f"http://demo.localhost:{port}", "agent": agent}


def _everything_of(*people) -> dict:
    ids = [p.pk for p in people]
    return {
        "tickets": set(Ticket.objects.filter(requester_id__in=ids).values_list("pk", flat=True)),
        "identities": set(Identity.objects.filter(user_id__in=ids).values_list("value", flat=True)),
        "events": sum(k.count for p in people for k in event_kinds_for_customer(customer=p)),
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_an_agent_merges_two_demo_customers_choosing_a_field_from_each(browser, demo, viewport):
    account = demo["account"]
    showcase = User.objects.get(account=account, email="camille.martin@example.com")
    duplicate = User.objects.get(account=account, email="c.martin.home@example.net")
    TicketFactory(requester=duplicate, subject="Parcel from the other address")
    before = _everything_of(showcase, duplicate)
    size = viewport["width"]

    page = open_page(browser, viewport=viewport)
    sign_in(page, demo, demo["agent"])
    page.goto(f"{demo['url']}/agent/users/{duplicate.pk}/")
    page.get_by_role("link", name="Merge", exact=True).click()

    page.get_by_label("Find the other customer").press_sequentially("camille.martin@")
    choose = page.get_by_role("link", name="Merge into Camille Martin")
    expect(choose).to_be_visible()  # found as the agent typed (HTMX), by email
    assert_accessible(page, f"merge-search-{size}")
    screenshot(page, f"merge-search-{size}")
    choose.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merge C. Martin into Camille Martin")
    # One field from each: C. Martin's notes, Camille's plan (hers by default).
    notes = page.get_by_role("group", name="Notes")
    notes.get_by_role("radio", name="C. Martin").check()
    assert page.get_by_role("group", name="Plan").get_by_role("radio", name="Camille Martin").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"merge-preview-{size}")
    screenshot(page, f"merge-preview-{size}")
    page.get_by_role("button", name="Merge C. Martin into Camille Martin").click()

    page.wait_for_url(f"{demo['url']}/agent/users/{showcase.pk}/")
    expect(page.get_by_text("C. Martin was merged into this customer.")).to_be_visible()
    expect(page.locator("ol.timeline").first).to_contain_text(
        f"C. Martin (#{duplicate.pk}) was merged into this customer"
    )
    assert_accessible(page, f"merged-profile-{size}")
    screenshot(page, f"merged-profile-{size}")

    kept = User.objects.get(pk=showcase.pk)
    assert kept.notes == "Wrote from her personal address about a late delivery."
    assert kept.custom_fields["plan"] == "enterprise"
    after = _everything_of(kept)
    assert after["tickets"] == before["tickets"]
    assert after["identities"] == before["identities"]
    assert after["events"] == before["events"] + 1, "both histories, and the merge itself"

    page.goto(f"{demo['url']}/agent/users/{duplicate.pk}/?tab=tickets")
    assert page.url == f"{demo['url']}/agent/users/{showcase.pk}/?tab=tickets"
    expect(page.get_by_role("link", name="Parcel from the other address")).to_be_visible()
