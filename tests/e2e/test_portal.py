"""The customer portal in a browser: Camille signs in, finds her request and one she is CC'd on, opens one by
its row, answers; changes her password and signs in with the new one; on a phone the list is cards; in
French for a French customer. axe checks every portal page."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from demo.factories import CommentFactory, TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, open_page, sign_in
from tickets.models import TicketCC

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/notes/shots/15c")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def customer(site):
    return UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com", tags="vip")


@pytest.fixture
def portal_requests(site, customer, agent_user):
    """Camille's request (answered by Bob, with an internal note she must never see) and a colleague's request
    she is CC'd on, updated later."""
    now = timezone.now()
    colleague = UserFactory(account=site["account"], name="Noor Colleague", email="noor@example.com")
    mine = TicketFactory(
        requester=customer,
        subject="My parcel never arrived, and this subject is long enough to wrap on a phone",
        status="pending",
        description="",
        created_at=now - datetime.timedelta(days=2),
        updated_at=now - datetime.timedelta(hours=5),
    )
    CommentFactory(ticket=mine, author=customer, body="It was due on Monday.")
    CommentFactory(ticket=mine, author=agent_user, body="Internal: the carrier lost it", public=False)
    CommentFactory(ticket=mine, author=agent_user, body="Could you confirm your address?")
    shared = TicketFactory(
        requester=colleague,
        subject="Invoice <b>March</b>",
        status="open",
        created_at=now - datetime.timedelta(days=1),
        updated_at=now - datetime.timedelta(hours=1),
    )
    TicketCC.objects.create(ticket=shared, user=customer)
    return {"mine": mine, "shared": shared}


def no_sideways_scroll(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_customer_opens_a_request_by_its_row_and_answers(browser, site, customer, portal_requests):
    page = open_page(browser, viewport={"width": 1366, "height": 900})
    sign_in(page, site, customer)

    assert page.get_by_role("heading", name="My requests").is_visible()
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert (
        "Invoice <b>March</b>" in rows.nth(0).inner_text()
        and "CC'd on Noor Colleague's request" in rows.nth(0).inner_text()
    )
    assert_accessible(page, "portal-home")
    shot(page, "portal-home-1366-en")

    # A click on the row, away from the subject's text, opens the request.
    row = rows.nth(1)
    box = row.locator("td").nth(2).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"**/portal/requests/{portal_requests['mine'].pk}/")
    assert page.get_by_text("Could you confirm your address?").is_visible()
    assert page.get_by_text("We are waiting for your reply.").is_visible()
    assert "the carrier lost it" not in page.content()

    page.get_by_role("button", name="Send").click()
    assert page.get_by_text("Write your comment before sending it.").is_visible()
    assert_accessible(page, "portal-request-error")
    page.get_by_label("Add a comment").fill("Yes: 4 rue des Lilas, Lyon.")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_text("Your comment was sent.").is_visible()
    assert page.get_by_text("4 rue des Lilas, Lyon.").is_visible()
    assert_accessible(page, "portal-request")
    shot(page, "portal-request-1366-en")

    # By keyboard: back to the list, then one Tab stop per row and Enter opens it.
    page.get_by_role("link", name="← My requests").click()
    page.locator(".requests__link").first.focus()  # her request, answered just now, is first
    page.keyboard.press("Tab")
    shot(page, "portal-home-keyboard-focus-1366-en")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/portal/requests/{portal_requests['shared'].pk}/")
    assert page.get_by_role("heading", name="Invoice <b>March</b>").is_visible()


def test_a_customer_changes_her_password_signs_out_and_signs_in_with_the_new_one(browser, site, customer):
    page = open_page(browser, viewport={"width": 1366, "height": 900})
    sign_in(page, site, customer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Change password").click()
    assert_accessible(page, "portal-password")

    page.get_by_label("Old password").fill("demo-password-1")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("This password is too short.").is_visible()
    assert_accessible(page, "portal-password-error")
    shot(page, "portal-password-error-1366-en")

    page.get_by_label("Old password").fill("demo-password-1")
    page.get_by_label("New password", exact=True).fill("lilac-harbour-42")
    page.get_by_label("New password confirmation").fill("lilac-harbour-42")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("Your password was changed.").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("don't match an active account").is_visible()
    page.get_by_label("Password").fill("lilac-harbour-42")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")
    assert page.get_by_role("heading", name="My requests").is_visible()


@pytest.mark.parametrize("width", [390, 360])
def test_on_a_phone_the_requests_are_cards_with_no_sideways_scroll(browser, site, customer, portal_requests, width):
    page = open_page(browser, viewport={"width": width, "height": 844})
    sign_in(page, site, customer)

    assert page.locator("thead").evaluate("el => el.getBoundingClientRect().height") <= 1  # headers hidden
    assert page.locator("tbody tr").first.evaluate("el => getComputedStyle(el).display") == "block"
    assert no_sideways_scroll(page, width)
    assert_accessible(page, f"portal-home-{width}")
    shot(page, f"portal-home-{width}-en")

    page.locator(".requests__link").nth(1).click()
    page.wait_for_url(f"**/portal/requests/{portal_requests['mine'].pk}/")
    assert no_sideways_scroll(page, width)
    shot(page, f"portal-request-{width}-en")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Change password").click()
    page.wait_for_url("**/portal/password/")
    assert no_sideways_scroll(page, width)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_french_customer_reads_the_portal_in_french(browser, site, portal_requests, width):
    customer = portal_requests["mine"].requester
    customer.locale = "fr"
    customer.save(update_fields=["locale"])
    page = open_page(browser, viewport={"width": width, "height": 900})
    sign_in(page, site, customer)

    assert page.get_by_role("heading", name="Mes demandes").is_visible()
    assert page.get_by_text("En copie de la demande de Noor Colleague").is_visible()
    assert_accessible(page, f"portal-home-fr-{width}")
    shot(page, f"portal-home-{width}-fr")
    page.locator(".requests__link").nth(1).click()
    page.wait_for_url(f"**/portal/requests/{portal_requests['mine'].pk}/")
    assert page.get_by_text("Nous attendons votre réponse.").is_visible()
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Écrivez votre commentaire avant de l’envoyer.").is_visible()
    assert_accessible(page, f"portal-request-fr-{width}")
    assert no_sideways_scroll(page, width)
    shot(page, f"portal-request-{width}-fr")
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Nouvelle demande").click()
    page.wait_for_url("**/portal/requests/new/")
    assert_accessible(page, f"portal-new-request-fr-{width}")
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Changer de mot de passe").click()
    page.wait_for_url("**/portal/password/")
    assert_accessible(page, f"portal-password-fr-{width}")
    shot(page, f"portal-password-{width}-fr")
    assert no_sideways_scroll(page, width)
