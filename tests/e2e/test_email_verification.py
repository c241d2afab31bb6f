import re

import pytest
from django.core import mail

from demo.factories import IdentityFactory, UserFactory
from profiles.models import Identity
from profiles.verification import identity_send_verification
from tests.e2e.conftest import assert_accessible, open_page, screenshot

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+/verify-email/\S+/")


@pytest.fixture
def carol(site):
    return UserFactory(account=site["account"], name="Carol Customer", email="carol@example.com")


@pytest.fixture
def customer_page(browser):
    """A browser of the customer's own, never signed in to the helpdesk."""
    page = open_page(browser)
    yield page
    page.context.close()


def test_a_customer_opens_the_emailed_link_confirms_and_sees_the_address_verified(
    customer_page, site, agent_user, carol
):
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=False)
    identity_send_verification(identity=work, actor=agent_user, base_url=site["url"])
    link = LINK.search(mail.outbox[-1].body).group(0)
    page = customer_page

    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Verify your email address"
    assert_accessible(page, "verify-email-confirm")
    screenshot(page, "verify-email-confirm")
    assert Identity.objects.get(pk=work.pk).verified is False

    page.get_by_role("button", name="Verify my email address").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "Email address verified"
    assert Identity.objects.get(pk=work.pk).verified is True
    assert_accessible(page, "verify-email-done")
    screenshot(page, "verify-email-done")

    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "This email address is already verified"
    assert_accessible(page, "verify-email-used")


def test_a_broken_link_shows_a_friendly_page_at_phone_width(customer_page, site):
    page = customer_page
    page.set_viewport_size({"width": 375, "height": 700})

    page.goto(f"{site['url']}/verify-email/not-a-real-token/")

    assert page.get_by_role("heading", level=1).inner_text() == "This link isn't valid"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, "verify-email-invalid")
    screenshot(page, "verify-email-invalid-phone")
