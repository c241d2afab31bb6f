"""The profile's Actions menu in a browser: an admin assumes a customer's identity, sees the portal as they do,
returns, and finds both ends in the audit log; an admin upgrades a customer to agent; an agent (in French)
suspends a customer, who is then refused at sign-in with a clear message."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role, User
from demo.factories import TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, open_page, screenshot, sign_in, use_new_profile

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/work/notes/shots/15a")


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def shot(page, name: str) -> None:
    screenshot(page, name)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def customer(site):
    return UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_an_admin_assumes_an_identity_sees_the_portal_returns_and_the_audit_log_shows_both_ends(
    browser, site, admin_user, customer, viewport
):
    use_new_profile(site["account"], admin_user)
    TicketFactory(account=site["account"], requester=customer, submitter=customer, subject="Parcel never arrived")
    size = viewport["width"]
    page = open_page(browser, viewport=viewport)
    sign_in(page, site, admin_user)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")
    page.locator("summary", has_text="Actions").click()
    expect(page.locator(".menu__list").get_by_role("link")).to_have_text(
        ["Assume identity", "Upgrade to agent", "Suspend", "Set password", "Delete"]  # links; the others are forms
    )
    assert fits_the_width(page), "the open menu stays on the screen"
    assert_accessible(page, f"actions-menu-open-{size}")
    shot(page, f"actions-menu-{size}")
    page.locator(".menu__list").get_by_role("link", name="Assume identity").click()

    expect(page.get_by_role("heading", name="Assume the identity of Camille Martin?")).to_be_visible()
    assert_accessible(page, f"assume-confirm-{size}")
    shot(page, f"assume-confirm-{size}")
    page.get_by_role("button", name="Assume identity").click()

    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    expect(page.get_by_text("Parcel never arrived")).to_be_visible()
    banner = page.get_by_role("region", name="Assumed identity")
    expect(banner).to_contain_text("You are assuming the identity of Camille Martin")
    assert_accessible(page, f"assumed-portal-{size}")
    shot(page, f"assumed-portal-{size}")

    page.goto(f"{site['url']}/agent/users/")
    expect(page.get_by_role("heading", name="Not while assuming an identity")).to_be_visible()
    assert_accessible(page, f"assumed-refused-{size}")
    shot(page, f"assumed-refused-{size}")

    banner.get_by_role("button", name="Return to your own session").click()
    page.wait_for_url(f"{site['url']}/agent/users/{customer.pk}/")
    expect(page.get_by_text("You are back in your own session.")).to_be_visible()
    expect(page.get_by_role("region", name="Assumed identity")).to_have_count(0)

    page.goto(f"{site['url']}/admin-center/account/audit-log/")
    rows = page.locator("table.audit-log tbody tr")
    expect(rows.nth(0)).to_contain_text("user.identity_assumption_ended")
    expect(rows.nth(0)).to_contain_text("Camille Martin")
    expect(rows.nth(0)).to_contain_text("Alice Admin")
    expect(rows.nth(1)).to_contain_text("user.identity_assumed")
    assert fits_the_width(page)
    assert_accessible(page, f"audit-log-{size}")
    shot(page, f"audit-log-{size}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_an_admin_upgrades_a_customer_to_agent_from_the_legacy_page(browser, site, admin_user, customer, viewport):
    size = viewport["width"]
    page = open_page(browser, viewport=viewport)
    sign_in(page, site, admin_user)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")
    page.locator("summary", has_text="Actions").click()
    assert fits_the_width(page), "the open menu stays on the screen"
    assert_accessible(page, f"legacy-actions-menu-{size}")
    shot(page, f"legacy-actions-menu-{size}")
    page.locator(".menu__list").get_by_role("link", name="Upgrade to agent").click()

    expect(page.get_by_role("heading", name="Make Camille Martin an agent?")).to_be_visible()
    assert_accessible(page, f"upgrade-confirm-{size}")
    shot(page, f"upgrade-confirm-{size}")
    page.get_by_role("button", name="Upgrade to agent").click()

    expect(page.get_by_text("Camille Martin is now an agent.")).to_be_visible()
    assert User.objects.get(pk=customer.pk).role == Role.AGENT
    page.get_by_label("Search customers").fill("Camille")
    page.get_by_label("Search customers").press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("main")).not_to_contain_text("camille@example.com")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_an_agent_suspends_a_customer_in_french_who_is_then_refused_at_sign_in(
    browser, site, agent_user, customer, viewport
):
    size = viewport["width"]
    User.objects.filter(pk=agent_user.pk).update(locale="fr")
    use_new_profile(site["account"], agent_user)
    page = open_page(browser, viewport=viewport)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")
    page.locator("summary", has_text="Actions").click()
    expect(page.locator(".menu__list").get_by_role("link")).to_have_text(["Suspendre"])
    page.locator(".menu__list").get_by_role("link", name="Suspendre").click()

    expect(page.get_by_role("heading", name="Suspendre Camille Martin ?")).to_be_visible()
    assert_accessible(page, f"suspend-confirm-fr-{size}")
    shot(page, f"suspend-confirm-fr-{size}")
    page.get_by_role("button", name="Suspendre").click()

    expect(page.get_by_text("Camille Martin est suspendu.")).to_be_visible()
    key_details = page.locator("#key-details")
    expect(key_details.get_by_text("Suspendu")).to_be_visible()
    assert_accessible(page, f"suspended-profile-fr-{size}")
    shot(page, f"suspended-profile-fr-{size}")

    visitor = open_page(browser, viewport=viewport, locale="fr-FR")
    visitor.goto(f"{site['url']}/sign-in/")
    visitor.locator("#id_username").fill("camille@example.com")
    visitor.get_by_label("Mot de passe").fill("demo-password-1")
    visitor.get_by_role("button", name="Se connecter").click()
    expect(visitor.get_by_text("Ce compte est suspendu.")).to_be_visible()
    assert visitor.url.endswith("/sign-in/")
    assert_accessible(visitor, f"suspended-sign-in-fr-{size}")
    shot(visitor, f"suspended-sign-in-fr-{size}")


def test_an_admin_lets_agents_assume_identities_and_an_agent_then_can(browser, site, admin_user, agent_user, customer):
    admin = open_page(browser, viewport=DESKTOP)
    sign_in(admin, site, admin_user)
    admin.goto(f"{site['url']}/admin-center/workspaces/agent-tools/agent-interface/")
    admin.get_by_label("Agents may assume customers' identity").check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Your changes were saved.")).to_be_visible()
    assert_accessible(admin, "agent-interface-assume-setting")
    shot(admin, "agent-interface-assume-setting-1366")

    agent = open_page(browser, viewport=PHONE)
    sign_in(agent, site, agent_user)
    agent.goto(f"{site['url']}/agent/users/{customer.pk}/")
    agent.locator("summary", has_text="Actions").click()
    agent.locator(".menu__list").get_by_role("link", name="Assume identity").click()
    agent.get_by_role("button", name="Assume identity").click()
    expect(agent.get_by_role("region", name="Assumed identity")).to_contain_text("Camille Martin")
    agent.get_by_role("button", name="Sign out").click()
    agent.wait_for_url(f"{site['url']}/sign-in/**")
    agent.goto(f"{site['url']}/agent/users/")
    assert "/sign-in/" in agent.url, "signing out ended the assumed session and the agent's own"
