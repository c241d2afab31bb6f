"""Error pages as people meet them: styled like the product, in their language, saying what happened and
offering a way back; at desktop and phone widths, accessible, with no sideways scroll."""

import pytest

from accounts.models import Role
from demo.factories import UserFactory
from tests.e2e.conftest import assert_accessible, open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def look(page, name: str) -> None:
    """Accessible and without sideways scroll at both widths, with a screenshot of each."""
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
        assert_accessible(page, f"error-{name}-{label}")
        screenshot(page, f"error-{name}-{label}")


def test_a_missing_page_says_so_and_takes_an_agent_back_to_customers(browser, site, agent_user):
    page = open_page(browser)
    sign_in(page, site, agent_user)

    response = page.goto(f"{site['url']}/agent/no-such-page/")

    assert response.status == 404
    assert page.get_by_role("heading", name="We couldn't find that page", level=1).is_visible()
    look(page, "404")
    page.get_by_role("link", name="Go to customers").click()
    assert page.url == f"{site['url']}/agent/users/"


def test_a_refused_page_says_why_and_takes_a_customer_back_to_their_requests(browser, site):
    customer = UserFactory(account=site["account"], role=Role.END_USER, email="carol@example.com")
    page = open_page(browser)
    sign_in(page, site, customer)

    response = page.goto(f"{site['url']}/agent/users/")

    assert response.status == 403
    assert page.get_by_role("heading", name="You don't have access to this page").is_visible()
    look(page, "403")
    page.get_by_role("link", name="Go to my requests").click()
    assert page.url == f"{site['url']}/portal/"


def test_a_page_reached_the_wrong_way_explains_itself(browser, site, agent_user):
    page = open_page(browser)
    sign_in(page, site, agent_user)

    response = page.goto(f"{site['url']}/agent/profile-experience/")

    assert response.status == 405
    assert page.get_by_role("heading", name="This page can't be used that way").is_visible()
    look(page, "405")


def test_a_french_visitor_reads_the_missing_page_in_french_and_is_offered_sign_in(browser, site):
    page = open_page(browser, locale="fr-FR")

    response = page.goto(f"{site['url']}/nulle-part/")

    assert response.status == 404
    assert page.get_by_role("heading", name="Nous n’avons pas trouvé cette page").is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    look(page, "404-fr")
    page.get_by_role("link", name="Se connecter").click()
    assert page.url.startswith(f"{site['url']}/sign-in/")


def test_too_many_failed_sign_ins_are_refused_with_a_clear_message(browser, site, agent_user):
    page = open_page(browser)
    page.goto(f"{site['url']}/sign-in/")
    for _ in range(10):
        page.get_by_label("Email").fill(agent_user.email)
        page.get_by_label("Password").fill("wrong-password-again")
        page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Password").fill("demo-password-1")
    with page.expect_response(lambda r: r.url.endswith("/sign-in/") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()

    assert answer.value.status == 429
    assert page.get_by_role("alert").filter(has_text="Too many failed sign-ins").is_visible()
    look(page, "429-sign-in")


def test_an_unknown_helpdesk_address_says_there_is_none(browser, site):
    page = open_page(browser)
    port = site["url"].rsplit(":", 1)[1]

    response = page.goto(f"http://nosuch.localhost:{port}/sign-in/")

    assert response.status == 404
    assert page.get_by_role("heading", name="There's no helpdesk at this address").is_visible()
    look(page, "unknown-helpdesk")


FAILURES = [("/boom/", 500, "Something went wrong on our side"), ("/down/", 503, "The helpdesk is briefly unavailable")]


@pytest.mark.parametrize(("path", "status", "heading"), FAILURES)
def test_a_failure_on_our_side_is_a_calm_page(browser, site, agent_user, settings, path, status, heading):
    page = open_page(browser)
    sign_in(page, site, agent_user)
    settings.ROOT_URLCONF = "tests.test_error_pages"  # the site's URLs, and two that fail

    response = page.goto(f"{site['url']}{path}")

    assert response.status == status
    assert page.get_by_role("heading", name=heading).is_visible()
    look(page, str(status))


FRENCH = [
    ("agent", "/agent/nulle-part/", 404, "Nous n’avons pas trouvé cette page", "Aller aux clients"),
    ("agent", "/agent/profile-experience/", 405, "Cette page ne s’utilise pas ainsi", "Aller aux clients"),
    ("agent", "/boom/", 500, "Une erreur s’est produite de notre côté", "Aller aux clients"),
    ("customer", "/agent/users/", 403, "Vous n’avez pas accès à cette page", "Aller à mes demandes"),
]


@pytest.mark.parametrize(("who", "path", "status", "heading", "way_back"), FRENCH)
def test_a_french_reader_meets_every_error_in_french_with_a_way_back(
    browser, site, settings, who, path, status, heading, way_back
):
    role = Role.AGENT if who == "agent" else Role.END_USER
    person = UserFactory(account=site["account"], role=role, email=f"{who}@acme.test", locale="fr")
    page = open_page(browser)  # signs in in English: their own language takes over once signed in
    sign_in(page, site, person)
    settings.ROOT_URLCONF = "tests.test_error_pages"  # the site's URLs, and one that fails

    response = page.goto(f"{site['url']}{path}")

    assert response.status == status
    assert page.get_by_role("heading", name=heading, level=1).is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name=way_back).is_visible()
    look(page, f"{status}-fr")
