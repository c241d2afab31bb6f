"""Fit and finish of the forms, in a browser: Enter saves what was typed and never runs a hidden action;
what a form asks for is explained (format hints, time zones, conflicts, read-only fields); the timeline's
filter tells the truth."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from demo.factories import CustomFieldFactory, IdentityFactory, PhoneIdentityFactory, UserFactory
from profiles.models import Identity
from tests.e2e.conftest import assert_accessible, htmx_settled, open_page, sign_in, use_new_profile

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/notes/shots/11a")
WIDTHS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
LOOKS = [(language, width) for language in ("en", "fr") for width in WIDTHS]


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _as(user, language: str):
    user.locale = language
    user.save(update_fields=["locale"])
    return user


@pytest.fixture
def camille(site, agent_user):
    """A customer whose contact rows each have "⋯" actions that Enter used to run: an unverified second
    email (resend verification, make primary), a phone number (make direct line)."""
    use_new_profile(site["account"], agent_user)
    person = UserFactory(account=site["account"], name="Camille Martin", email="camille@example.com")
    IdentityFactory(user=person, value="camille.perso@example.org", verified=False)
    PhoneIdentityFactory(user=person, value="+33612345678")
    CustomFieldFactory(account=site["account"], key="customer_number", title="Customer number", type="text")
    CustomFieldFactory(account=site["account"], key="seats", title="Seats", type="integer", position=1)
    return person


def _primary_email(person) -> str:
    return User.objects.get(pk=person.pk).email


def _press_enter_in(page, label: str, value: str) -> None:
    form = page.locator("#details-form")
    field = form.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    page.get_by_text("Profile saved.").wait_for()
    htmx_settled(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_each_text_field_of_the_details_tab_saves_it_and_runs_no_action(
    browser, site, agent_user, camille, mailoutbox, javascript
):
    page = open_page(browser, java_script_enabled=javascript)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")
    mails_before = len(mailoutbox)

    _press_enter_in(page, "Name", "Camille Martin-Durand")
    _press_enter_in(page, "Customer number", "ABC-1234")
    _press_enter_in(page, "Seats", "12")

    camille.refresh_from_db()
    assert camille.name == "Camille Martin-Durand"
    assert camille.custom_fields == {"customer_number": "ABC-1234", "seats": 12}
    assert _primary_email(camille) == "camille@example.com"  # "Make primary" did not run
    assert len(mailoutbox) == mails_before  # "Resend verification" did not run
    assert Identity.objects.filter(user=camille).count() == 3  # "Remove" did not run


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_a_new_email_field_adds_exactly_that_email(browser, site, agent_user, camille, javascript):
    page = open_page(browser, java_script_enabled=javascript)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")
    form = page.locator("#details-form")
    form.locator("summary", has_text="+ Add contact").click()
    form.get_by_role("button", name="Email", exact=True).click()
    form = page.locator("#details-form")
    form.get_by_label("New email").wait_for()
    if javascript:
        htmx_settled(page)

    _press_enter_in(page, "New email", "camille.work@example.net")

    values = set(Identity.objects.filter(user=camille).values_list("value", flat=True))
    assert "camille.work@example.net" in values
    assert len(values) == 4
    assert _primary_email(camille) == "camille@example.com"
    assert "camille.work@example.net" in page.locator("#details-form").inner_text()


def test_enter_in_add_organization_adds_it_instead_of_saving_over_it(browser, site, agent_user, camille):
    from demo.factories import OrganizationFactory

    OrganizationFactory(account=site["account"], name="Globodyne", domains="globodyne.example")
    page = open_page(browser)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")
    field = page.locator("#details-form").get_by_label("Add organization")
    field.fill("Globodyne")
    field.press("Enter")

    page.get_by_text("Added to Globodyne.").wait_for()
    assert camille.memberships.filter(organization__name="Globodyne").exists()
    assert _primary_email(camille) == "camille@example.com"


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_the_new_ticket_subject_creates_the_ticket_not_another_cc_row(
    browser, site, agent_user, camille, javascript
):
    from tickets.models import Ticket

    page = open_page(browser, java_script_enabled=javascript)
    sign_in(page, site, agent_user)
    page.goto(f"{site['url']}/agent/users/{camille.pk}/tickets/new/")
    page.get_by_label("Description").fill("The parcel never arrived.")
    subject = page.get_by_label("Subject")
    subject.fill("Late delivery")
    subject.press("Enter")

    page.wait_for_url(f"{site['url']}/agent/tickets/*/")
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.requester_id) == ("Late delivery", camille.pk)


@pytest.mark.parametrize(("language", "width"), LOOKS, ids=[f"{lang}-{w}" for lang, w in LOOKS])
def test_a_filter_with_no_events_stays_selected_and_the_empty_state_names_it(
    browser, site, agent_user, camille, language, width
):
    from activity.services import event_record

    event_record(customer=camille, source="Shop", type="order_placed", description="Order 1")
    page = open_page(browser, viewport=WIDTHS[width])
    sign_in(page, site, _as(agent_user, language))
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=activity&filter=Billing")

    selected = page.locator("#id_timeline_filter option:checked")
    expect(selected).to_have_attribute("value", "Billing")
    billing = {"en": "All Billing events", "fr": "Tous les événements Billing"}[language]
    expect(selected).to_contain_text(billing)
    expect(page.locator(".empty-state")).to_contain_text(billing)
    assert_accessible(page, f"timeline-filter-billing-{language}-{width}")
    _shot(page, f"timeline-filter-billing-{language}-{width}")


@pytest.mark.parametrize(("language", "width"), LOOKS, ids=[f"{lang}-{w}" for lang, w in LOOKS])
def test_an_admin_gives_a_pattern_field_a_format_hint(browser, site, admin_user, language, width):
    page = open_page(browser, viewport=WIDTHS[width])
    sign_in(page, site, _as(admin_user, language))
    page.goto(f"{site['url']}/admin-center/people/user-fields/new/")
    page.locator("#id_title").fill("Order code")
    page.locator("#id_type").select_option("regexp")
    page.locator("#id_regexp").fill("[A-Z]{3}-[0-9]{4}")
    page.locator("#id_format_hint").fill("Format: ABC-1234")
    expect(page.locator("#id_format_hint")).to_be_visible()
    assert_accessible(page, f"custom-field-format-hint-{language}-{width}")
    _shot(page, f"custom-field-admin-format-hint-{language}-{width}")
    page.locator("form.field-form button[type=submit]").click()

    page.wait_for_url("**/admin-center/people/user-fields/")
    from custom_fields.models import CustomField

    assert CustomField.objects.get(key="order_code").format_hint == "Format: ABC-1234"


@pytest.mark.parametrize(("language", "width"), LOOKS, ids=[f"{lang}-{w}" for lang, w in LOOKS])
def test_a_value_in_the_wrong_format_gets_the_hint_and_a_read_only_field_says_why(
    browser, site, agent_user, camille, language, width
):
    account = site["account"]
    CustomFieldFactory(
        account=account, key="order_code", title="Order code", type="regexp", regexp="[A-Z]{3}-[0-9]{4}",
        format_hint="Format: ABC-1234", position=2,
    )  # fmt: skip
    CustomFieldFactory(account=account, key="risk", title="Risk score", type="integer", agent_access="read_only")
    page = open_page(browser, viewport=WIDTHS[width])
    sign_in(page, site, _as(agent_user, language))
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")
    form = page.locator("#details-form")
    form.get_by_label("Order code").fill("abc-12")
    form.get_by_label("Order code").press("Enter")

    error = form.locator("#id_cf_order_code_error")
    expect(error).to_contain_text("Format: ABC-1234")
    expect(error).not_to_contain_text("[A-Z]")
    why = {"en": "Read-only: only an admin can change this field.", "fr": "Lecture seule : seul un administrateur"}
    expect(form.locator("#id_cf_risk_helptext")).to_contain_text(why[language])
    htmx_settled(page)
    assert_accessible(page, f"details-format-hint-{language}-{width}")
    _shot(page, f"details-tab-format-hint-{language}-{width}")


@pytest.mark.parametrize(("language", "width"), LOOKS, ids=[f"{lang}-{w}" for lang, w in LOOKS])
def test_the_time_zone_list_is_grouped_by_region_with_offsets(browser, site, agent_user, language, width):
    page = open_page(browser, viewport=WIDTHS[width])
    sign_in(page, site, _as(agent_user, language))
    page.goto(f"{site['url']}/preferences/")

    select = page.locator("#id_time_zone")
    groups = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert {"en": "Europe", "fr": "Europe"}[language] in groups
    assert {"en": "Americas", "fr": "Amériques"}[language] in groups
    paris = select.locator("option[value='Europe/Paris']").inner_text()
    assert paris in ("(UTC+01:00) Paris", "(UTC+02:00) Paris")
    assert select.locator("option[value='Factory'], option[value='localtime'], option[value='US/Eastern']").count() == 0
    select.select_option("Asia/Kolkata")
    assert_accessible(page, f"preferences-time-zones-{language}-{width}")
    _shot(page, f"preferences-time-zones-{language}-{width}")
    # The list as a list (a native drop-down doesn't show in a screenshot): groups and offsets around Europe.
    select.evaluate("s => { s.size = 16; s.querySelector('option[value=\"Europe/Paris\"]').scrollIntoView(); }")
    select.evaluate("s => { s.scrollTop = s.querySelector('optgroup[label=\"Europe\"]').offsetTop - s.offsetTop; }")
    _shot(page, f"preferences-time-zone-list-{language}-{width}")
    select.evaluate("s => { s.size = 0; }")
    page.locator("form.card button[type=submit]").click()

    agent_user.refresh_from_db()
    assert agent_user.time_zone == "Asia/Kolkata"


@pytest.mark.parametrize(("language", "width"), LOOKS, ids=[f"{lang}-{w}" for lang, w in LOOKS])
def test_the_details_tab_in_both_languages_at_both_widths(browser, site, agent_user, camille, language, width):
    page = open_page(browser, viewport=WIDTHS[width])
    sign_in(page, site, _as(agent_user, language))
    page.goto(f"{site['url']}/agent/users/{camille.pk}/?tab=details")

    languages = page.locator("#details-form select[name=locale] option").all_inner_texts()
    assert languages == ["English", "Français"]
    assert "Courriel" not in page.locator("main").inner_text()
    assert_accessible(page, f"details-tab-{language}-{width}")
    _shot(page, f"details-tab-{language}-{width}")
