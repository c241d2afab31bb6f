"""An admin issues an API token, copies it the one time it is shown, an app uses it, the admin revokes it."""

import json

import pytest
from django.test import Client

from accounts.models import ApiToken
from tests.e2e.conftest import assert_accessible, open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e


def post_event(secret: str) -> int:
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": "a@example.com"}]},
        "event": {"source": "Shop", "type": "order_placed"},
    }
    return client.post("/api/v2/user_profiles/events", json.dumps(body), content_type="application/json").status_code


def test_an_admin_adds_a_token_sees_it_once_and_revokes_it(browser, site, admin_user):
    page = open_page(browser)
    sign_in(page, site, admin_user)
    page.get_by_role("link", name="Admin center").click()
    page.get_by_role("link", name="APIs › API tokens").click()
    assert page.get_by_role("heading", name="API tokens", level=1).is_visible()
    assert page.get_by_text("No API tokens yet").is_visible()
    assert_accessible(page, "api-tokens-empty")

    page.get_by_role("button", name="Add API token").click()
    assert page.get_by_text("This field is required.").is_visible()
    page.get_by_label("Token name").fill("Shop sync")
    page.get_by_role("button", name="Add API token").click()

    secret = page.get_by_label("API token").input_value()
    assert secret.startswith("hdk_")
    assert page.get_by_text("it won't be shown again").is_visible()
    assert_accessible(page, "api-token-created")
    screenshot(page, "api-token-created")
    assert post_event(secret) == 202

    page.get_by_role("link", name="Done").click()
    row = page.get_by_role("row", name="Shop sync")
    assert row.is_visible()
    assert secret[:12] in row.inner_text() and secret not in page.content()
    assert_accessible(page, "api-tokens-list")
    screenshot(page, "api-tokens-list")

    row.get_by_role("link", name="Revoke Shop sync").click()
    assert page.get_by_role("heading", name="Revoke “Shop sync”?").is_visible()
    assert_accessible(page, "api-token-revoke")
    page.get_by_role("button", name="Revoke token").click()

    assert page.get_by_text("The token “Shop sync” was revoked.").is_visible()
    assert "Revoked" in page.get_by_role("row", name="Shop sync").inner_text()
    assert ApiToken.objects.get().revoked_at is not None
    assert post_event(secret) == 401


def test_the_token_list_fits_a_phone(browser, site, admin_user):
    page = open_page(browser, viewport={"width": 375, "height": 740})
    sign_in(page, site, admin_user)
    page.goto(f"{site['url']}/admin-center/apps-and-integrations/apis/api-tokens/")
    page.get_by_label("Token name").fill("Mobile app")
    page.get_by_role("button", name="Add API token").click()
    page.get_by_role("link", name="Done").click()

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    assert_accessible(page, "api-tokens-phone")
    screenshot(page, "api-tokens-phone")
