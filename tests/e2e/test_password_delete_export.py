"""The Actions menu's password, delete and export items in a browser: a reset email followed to a new
password and a sign-in; a customer deleted while their tickets stay; their data downloaded as JSON."""

import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Locale, User
from activity.services import event_record
from demo.factories import CommentFactory, TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, open_page, screenshot, sign_in, use_new_profile

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://\S+/password-reset/\S+/\S+/")
NEW_PASSWORD = "kettle on the windowsill"


@pytest.fixture
def camille(site):
    return UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com")


@pytest.fixture
def camilles_ticket(camille):
    ticket = TicketFactory(account=camille.account, requester=camille, subject="Broken kettle")
    CommentFactory(ticket=ticket, author=camille, body="It still leaks")
    event_record(customer=camille, type="page_viewed", source="Shop", properties={"url": "/kettles"})
    return ticket


def _open_actions(page):
    page.locator("summary", has_text="Actions").click()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_reset_email_leads_the_customer_to_a_new_password_and_a_sign_in(
    browser, site, agent_user, camille, camilles_ticket
):
    use_new_profile(site["account"], agent_user)
    User.objects.filter(pk=camille.pk).update(locale=Locale.FR)
    agent = open_page(browser, viewport=DESKTOP)
    sign_in(agent, site, agent_user)
    agent.goto(f"{site['url']}/agent/users/{camille.pk}/")

    _open_actions(agent)
    screenshot(agent, "actions-menu-agent-1366")
    agent.get_by_role("button", name="Send password reset").click()
    expect(agent.get_by_text("A password reset email was sent to camille@example.com.")).to_be_visible()
    [message] = mail.outbox
    assert message.subject == "Choisissez un nouveau mot de passe pour Acme"  # Camille reads French
    link = LINK.search(message.body).group(0)

    # Camille, on her phone, never signed in: the page speaks her language.
    customer = open_page(browser, viewport=PHONE)
    customer.goto(link)
    expect(customer.get_by_role("heading", level=1)).to_have_text("Choisir un nouveau mot de passe")
    assert "set-password" in customer.url  # the token left the address bar
    customer.get_by_label("Nouveau mot de passe", exact=True).fill("kettle")
    customer.get_by_label("Confirmation du nouveau mot de passe").fill("kettle")
    customer.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    expect(customer.locator("#id_new_password1_error")).to_be_visible()
    assert_accessible(customer, "password-reset-choose-fr-390")
    assert _fits(customer)
    screenshot(customer, "password-reset-choose-fr-390")

    customer.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
    customer.get_by_label("Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    customer.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Votre mot de passe a été modifié")
    assert_accessible(customer, "password-reset-done-fr-390")
    screenshot(customer, "password-reset-done-fr-390")

    customer.get_by_role("link", name="Se connecter").click()
    customer.locator("#id_username").fill("camille@example.com")
    customer.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    customer.get_by_role("button", name="Se connecter").click()
    customer.wait_for_load_state("networkidle")
    assert "/portal/" in customer.url
    assert User.objects.get(pk=camille.pk).last_login is not None
    customer.context.close()
    agent.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_forgot_your_password_asks_for_an_email_and_answers_the_same_for_anyone(browser, site, camille, viewport):
    size = viewport["width"]
    page = open_page(browser, viewport=viewport)
    page.goto(f"{site['url']}/sign-in/")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    assert_accessible(page, f"password-reset-ask-{size}")
    assert _fits(page)
    screenshot(page, f"password-reset-ask-{size}")

    page.get_by_label("Email").fill("camille@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page, f"password-reset-sent-{size}")
    screenshot(page, f"password-reset-sent-{size}")
    assert [m.to for m in mail.outbox] == [["camille@example.com"]]

    page.goto(f"{site['url']}/password-reset/MQ/not-a-token/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link can’t be used")
    assert_accessible(page, f"password-reset-invalid-{size}")
    assert _fits(page)
    screenshot(page, f"password-reset-invalid-{size}")
    page.context.close()


@pytest.mark.parametrize(("viewport", "locale"), [(DESKTOP, Locale.EN), (PHONE, Locale.FR)], ids=["1366-en", "390-fr"])
def test_an_admin_deletes_a_customer_whose_ticket_stays_with_a_deleted_requester(
    browser, site, admin_user, camille, camilles_ticket, viewport, locale
):
    size = f"{viewport['width']}-{locale}"
    use_new_profile(site["account"], admin_user)
    User.objects.filter(pk=admin_user.pk).update(locale=locale)
    page = open_page(browser, viewport=viewport)
    sign_in(page, site, admin_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/")
    french = locale == Locale.FR

    _open_actions(page)
    assert_accessible(page, f"actions-menu-admin-{size}")
    screenshot(page, f"actions-menu-admin-{size}")
    page.get_by_role("link", name="Supprimer" if french else "Delete", exact=True).click()
    heading = "Supprimer Camille Martin\u00a0?" if french else "Delete Camille Martin?"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page, f"delete-confirm-{size}")
    assert _fits(page)
    screenshot(page, f"delete-confirm-{size}")

    page.get_by_role("button", name="Supprimer Camille Martin" if french else "Delete Camille Martin").click()
    expect(
        page.get_by_text("Camille Martin a été supprimé." if french else "Camille Martin was deleted.")
    ).to_be_visible()
    assert page.goto(f"{site['url']}/agent/users/{camille.pk}/").status == 404

    page.goto(f"{site['url']}/agent/tickets/{camilles_ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Broken kettle")
    deleted = "Utilisateur supprimé" if french else "Deleted user"
    expect(page.locator(".comment__meta").first).to_contain_text(deleted)
    assert "Camille" not in page.content()
    screenshot(page, f"deleted-requester-ticket-{size}")
    page.context.close()


def test_an_admin_sets_a_password_and_sees_the_validators_verdict(browser, site, admin_user, camille):
    page = open_page(browser, viewport=DESKTOP)
    sign_in(page, site, admin_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/")

    _open_actions(page)
    page.get_by_role("link", name="Set password").click()
    page.get_by_label("New password", exact=True).fill("password123")
    page.get_by_label("New password confirmation").fill("password123")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("#id_new_password1_error")).to_contain_text("This password is too common.")
    assert_accessible(page, "set-password-error-1366")
    screenshot(page, "set-password-error-1366")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Camille Martin’s password was changed.")).to_be_visible()
    assert User.objects.get(pk=camille.pk).check_password(NEW_PASSWORD)
    page.context.close()


def test_an_agent_downloads_the_customers_data_with_tickets_and_events(
    browser, site, agent_user, camille, camilles_ticket
):
    use_new_profile(site["account"], agent_user)
    page = open_page(browser, viewport=DESKTOP, accept_downloads=True)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/")

    _open_actions(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export data").click()
    download = download_info.value

    assert download.suggested_filename.startswith(f"customer-{camille.pk}-")
    document = json.loads(download.path().read_text(encoding="utf-8"))
    assert document["customer"]["name"] == "Camille Martin"
    assert [t["subject"] for t in document["tickets"]] == ["Broken kettle"]
    assert document["tickets"][0]["comments"][0]["body"] == "It still leaks"
    assert {"url": "/kettles"} in [e["properties"] for e in document["events"]]
    page.context.close()
