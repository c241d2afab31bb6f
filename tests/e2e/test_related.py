"""The Related tab and the organization page in a browser: the article's example on the demo's showcase
customer (Related → expand "Primary contact" → the organization → its page lists her among its members),
"Show 25 more" by keyboard, the tab without JavaScript, an organization's fields saved, a ticket's field
changed and seen from the other side; at 1366 and 390 pixels, axe-clean."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account, User
from custom_fields.relations import lookup_links_rebuild
from demo.factories import CustomFieldFactory, OrganizationFactory, TicketFactory, UserFactory
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in, use_new_profile

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(live_server, db):
    """The demo account as `make run` builds it (smaller), its profile page on for the demo agent."""
    call_command("seed_demo", customers=15, tickets=40, events=200, stdout=io.StringIO())
    account = Account.objects.get(subdomain="demo")
    agent = User.objects.get(account=account, email="agent@example.com")
    use_new_profile(account, agent)
    port = live_server.url.rsplit(":", 1)[1]
    return {
        "site": {"account": account, "url": f"http://demo.localhost:{port}"},
        "agent": agent,
        "camille": User.objects.get(account=account, email="camille.martin@example.com"),
    }


@pytest.fixture
def showcase(site, agent_user):
    """Acme's Camille, whom 30 tickets' "Reported by" and an organization's "Primary contact" name."""
    account = site["account"]
    use_new_profile(account, agent_user)
    camille = UserFactory(account=account, name="Camille Martin", email="camille@example.com")
    for kind, key, title in [
        ("ticket", "reported_by", "Reported by"),
        ("organization", "primary_contact", "Primary contact"),
    ]:
        CustomFieldFactory(account=account, object_type=kind, key=key, title=title, type="lookup", lookup_target="user")
    TicketFactory.create_batch(30, requester=UserFactory(account=account), custom_fields={"reported_by": camille.pk})
    OrganizationFactory(account=account, name="Initech", custom_fields={"primary_contact": camille.pk})
    lookup_links_rebuild(account=account)
    return camille


def _related(page, site, customer):
    page.goto(f"{site['url']}/agent/users/{customer.pk}/")
    page.get_by_role("tab", name="Related").click()
    page.wait_for_url("**tab=related**")
    htmx_settled(page)


def test_showcase_related_primary_contact_opens_the_organization_listing_her(browser, demo):
    site, camille = demo["site"], demo["camille"]
    page = open_page(browser, viewport={"width": 1366, "height": 900})
    sign_in(page, site, demo["agent"])
    _related(page, site, camille)

    panel = page.locator("#tab-panel")
    for title in [
        "Organizations where this customer is Primary contact",
        "Tickets where this customer is Reported by",
        "People where this customer is Account manager",
        "This customer's Account manager",
    ]:
        assert panel.get_by_text(title).is_visible(), title
    people = panel.locator(".relation", has_text="People where this customer is Account manager")
    assert people.locator(".relation__count").inner_text().startswith("5")
    own = panel.locator(".relation", has_text="This customer's Account manager")
    assert own.locator("details").get_attribute("open") is None  # every row starts collapsed
    own.locator("summary").click()
    assert "Sam Agent" in own.inner_text()  # listed at once: no request

    primary = panel.locator(".relation", has_text="Organizations where this customer is Primary contact")
    assert primary.locator(".relation__count").inner_text().startswith("1")
    primary.locator("summary").click()
    organization = primary.locator(".relation__list a").first
    organization.wait_for()
    htmx_settled(page)
    assert primary.locator("details").get_attribute("open") is not None
    assert_accessible(page, "related-tab")
    screenshot(page, "related-tab-desktop")
    name = organization.inner_text()

    organization.click()
    page.wait_for_url("**/agent/organizations/**")
    assert page.locator("h1").inner_text() == name
    members = page.locator("section", has=page.get_by_role("heading", name="members"))
    member = members.locator(".row", has_text="Camille Martin")
    assert member.get_by_role("link", name="Camille Martin").is_visible()
    assert "DEFAULT" in member.inner_text().upper()  # her default organization
    assert "This organization's Primary contact" in page.locator("#organization-related").inner_text()
    assert_accessible(page, "organization-page")
    screenshot(page, "organization-page-desktop")


def test_the_related_tab_and_the_organization_page_fit_a_phone(browser, demo):
    site, camille = demo["site"], demo["camille"]
    phone = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(phone, site, demo["agent"])
    _related(phone, site, camille)
    tickets = phone.locator(".relation", has_text="Tickets where this customer is Reported by")
    tickets.locator("summary").click()
    tickets.locator(".relation__list a").first.wait_for()
    htmx_settled(phone)

    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "related-tab-phone")
    screenshot(phone, "related-tab-phone")
    phone.locator("#key-details a").first.click()  # her default organization
    phone.wait_for_url("**/agent/organizations/**")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "organization-page-phone")
    screenshot(phone, "organization-page-phone")


def test_a_relationship_opens_and_pages_on_by_keyboard(browser, site, agent_user, showcase):
    page = open_page(browser)
    sign_in(page, site, agent_user)
    _related(page, site, showcase)
    reported = page.locator(".relation", has_text="Tickets where this customer is Reported by")
    assert reported.locator(".relation__count").inner_text().startswith("30")

    reported.locator("summary").focus()
    page.keyboard.press("Enter")
    reported.locator(".relation__item").nth(24).wait_for()
    htmx_settled(page)
    assert reported.locator(".relation__item").count() == 25
    more = reported.get_by_role("link", name="Show 25 more")
    more.focus()
    page.keyboard.press("Enter")
    reported.locator(".relation__item").nth(29).wait_for()
    htmx_settled(page)

    assert reported.locator(".relation__item").count() == 30
    assert reported.get_by_role("link", name="Show 25 more").count() == 0
    focused = page.evaluate("document.activeElement.closest('.relation__item') !== null")
    assert focused  # keyboard users carry on from the first ticket just shown
    labels = reported.locator(".relation__label").all_inner_texts()
    assert len(set(labels)) == 30


def test_the_related_tab_works_without_javascript(browser, site, agent_user, showcase):
    page = open_page(browser, java_script_enabled=False)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{showcase.pk}/?tab=related")

    reported = page.locator(".relation", has_text="Tickets where this customer is Reported by")
    reported.locator("summary").click()
    reported.get_by_role("link", name="Show these records").click()
    reported = page.locator(".relation", has_text="Tickets where this customer is Reported by")
    assert reported.locator(".relation__item").count() == 25
    reported.get_by_role("link", name="Show 25 more").click()

    reported = page.locator(".relation", has_text="Tickets where this customer is Reported by")
    assert reported.locator(".relation__item").count() == 5
    assert reported.get_by_role("link", name="Back to the first records").is_visible()


def test_an_agent_edits_an_organizations_fields_and_the_customer_sees_it(browser, site, agent_user, showcase):
    account = site["account"]
    umbrella = OrganizationFactory(account=account, name="Umbrella", domains="umbrella.example")
    page = open_page(browser)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/organizations/{umbrella.pk}/")
    form = page.locator("#organization-form")

    form.get_by_label("Notes").fill("Renewal due in March")
    contact = form.get_by_label("Primary contact")
    contact.press_sequentially("Camil")
    page.locator(f"#{contact.get_attribute('list')} option").first.wait_for(state="attached")
    contact.fill(page.locator(f"#{contact.get_attribute('list')} option").first.get_attribute("value"))
    form.get_by_label("Domains").fill("umbrella.example umbrella.fr")
    form.get_by_role("button", name="Save").click()
    page.get_by_text("Organization saved.").wait_for()
    htmx_settled(page)

    assert "umbrella.fr" in page.locator("#organization-header").inner_text()  # refreshed out of band
    related = page.locator("#organization-related")
    related.locator("summary", has_text="This organization's Primary contact").click()
    assert "Camille Martin" in related.inner_text()
    assert_accessible(page, "organization-saved")
    page.goto(f"{site['url']}/agent/users/{showcase.pk}/?tab=related")
    primary = page.locator(".relation", has_text="Organizations where this customer is Primary contact")
    assert primary.locator(".relation__count").inner_text().startswith("2")


def test_an_agent_changes_a_tickets_lookup_and_finds_it_from_the_other_side(browser, site, agent_user, showcase):
    account = site["account"]
    ticket = TicketFactory(requester=UserFactory(account=account, name="Rita Requester"), subject="Broken printer")
    page = open_page(browser)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/tickets/{ticket.pk}/")
    page.get_by_label("Your reply").fill("A reply I am still writing")

    fields = page.locator("#ticket-fields")
    fields.get_by_label("Reported by").fill("camille@example.com")
    fields.get_by_role("button", name="Save fields").click()
    page.get_by_text("Ticket fields saved.").wait_for()
    htmx_settled(page)

    assert page.get_by_label("Your reply").input_value() == "A reply I am still writing"
    assert "Camille Martin" in page.locator("#ticket-fields").get_by_label("Reported by").input_value()
    assert_accessible(page, "ticket-fields")
    screenshot(page, "ticket-fields-desktop")
    _related(page, site, showcase)
    reported = page.locator(".relation", has_text="Tickets where this customer is Reported by")
    assert reported.locator(".relation__count").inner_text().startswith("31")
