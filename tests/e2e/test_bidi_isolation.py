"""A name holding a right-to-left override (U+202E) is shown as typed, but as a bidi island of its own (like
<bdi>): only its own text turns around, never the words beside it."""

import pytest

from accounts.models import Role
from demo.factories import UserFactory
from tests.e2e.conftest import open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e

OVERRIDE = "\u202e"


def test_a_name_with_a_right_to_left_override_cant_reverse_the_text_around_it(browser, site, agent_user):
    UserFactory(
        account=site["account"], role=Role.END_USER, name=f"Mallory {OVERRIDE}evil", email="mallory@example.com"
    )
    page = open_page(browser)
    sign_in(page, site, agent_user)

    page.goto(f"{site['url']}/agent/users/?q=mallory")

    name = page.locator(".result__name").first
    assert name.text_content() == f"Mallory {OVERRIDE}evil"  # stored and shown as typed
    assert name.evaluate("e => getComputedStyle(e).unicodeBidi") in ("plaintext", "isolate")
    screenshot(page, "bidi-override-in-a-name")
