"""The article's steps, as written: the admin enables the page, an agent switches, uses it, reverts."""

import datetime

import pytest
from django.utils import timezone

from demo.factories import MembershipFactory, PhoneIdentityFactory, TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in
from tickets.models import TicketCC

pytestmark = pytest.mark.e2e


@pytest.fixture
def customer(site, agent_user):
    account = site["account"]
    person = UserFactory(account=account, name="Camille Martin", email="camille@example.com", tags="vip beta")
    PhoneIdentityFactory(user=person, value="+33612345678", primary=True)
    MembershipFactory(user=person, organization__account=account, organization__name="Initech", default=True)
    start = timezone.now() - datetime.timedelta(days=40)
    for i, status in enumerate(["new", "open", "pending", "hold", "solved", "closed"]):
        TicketFactory(
            requester=person,
            assignee=agent_user,
            subject=f"Requested {status}",
            status=status,
            created_at=start + datetime.timedelta(days=i),
            updated_at=start + datetime.timedelta(days=i, hours=2),
        )
    copied = TicketFactory(requester=UserFactory(account=account), subject="Copied on this one", status="open")
    TicketCC.objects.create(ticket=copied, user=person)
    return person


def test_the_admin_enables_it_an_agent_switches_uses_and_reverts(browser, site, admin_user, agent_user, customer):
    admin = open_page(browser)
    sign_in(admin, site, admin_user)
    admin.get_by_role("link", name="Admin center").click()
    admin.get_by_label("Enable customer profile").check()
    admin.get_by_role("button", name="Save").click()
    assert admin.get_by_text("Your changes were saved.").is_visible()
    assert admin.get_by_label("Enable customer profile").is_checked()
    assert_accessible(admin, "admin-agent-interface")

    agent = open_page(browser)
    sign_in(agent, site, agent_user)
    agent.goto(f"{site['url']}/agent/users/{customer.pk}/")
    switch = agent.get_by_role("button", name="Switch to the new profile experience")
    assert switch.is_visible()
    assert_accessible(agent, "legacy-profile")
    switch.click()

    assert agent.get_by_text("You're using the new customer profile experience.").is_visible()
    assert agent.get_by_role("heading", name="Key details").is_visible()
    assert agent.get_by_role("tab", name="Activity").get_attribute("aria-selected") == "true"
    agent.get_by_role("tab", name="Tickets").click()
    agent.wait_for_url("**tab=tickets**")
    htmx_settled(agent)
    assert agent.get_by_role("tab", name="Tickets").get_attribute("aria-selected") == "true"
    rows = agent.locator("#tab-panel tbody tr")
    assert rows.count() == 6
    assert_accessible(agent, "new-profile")
    screenshot(agent, "new-profile-desktop")

    agent.get_by_label("Show").select_option("ccd")
    agent.wait_for_url("**relation=ccd**")
    htmx_settled(agent)
    assert agent.locator("#tab-panel tbody tr").all_inner_texts()[0].count("Copied on this one") == 1
    assert rows.count() == 1

    agent.get_by_label("Status").select_option("open")
    agent.wait_for_url("**status=open**")
    htmx_settled(agent)
    # Back restores the previous state from the server (htmx keeps no customer data in localStorage).
    with agent.expect_event("load"):
        agent.go_back()
    assert "relation=ccd" in agent.url and "status=open" not in agent.url
    assert agent.get_by_label("Status").input_value() == ""
    agent.get_by_label("Show").select_option("requested")
    agent.wait_for_url("**relation=requested**")
    htmx_settled(agent)
    agent.get_by_role("link", name="Subject").click()
    agent.wait_for_url("**sort=subject**")
    assert agent.locator("#tab-panel tbody tr td:nth-child(2)").first.inner_text() == "Requested closed"

    agent.get_by_role("button", name="Revert").click()
    assert agent.get_by_role("button", name="Switch to the new profile experience").is_visible()
    assert agent.get_by_text("You're using the new customer profile experience.").count() == 0

    # The choice survives a new session on another device.
    agent.get_by_role("button", name="Switch to the new profile experience").click()
    other_device = open_page(browser)
    sign_in(other_device, site, agent_user)
    other_device.goto(f"{site['url']}/agent/users/{customer.pk}/")
    assert other_device.get_by_role("button", name="Revert").is_visible()

    admin.get_by_label("Enable customer profile").uncheck()
    admin.get_by_role("button", name="Save").click()
    other_device.reload()
    assert other_device.get_by_role("button", name="Revert").count() == 0
    assert other_device.get_by_role("button", name="Switch to the new profile experience").count() == 0


def test_the_new_page_reads_well_on_a_phone(browser, site, agent_user, customer):
    site["account"].customer_profile_enabled = True
    site["account"].save()
    agent_user.prefers_new_profile = True
    agent_user.save()
    phone = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(phone, site, agent_user)

    phone.goto(f"{site['url']}/agent/users/{customer.pk}/")

    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.get_by_role("heading", name="Key details").is_visible()
    assert_accessible(phone, "new-profile-phone")
    screenshot(phone, "new-profile-phone")


def test_tabs_work_from_the_keyboard_and_without_javascript(browser, site, agent_user, customer):
    site["account"].customer_profile_enabled = True
    site["account"].save()
    agent_user.prefers_new_profile = True
    agent_user.save()
    no_js = open_page(browser, java_script_enabled=False)
    sign_in(no_js, site, agent_user)

    no_js.goto(f"{site['url']}/agent/users/{customer.pk}/?tab=tickets")
    no_js.get_by_label("Show").select_option("ccd")
    no_js.get_by_role("button", name="Apply").click()

    assert "relation=ccd" in no_js.url
    assert no_js.locator("#tab-panel tbody tr").count() == 1
