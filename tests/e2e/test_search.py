import pytest

from demo.factories import UserFactory
from tests.e2e.conftest import assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_an_agent_signs_in_searches_a_customer_and_opens_the_result(page, site, agent_user):
    UserFactory(account=site["account"], name="Zoé Quentin", email="zoe@example.com")
    UserFactory(account=site["account"], name="Yann Other", email="yann@example.com")

    sign_in(page, site, agent_user)
    assert page.url.endswith("/agent/users/")
    assert_accessible(page, "search")

    page.get_by_label("Search customers").fill("zoé")
    page.wait_for_url("**/agent/users/?q=zo%C3%A9")
    results = page.locator(".result__name")
    assert results.all_inner_texts() == ["Zoé Quentin"]
    screenshot(page, "search-results")

    results.first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Zoé Quentin"
