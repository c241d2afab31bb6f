"""The Activity tab in a browser: ten events, ten more, filters, details, and hostile payloads as text."""

import datetime

import pytest
from django.utils import timezone

from activity.services import event_record
from demo.factories import UserFactory
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def showcase(site, agent_user):
    account = site["account"]
    account.customer_profile_enabled = True
    account.save()
    agent_user.prefers_new_profile = True
    agent_user.save()
    person = UserFactory(account=account, name="Camille Martin", email="camille@example.com")
    start = timezone.now() - datetime.timedelta(days=20)
    kinds = [("Shop", "order_placed"), ("Billing", "invoice_paid"), ("Shop", "cart_updated")]
    for i in range(30):
        source, type_ = kinds[i % 3]
        event_record(
            customer=person,
            source=source,
            type=type_,
            description=f"{source} {type_} {i:02d}",
            properties={"reference": f"R-{i:02d}", "amount": {"value": i * 10, "currency": "EUR"}},
            occurred_at=start + datetime.timedelta(hours=i),
        )
    event_record(
        customer=person,
        source="Shop",
        type="review_posted",
        description="<img src=x onerror=alert(1)>",
        properties={"text": "<script>alert(2)</script>"},
        occurred_at=start + datetime.timedelta(hours=40),
    )
    return person


def test_an_agent_reads_pages_filters_and_expands_the_timeline(browser, site, agent_user, showcase):
    page = open_page(browser)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{showcase.pk}/")

    events = page.locator("ol.timeline > li.event")
    assert page.get_by_role("tab", name="Activity").get_attribute("aria-selected") == "true"
    assert events.count() == 10
    hostile = events.first
    assert hostile.locator(".event__description").inner_text() == "<img src=x onerror=alert(1)>"
    assert page.locator("img[src=x]").count() == 0
    assert_accessible(page, "activity-tab")
    screenshot(page, "activity-tab-desktop")

    page.get_by_role("link", name="Show 10 more").click()
    page.wait_for_function("() => document.querySelectorAll('ol.timeline > li.event').length === 20")
    htmx_settled(page)
    # Focus moves to the first of the older events, where reading continues.
    page.wait_for_function("() => document.activeElement.closest('li.event') !== null")
    assert "Shop cart_updated 20" in page.evaluate("document.activeElement.innerText")

    page.get_by_label("Filter events").select_option(label="All Billing events (10)")
    page.wait_for_url("**filter=Billing**")
    page.wait_for_function("() => document.querySelectorAll('ol.timeline > li.event').length === 10")
    htmx_settled(page)
    sources = page.locator("ol.timeline > li.event .event__source").all_inner_texts()
    assert set(sources) == {"Billing"}

    page.get_by_label("Filter events").select_option(label="Cart updated (10)")
    page.wait_for_url("**filter=Shop%3Acart_updated**")
    htmx_settled(page)
    descriptions = page.locator("ol.timeline > li.event .event__description").all_inner_texts()
    assert len(descriptions) == 10 and all("cart_updated" in d for d in descriptions)

    first = page.locator("ol.timeline > li.event").first
    first.locator("summary").click()
    details = first.locator(".event__body")
    assert details.is_visible()
    assert "R-29" in details.inner_text() and "EUR" in details.inner_text()
    assert_accessible(page, "activity-tab-expanded")

    with page.expect_event("load"):
        page.go_back()
    assert "filter=Billing" in page.url
    assert page.get_by_label("Filter events").input_value() == "Billing"
    assert dialogs == []


def test_the_timeline_works_without_javascript(browser, site, agent_user, showcase):
    page = open_page(browser, java_script_enabled=False)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{showcase.pk}/")

    page.get_by_role("link", name="Show 10 more").click()
    assert page.locator("ol.timeline > li.event").count() == 10
    assert page.get_by_role("link", name="Back to the newest events").is_visible()

    page.get_by_label("Filter events").select_option(label="All Billing events (10)")
    page.get_by_role("button", name="Apply").click()
    assert set(page.locator(".event__source").all_inner_texts()) == {"Billing"}

    page.locator("ol.timeline > li.event summary").first.click()
    assert page.locator("ol.timeline > li.event .event__body").first.is_visible()


def test_the_timeline_reads_well_on_a_phone(browser, site, agent_user, showcase):
    phone = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(phone, site, agent_user)
    phone.goto(f"{site['url']}/agent/users/{showcase.pk}/")
    phone.locator("ol.timeline > li.event summary").nth(1).click()

    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "activity-tab-phone")
    screenshot(phone, "activity-tab-phone")
