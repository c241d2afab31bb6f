"""The Customer details tab in a browser: each section edited and saved, the values there after a reload,
the change events on the Activity tab; a conflict between two agents; the tab without JavaScript."""

import pytest

from demo.factories import CustomFieldFactory, IdentityFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def showcase(site, agent_user, admin_user):
    account = site["account"]
    account.customer_profile_enabled = True
    account.save()
    for member in (agent_user, admin_user):
        member.prefers_new_profile = True
        member.save()
    person = UserFactory(account=account, name="Camille Martin", email="camille@example.com", tags="vip")
    IdentityFactory(user=person, value="camille.perso@example.org", verified=True)
    MembershipFactory(user=person, organization__account=account, organization__name="Initech", default=True)
    OrganizationFactory(account=account, name="Globodyne", domains="globodyne.example")
    options = [{"name": "Free", "value": "free"}, {"name": "Enterprise", "value": "enterprise"}]
    CustomFieldFactory(account=account, key="plan", title="Plan", type="dropdown", options=options, position=0)
    CustomFieldFactory(account=account, key="seats", title="Seats", type="integer", position=1)
    CustomFieldFactory(account=account, key="rating", title="Internal rating", agent_access="hidden", position=2)
    return person


def _details(page, site, customer):
    page.goto(f"{site['url']}/agent/users/{customer.pk}/?tab=details")
    return page.locator("#details-form")


def test_an_agent_edits_each_section_saves_and_sees_it_everywhere(browser, site, agent_user, showcase):
    page = open_page(browser)
    sign_in(page, site, agent_user)
    form = _details(page, site, showcase)
    assert page.get_by_role("tab", name="Customer details").get_attribute("aria-selected") == "true"
    assert page.get_by_text("Internal rating").count() == 0
    assert_accessible(page, "details-tab")
    screenshot(page, "details-tab-desktop")

    # Contact information: the name, a new phone number (via + Add contact), the other email made primary.
    form.get_by_label("Name").fill("Camille Martin-Durand")
    form.get_by_text("+ Add contact").click()
    form.get_by_role("button", name="Phone number").click()
    new_phone = form.get_by_label("New phone number")
    new_phone.wait_for()
    htmx_settled(page)
    assert new_phone.evaluate("element => element === document.activeElement")
    assert form.get_by_label("Name").input_value() == "Camille Martin-Durand"  # typing survived the redraw
    new_phone.fill("06 12 34 56 78")
    # Additional information: language, time zone, notes and a tag typed as a chip.
    form.get_by_label("Language").select_option("fr")
    form.get_by_label("Time zone").select_option("America/New_York")
    form.get_by_label("Notes").fill("Prefers email <b>not bold</b>")
    tags = form.get_by_label("Tags")
    tags.fill("gold")
    tags.press("Enter")
    tags.fill("platinum")  # typed, not confirmed: pressing Save still takes it
    # Custom user fields.
    form.get_by_label("Plan").select_option("enterprise")
    form.get_by_label("Seats").fill("120")
    form.get_by_role("button", name="Save").click()
    page.get_by_text("Profile saved.").wait_for()
    htmx_settled(page)

    assert page.locator("#profile-header h1").inner_text() == "Camille Martin-Durand"  # refreshed out of band
    assert "gold" in page.locator("#key-details").inner_text()
    assert "platinum" in page.locator("#key-details").inner_text()

    # Organizations: add one by typing its name, then make it the default.
    form.get_by_label("Add organization").fill("Globo")
    form.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Added to Globodyne.").wait_for()
    htmx_settled(page)
    form.locator("summary[aria-label='Actions for Globodyne']").click()
    form.get_by_role("button", name="Make default").click()
    page.get_by_text("Globodyne is now the default organization.").wait_for()

    page.reload()
    form = page.locator("#details-form")
    assert form.get_by_label("Name").input_value() == "Camille Martin-Durand"
    assert form.get_by_label("Language").input_value() == "fr"
    assert form.get_by_label("Time zone").input_value() == "America/New_York"
    assert form.get_by_label("Notes").input_value() == "Prefers email <b>not bold</b>"
    assert form.get_by_label("Plan").input_value() == "enterprise"
    assert form.get_by_label("Seats").input_value() == "120"
    assert "+33 6 12 34 56 78" in form.inner_text()
    assert "DEFAULT" in form.locator(".row", has_text="Globodyne").inner_text().upper()
    assert_accessible(page, "details-tab-after-save")

    page.get_by_role("tab", name="Activity").click()
    page.wait_for_url("**tab=activity**")
    timeline = page.locator("ol.timeline").inner_text()
    for expected in [
        "Name changed from “Camille Martin” to “Camille Martin-Durand”",
        "Phone number +33 6 12 34 56 78 added",  # as people write it, as everywhere else
        "Plan changed",
        "Added to Globodyne",
        "Default organization set to Globodyne",
    ]:
        assert expected in timeline, expected


def test_two_agents_editing_one_field_see_the_conflict_and_choose(browser, site, agent_user, admin_user, showcase):
    bob = open_page(browser)
    sign_in(bob, site, agent_user)
    bob_form = _details(bob, site, showcase)
    alice = open_page(browser)
    sign_in(alice, site, admin_user)
    alice_form = _details(alice, site, showcase)

    bob_form.get_by_label("Notes").fill("Bob's note")
    bob_form.get_by_role("button", name="Save").click()
    bob.get_by_text("Profile saved.").wait_for()
    htmx_settled(bob)
    alice_form.get_by_label("Notes").fill("Alice's note")
    alice_form.get_by_label("Details").fill("12 rue des Lilas")
    alice_form.get_by_role("button", name="Save").click()

    alice.get_by_text("Bob Agent changed this to “Bob's note” at").wait_for()
    htmx_settled(alice)
    assert alice_form.get_by_label("Notes").input_value() == "Alice's note"
    assert_accessible(alice, "details-conflict")
    screenshot(alice, "details-conflict")
    assert alice_form.get_by_label("Mine: “Alice's note”").is_checked()
    alice_form.get_by_label("Theirs: “Bob's note”").check()
    alice_form.get_by_label("Mine: “Alice's note”").check()
    alice_form.get_by_role("button", name="Save").click()
    alice.get_by_text("Profile saved.").wait_for()

    bob.reload()
    assert _details(bob, site, showcase).get_by_label("Notes").input_value() == "Alice's note"
    assert bob.locator("#details-form").get_by_label("Details").input_value() == "12 rue des Lilas"


def test_the_details_tab_works_without_javascript(browser, site, agent_user, showcase):
    page = open_page(browser, java_script_enabled=False)
    sign_in(page, site, agent_user)
    form = _details(page, site, showcase)

    form.get_by_label("Notes").fill("Typed without JavaScript")
    form.locator("summary", has_text="+ Add contact").click()
    form.get_by_role("button", name="Email", exact=True).click()
    form = page.locator("#details-form")
    assert form.get_by_label("Notes").input_value() == "Typed without JavaScript"
    form.get_by_label("New email").fill("not an email")
    form.get_by_role("button", name="Save").click()

    form = page.locator("#details-form")
    assert "Enter a valid email address" in form.inner_text()
    assert form.get_by_label("Notes").input_value() == "Typed without JavaScript"
    form.get_by_label("New email").fill("camille.new@example.org")
    form.get_by_role("button", name="Save").click()
    assert page.get_by_text("Profile saved.").is_visible()
    assert "camille.new@example.org" in page.locator("#details-form").inner_text()


def test_the_contact_menus_make_an_email_primary_and_remove_one(browser, site, agent_user, showcase):
    page = open_page(browser)
    sign_in(page, site, agent_user)
    form = _details(page, site, showcase)
    form.get_by_label("Notes").fill("Typed before using a menu")

    form.locator("summary[aria-label='Actions for camille.perso@example.org']").click()
    form.get_by_role("button", name="Make primary").click()
    page.get_by_text("camille.perso@example.org is now the primary email.").wait_for()
    htmx_settled(page)

    assert "camille.perso@example.org" in page.locator("#key-details").inner_text()
    assert form.locator(".row", has_text="camille.perso@example.org").locator(".row__label").inner_text() == (
        "PRIMARY EMAIL"
    )
    assert form.get_by_label("Notes").input_value() == "Typed before using a menu"
    page.once("dialog", lambda dialog: dialog.accept())
    form.locator("summary[aria-label='Actions for camille@example.com']").click()
    form.get_by_role("button", name="Remove", exact=True).click()
    page.get_by_text("camille@example.com was removed.").wait_for()
    htmx_settled(page)
    assert form.locator(".row", has_text="camille@example.com").count() == 0
    assert_accessible(page, "details-after-menu-actions")


def test_the_legacy_page_saves_through_the_same_form(browser, site, agent_user, showcase):
    agent_user.prefers_new_profile = False
    agent_user.save()
    page = open_page(browser)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{showcase.pk}/")

    form = page.locator("#details-form")
    form.get_by_label("Notes").fill("Saved from the classic page")
    form.get_by_label("Plan").select_option("enterprise")
    form.get_by_role("button", name="Save").click()

    assert page.get_by_text("Profile saved.").is_visible()
    assert page.get_by_role("button", name="Switch to the new profile experience").is_visible()
    assert page.locator("#details-form").get_by_label("Notes").input_value() == "Saved from the classic page"
    assert page.locator("#details-form").get_by_label("Plan").input_value() == "enterprise"


def test_the_details_tab_reads_well_on_a_phone(browser, site, agent_user, showcase):
    phone = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(phone, site, agent_user)
    _details(phone, site, showcase)
    phone.locator("#details-form .row", has_text="camille.perso@example.org").locator("summary").click()

    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "details-tab-phone")
    screenshot(phone, "details-tab-phone")
