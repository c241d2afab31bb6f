import pytest
from playwright.sync_api import expect

from custom_fields.models import CustomField
from demo.factories import CustomFieldFactory
from tests.e2e.conftest import assert_accessible, open_page, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_an_admin_adds_a_drop_down_reorders_and_deactivates_it(browser, site, admin_user):
    CustomFieldFactory(account=site["account"], key="customer_number", title="Customer number", position=0)
    page = open_page(browser)
    sign_in(page, site, admin_user)

    page.goto(f"{site['url']}/admin-center/")
    page.get_by_role("link", name="User fields").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("User fields")
    page.get_by_role("link", name="Add field").click()

    # The settings of other types stay out of the way until their type is chosen.
    expect(page.get_by_label("Options")).to_be_hidden()
    page.get_by_label("Title").fill("Plan")
    page.get_by_label("Type").select_option("dropdown")
    expect(page.get_by_label("Options")).to_be_visible()
    expect(page.get_by_label("Pattern")).to_be_hidden()
    page.get_by_label("Options").fill("Free\nPro\nEnterprise | ent")
    page.get_by_label("Read-only").check()
    assert_accessible(page, "custom-field-form")
    page.get_by_role("button", name="Add field").click()

    expect(page.get_by_text("“Plan” was added.")).to_be_visible()
    field = CustomField.objects.get(key="plan")
    assert [o["value"] for o in field.options] == ["free", "pro", "ent"] and field.agent_access == "read_only"
    rows = page.locator(".field-table__title")
    expect(rows).to_have_text(["Customer number", "Plan"])

    # Moving swaps the list in place and keeps the keyboard where it was.
    page.get_by_role("button", name="Move “Plan” up").click()
    expect(rows).to_have_text(["Plan", "Customer number"])
    expect(page.locator("#field-list-status")).to_have_text("“Plan” is now at position 1 of 2.")
    expect(page.get_by_role("button", name="Move “Plan” down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows).to_have_text(["Customer number", "Plan"])
    expect(page.get_by_role("button", name="Move “Plan” up")).to_be_enabled()

    page.get_by_role("button", name="Deactivate “Plan”").click()
    expect(page.get_by_role("button", name="Reactivate “Plan”")).to_be_visible()
    assert not CustomField.objects.get(key="plan").active
    assert_accessible(page, "custom-field-list")
    screenshot(page, "custom-field-list-desktop")

    phone = open_page(browser, viewport={"width": 390, "height": 844})
    sign_in(phone, site, admin_user)
    phone.goto(f"{site['url']}/admin-center/people/user-fields/")
    assert_accessible(phone, "custom-field-list-phone")
    screenshot(phone, "custom-field-list-phone")
    phone.get_by_role("link", name="Plan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Plan")
    assert_accessible(phone, "custom-field-edit-phone")
    screenshot(phone, "custom-field-edit-phone")


def test_a_lookup_fields_preview_suggests_people_as_the_admin_types(page, site, admin_user, agent_user):
    field = CustomFieldFactory(
        account=site["account"], key="account_manager", title="Account manager", type="lookup", lookup_target="user"
    )
    sign_in(page, site, admin_user)

    page.goto(f"{site['url']}/admin-center/people/user-fields/{field.pk}/")
    page.get_by_label("Account manager").press_sequentially("bob", delay=30)

    expect(page.locator("#id_preview-cf_account_manager_suggestions option")).to_have_count(1)
    suggestion = page.locator("#id_preview-cf_account_manager_suggestions option").get_attribute("value")
    assert suggestion == f"Bob Agent <bob@acme.test> (#{agent_user.pk})"
    assert_accessible(page, "custom-field-edit-lookup")
    screenshot(page, "custom-field-edit-lookup")


def test_the_field_pages_work_without_javascript(browser, site, admin_user):
    CustomFieldFactory(account=site["account"], key="a", title="First", position=0)
    CustomFieldFactory(account=site["account"], key="b", title="Second", position=1)
    page = open_page(browser, java_script_enabled=False)
    sign_in(page, site, admin_user)

    page.goto(f"{site['url']}/admin-center/people/user-fields/")
    page.get_by_role("button", name="Move “Second” up").click()

    expect(page.locator(".field-table__title")).to_have_text(["Second", "First"])
    expect(page.get_by_text("“Second” is now at position 1 of 2.")).to_be_visible()


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("multiselect", {"options": [{"name": "Hardware", "value": "hardware"}, {"name": "Training", "value": "t"}]}),
        ("checkbox", {"agent_access": "read_only"}),
        ("date", {"description": "When their contract renews"}),
        ("regexp", {"regexp": r"[A-Z]{3}-\d{4}", "agent_access": "hidden"}),
    ],
)
def test_every_kind_of_preview_is_accessible(page, site, admin_user, kind, extra):
    field = CustomFieldFactory(account=site["account"], key="sample", title="Sample", type=kind, **extra)
    sign_in(page, site, admin_user)

    page.goto(f"{site['url']}/admin-center/people/user-fields/{field.pk}/")

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    assert_accessible(page, f"custom-field-preview-{kind}")
    screenshot(page, f"custom-field-preview-{kind}")
