"""Admin center → People → User, Organization and Ticket fields: defining, ordering, (de)activating fields."""

import contextlib
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import AuditEntry
from custom_fields.admin_forms import options_from_text, options_to_text
from custom_fields.models import CustomField
from custom_fields.services import (
    custom_field_create,
    custom_field_move,
    custom_field_reorder,
    custom_field_set_active,
    custom_field_update,
    regexp_problem,
)
from custom_fields.values import custom_field_clean, custom_fields_visible
from demo.factories import AdminFactory, CustomFieldFactory, OrganizationFactory, TicketFactory, UserFactory
from tests.conftest import client_for

LIST = "/admin-center/people/user-fields/"


@pytest.fixture
def plan(acme):
    return CustomFieldFactory(
        account=acme,
        key="plan",
        title="Plan",
        type="dropdown",
        position=0,
        options=[{"name": "Free", "value": "free"}, {"name": "Pro", "value": "pro"}],
    )


@pytest.fixture
def seats(acme):
    return CustomFieldFactory(account=acme, key="seats", title="Seats", type="integer", position=1)


@pytest.fixture
def vip(acme):
    return CustomFieldFactory(account=acme, key="vip", title="VIP", type="checkbox", position=2)


def _order(acme, object_type="user"):
    return list(CustomField.objects.filter(account=acme, object_type=object_type).values_list("key", flat=True))


def _errors(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


# Services --------------------------------------------------------------------------------------------


def test_creating_a_field_derives_its_key_puts_it_last_and_is_audited(acme, alice, plan, seats):
    field = custom_field_create(
        account=acme,
        actor=alice,
        object_type="user",
        title="  Account   manager ",
        type="lookup",
        lookup_target="user",
        options=[{"name": "ignored", "value": "x"}],
    )

    assert (field.key, field.title, field.position, field.options) == ("account_manager", "Account manager", 2, [])
    entry = AuditEntry.objects.get(action="custom_field.created")
    assert (entry.actor, entry.target_id, entry.after["key"], entry.after["lookup_target"]) == (
        alice,
        str(field.pk),
        "account_manager",
        "user",
    )


def test_a_key_is_unique_per_account_and_kind_of_record(acme, globex, alice, plan):
    errors = _errors(custom_field_create, account=acme, actor=alice, object_type="user", title="Plan", type="text")

    assert errors == {"key": ["Another field here already uses the key “plan”."]}
    assert custom_field_create(account=acme, actor=alice, object_type="organization", title="Plan", type="text")
    assert custom_field_create(account=globex, actor=None, object_type="user", title="Plan", type="text")


@pytest.mark.parametrize(
    "arguments, field, message",
    [
        ({"title": "   "}, "title", "This can't be empty."),
        ({"title": "x" * 256}, "title", "Keep this under 255 characters."),
        ({"key": "Not A Key!"}, "key", "Use lowercase letters, digits and underscores, starting with a letter."),
        ({"key": "9lives"}, "key", "Use lowercase letters"),
        ({"type": "colour"}, "type", "Choose one of the field types."),
        ({"type": "dropdown", "options": []}, "options", "Add at least one option."),
        (
            {"type": "dropdown", "options": [{"name": "A", "value": "a"}, {"name": "B", "value": "a"}]},
            "options",
            "Two options have the value “a”",
        ),
        (
            {"type": "multiselect", "options": [{"name": "Gold", "value": "g"}, {"name": "gold", "value": "h"}]},
            "options",
            "Two options are called “gold”.",
        ),
        ({"type": "dropdown", "options": [{"name": "A", "value": "a b"}]}, "options", "needs a value made of"),
        ({"type": "dropdown", "options": "Free"}, "options", "Add at least one option."),
        ({"type": "regexp", "regexp": ""}, "regexp", "Enter the pattern values must match."),
        ({"type": "regexp", "regexp": "([A-Z"}, "regexp", "This pattern can't be used"),
        ({"type": "regexp", "regexp": r"(a)\1"}, "regexp", "without back-references"),
        ({"type": "regexp", "regexp": "a" * 201}, "regexp", "Keep the pattern under 200 characters."),
        ({"type": "lookup", "lookup_target": "planet"}, "lookup_target", "Choose what this field points to."),
        ({"agent_access": "sometimes"}, "agent_access", "Choose what agents can do with this field."),
    ],
)
def test_a_bad_definition_is_refused_with_a_message_on_the_right_input(acme, alice, arguments, field, message):
    kwargs = {"account": acme, "actor": alice, "object_type": "user", "title": "Tier", "type": "text", **arguments}

    errors = _errors(custom_field_create, **kwargs)

    assert field in errors and message in errors[field][0]
    assert not CustomField.objects.exists() and not AuditEntry.objects.exists()


# Patterns that make a backtracking engine take exponential time on a near-miss; RE2 checks them in time
# linear in the value, so they are fine.
CATASTROPHIC = [r"(a+)+", r"(\w+\s?)*$", r"^([a-z]+)*@", r"((ab)*c)+", r"(x{1,5}){2,}", r"(\d|\d)*x", r"(a|aa)+$"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_patterns_that_would_backtrack_catastrophically_are_checked_in_milliseconds(acme, pattern):
    field = CustomFieldFactory.build(account=acme, type="regexp", regexp=pattern)
    near_misses = ["1" * 255, "a" * 254 + "!", "ab" * 127 + "!", "x" * 255]
    assert regexp_problem(pattern) is None

    started = time.perf_counter()
    for value in near_misses:
        with contextlib.suppress(ValidationError):
            custom_field_clean(field, value, account=acme)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.05, f"{pattern} took {elapsed * 1000:.0f} ms on near-misses"


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<!x)y", r"(?P<n>a)(?P=n)"])
def test_patterns_the_linear_engine_cant_run_are_refused_with_the_reason(pattern):
    assert "without back-references" in regexp_problem(pattern)


@pytest.mark.parametrize(
    "pattern", [r"^[A-Z]{3}-\d{4}$", r"^(\+33|0)[1-9](\d{2}){4}$", r"[(a+)+]", r"\(a+\)+", r"(?:ab)+", r"(a|b)?c+"]
)
def test_ordinary_patterns_are_accepted(pattern):
    assert regexp_problem(pattern) is None


def test_updating_a_field_records_only_what_changed(acme, alice, plan):
    changed = custom_field_update(
        field=plan,
        actor=alice,
        title="Plan",
        description="What they pay for",
        options=[{"name": "Free", "value": "free"}, {"name": "Pro", "value": "pro"}, {"name": "Team", "value": "team"}],
        agent_access="read_only",
    )

    plan.refresh_from_db()
    assert changed == ["description", "options", "agent_access"]
    assert plan.agent_access == "read_only" and [o["value"] for o in plan.options] == ["free", "pro", "team"]
    entry = AuditEntry.objects.get(action="custom_field.updated")
    assert set(entry.before) == set(entry.after) == {"description", "options", "agent_access"}
    assert (entry.before["agent_access"], entry.after["agent_access"]) == ("editable", "read_only")


def test_an_update_that_changes_nothing_records_nothing(acme, alice, plan):
    assert custom_field_update(field=plan, actor=alice, title=" Plan ") == []
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "object_type, make_record, noun",
    [
        ("user", lambda acme, values: UserFactory(account=acme, custom_fields=values), "1 user already has"),
        (
            "organization",
            lambda acme, values: OrganizationFactory(account=acme, custom_fields=values),
            "1 organization already has",
        ),
        (
            "ticket",
            lambda acme, values: TicketFactory(requester=UserFactory(account=acme), custom_fields=values),
            "1 ticket already has",
        ),
    ],
)
def test_changing_the_type_once_values_exist_is_refused_clearly(acme, alice, object_type, make_record, noun):
    field = CustomFieldFactory(account=acme, object_type=object_type, key="tier", type="text")
    make_record(acme, {"tier": "gold"})

    errors = _errors(custom_field_update, field=field, actor=alice, type="integer")

    assert errors["type"] == [f"{noun} a value for this field, so its type can't change. Add a new field instead."]
    field.refresh_from_db()
    assert field.type == "text" and not AuditEntry.objects.exists()


def test_changing_the_type_is_allowed_while_no_record_of_the_account_has_a_value(acme, globex, alice, seats):
    UserFactory(account=globex, custom_fields={"seats": "lots"})  # another account's values don't count
    UserFactory(account=acme, custom_fields={"other": 1})

    assert custom_field_update(field=seats, actor=alice, type="decimal") == ["type"]


def test_a_lookups_target_cannot_change_once_values_exist(acme, alice, bob):
    field = CustomFieldFactory(account=acme, key="manager", type="lookup", lookup_target="user")
    UserFactory(account=acme, custom_fields={"manager": bob.pk})

    errors = _errors(custom_field_update, field=field, actor=alice, lookup_target="organization")

    assert "so its type can't change" in errors["lookup_target"][0]


def test_deactivating_keeps_values_and_reactivating_shows_the_field_again(acme, alice, plan):
    carol = UserFactory(account=acme, custom_fields={"plan": "pro"})

    assert custom_field_set_active(field=plan, actor=alice, active=False) is True
    hidden = custom_fields_visible(account=acme, object_type="user", role="admin")
    assert custom_field_set_active(field=plan, actor=alice, active=False) is False
    custom_field_set_active(field=plan, actor=alice, active=True)

    carol.refresh_from_db()
    assert hidden == [] and carol.custom_fields == {"plan": "pro"}
    assert custom_fields_visible(account=acme, object_type="user", role="admin") == [plan]
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["custom_field.deactivated", "custom_field.activated"]


def test_moving_a_field_reorders_its_kind_and_is_audited(acme, alice, plan, seats, vip):
    assert custom_field_move(field=vip, actor=alice, offset=-1) is True
    assert custom_field_move(field=plan, actor=alice, offset=-1) is False  # already first

    assert _order(acme) == ["plan", "vip", "seats"]
    entry = AuditEntry.objects.get(action="custom_field.reordered")
    assert entry.before == {"object_type": "user", "order": ["plan", "seats", "vip"]}
    assert entry.after == {"object_type": "user", "order": ["plan", "vip", "seats"]}


def test_a_reorder_must_name_exactly_the_fields_of_that_kind(acme, alice, plan, seats):
    other = CustomFieldFactory(account=acme, object_type="organization")

    errors = _errors(custom_field_reorder, account=acme, actor=alice, object_type="user", order=[plan.pk, other.pk])

    assert "reload the page" in errors["order"][0] and _order(acme) == ["plan", "seats"]


def test_the_options_editor_derives_values_and_keeps_existing_ones():
    existing = [{"name": "Gold", "value": "gold_tier"}, {"name": "Support plans", "value": "support_plans"}]

    options = options_from_text("Gold\n\n  Support   plans \nPlatinum club\nDiamond | dia\n", existing=existing)

    assert options == [
        {"name": "Gold", "value": "gold_tier"},
        {"name": "Support plans", "value": "support_plans"},
        {"name": "Platinum club", "value": "platinum_club"},
        {"name": "Diamond", "value": "dia"},
    ]
    assert options_to_text(options) == "Gold | gold_tier\nSupport plans\nPlatinum club\nDiamond | dia"


# Pages -----------------------------------------------------------------------------------------------


def test_the_list_shows_fields_in_order_with_type_access_and_status(as_alice, plan, seats, vip):
    custom_field_set_active(field=seats, actor=None, active=False)
    CustomFieldFactory(
        account=plan.account, key="manager", title="Manager", type="lookup", lookup_target="user", position=3
    )

    page = as_alice.get(LIST).content.decode()

    assert page.index("Plan") < page.index("Seats") < page.index("VIP") < page.index("Manager")
    assert "Drop-down" in page and "2 options" in page and "Lookup relationship → User" in page
    assert "Inactive" in page and "Reactivate" in page and "Editable" in page
    assert 'aria-current="page">User fields<' in page


def test_the_list_page_costs_the_same_few_queries_however_many_fields(as_alice, acme, django_assert_num_queries):
    CustomFieldFactory.create_batch(30, account=acme)
    as_alice.get(LIST)  # warm the session

    # Session, user, account (from the host), the fields: one query for the whole list, never one per field.
    with django_assert_num_queries(4):
        response = as_alice.get(LIST)

    assert response.status_code == 200 and response.content.decode().count("field-table__title") == 30


def test_an_admin_adds_a_drop_down_with_options_from_the_editor(as_alice, acme):
    response = as_alice.post(
        "/admin-center/people/organization-fields/new/",
        {
            "title": "Region",
            "key": "",
            "type": "dropdown",
            "options": "EMEA\nAmericas\nAsia Pacific | apac",
            "agent_access": "editable",
        },
        follow=True,
    )

    field = CustomField.objects.get(account=acme, object_type="organization")
    assert (field.key, field.options) == (
        "region",
        [
            {"name": "EMEA", "value": "emea"},
            {"name": "Americas", "value": "americas"},
            {"name": "Asia Pacific", "value": "apac"},
        ],
    )
    assert response.redirect_chain[-1][0] == "/admin-center/people/organization-fields/"
    assert "“Region” was added." in response.content.decode()


def test_a_bad_definition_shows_its_message_inline_and_saves_nothing(as_alice, acme):
    response = as_alice.post(
        "/admin-center/people/user-fields/new/",
        {"title": "<b>Code</b>", "type": "regexp", "regexp": "(a)\\1", "agent_access": "editable"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "This pattern can&#x27;t be used" in page and 'id="id_regexp_error"' in page
    assert "&lt;b&gt;Code&lt;/b&gt;" in page and "<b>Code</b>" not in page
    assert not CustomField.objects.exists()


def test_an_admin_gives_a_pattern_field_a_format_hint_that_people_see_instead_of_the_pattern(as_alice, acme, alice):
    as_alice.post(
        "/admin-center/people/user-fields/new/",
        {
            "title": "Customer number",
            "type": "regexp",
            "regexp": "[A-Z]{3}-[0-9]{4}",
            "format_hint": "  Format: ABC-1234 ",
            "agent_access": "editable",
        },
    )

    field = CustomField.objects.get(key="customer_number")
    assert field.format_hint == "Format: ABC-1234"
    assert AuditEntry.objects.get(action="custom_field.created").after["format_hint"] == "Format: ABC-1234"
    with pytest.raises(ValidationError) as refused:
        custom_field_clean(field, "abc-12", account=acme)
    assert refused.value.messages == ["This value isn't in the format this field expects. Format: ABC-1234"]
    changed = custom_field_update(field=field, actor=alice, format_hint="Three capitals, a dash, four digits")
    assert changed == ["format_hint"]


def test_a_format_hint_is_kept_only_for_pattern_fields(acme, alice):
    field = custom_field_create(
        account=acme, actor=alice, object_type="user", title="Seats", type="integer", format_hint="Digits"
    )

    assert field.format_hint == ""


def test_the_edit_page_shows_the_key_read_only_the_usage_and_a_preview(as_alice, acme, plan):
    UserFactory(account=acme, custom_fields={"plan": "pro"})

    page = as_alice.get(f"{LIST}{plan.pk}/").content.decode()

    assert "Values are stored under this key, so it can't change." in page and 'name="key"' not in page
    assert "1 record has a value for this field, so its type can't change." in page
    assert '<select name="preview-cf_plan"' in page


def test_editing_keeps_the_key_even_when_a_crafted_post_sends_one(as_alice, acme, plan):
    response = as_alice.post(
        f"{LIST}{plan.pk}/",
        {
            "title": "Subscription",
            "key": "hacked",
            "type": "dropdown",
            "options": "Free\nPro\nTeam",
            "agent_access": "hidden",
        },
    )

    plan.refresh_from_db()
    assert response.status_code == 302
    assert (plan.key, plan.title, plan.agent_access) == ("plan", "Subscription", "hidden")
    assert [o["value"] for o in plan.options] == ["free", "pro", "team"]


def test_a_type_change_refused_on_the_page_keeps_what_the_admin_typed(as_alice, acme, plan):
    UserFactory(account=acme, custom_fields={"plan": "pro"})

    response = as_alice.post(
        f"{LIST}{plan.pk}/", {"title": "Plan v2", "type": "text", "options": "", "agent_access": "editable"}
    )

    page = response.content.decode()
    plan.refresh_from_db()
    assert response.status_code == 400
    assert "1 user already has a value for this field, so its type can&#x27;t change." in page
    assert 'value="Plan v2"' in page and plan.title == "Plan" and plan.type == "dropdown"


def test_move_buttons_work_without_javascript(as_alice, acme, plan, seats):
    response = as_alice.post(f"{LIST}{seats.pk}/move/", {"direction": "up"})

    assert response.status_code == 302 and response.url == f"{LIST}#field-{seats.pk}"
    assert _order(acme) == ["seats", "plan"]


def test_with_htmx_a_move_swaps_the_list_and_announces_the_new_position(as_alice, acme, plan, seats, vip):
    response = as_alice.post(f"{LIST}{plan.pk}/move/", {"direction": "down"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.index("Seats") < page.index("Plan") < page.index("VIP")
    assert 'hx-swap-oob="true">“Plan” is now at position 2 of 3.</p>' in page


def test_a_move_in_an_unknown_direction_is_a_bad_request(as_alice, acme, plan):
    assert as_alice.post(f"{LIST}{plan.pk}/move/", {"direction": "sideways"}).status_code == 400
    assert as_alice.post(f"{LIST}{plan.pk}/active/", {"active": "perhaps"}).status_code == 400


def test_deactivating_from_the_list_and_reactivating_from_the_edit_page(as_alice, acme, plan):
    off = as_alice.post(f"{LIST}{plan.pk}/active/", {"active": "false"}, HTTP_HX_REQUEST="true")
    on = as_alice.post(f"{LIST}{plan.pk}/active/", {"active": "true", "next": "edit"})

    assert "is now inactive: nobody sees it, and its values are kept." in off.content.decode()
    assert on.status_code == 302 and on.url == f"{LIST}{plan.pk}/"
    plan.refresh_from_db()
    assert plan.active is True


# Who may ---------------------------------------------------------------------------------------------


def _urls(field) -> list[tuple[str, str]]:
    base = f"/admin-center/people/{field.object_type}-fields/"
    return [
        ("get", base),
        ("get", f"{base}new/"),
        ("post", f"{base}new/"),
        ("get", f"{base}{field.pk}/"),
        ("post", f"{base}{field.pk}/"),
        ("post", f"{base}{field.pk}/move/"),
        ("post", f"{base}{field.pk}/active/"),
    ]


@pytest.mark.parametrize("object_type", ["user", "organization", "ticket"])
def test_agents_and_customers_are_refused_every_page(as_bob, as_carol, acme, object_type):
    field = CustomFieldFactory(account=acme, object_type=object_type, title="Plan")
    for method, url in _urls(field):
        assert getattr(as_bob, method)(url, {"active": "false", "title": "x", "type": "text"}).status_code == 403, url
        assert getattr(as_carol, method)(url).status_code == 403, url
    field.refresh_from_db()
    assert field.title == "Plan" and field.active and not AuditEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(anonymous, acme, plan):
    for method, url in _urls(plan):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response.url.startswith("/sign-in/"), url


def test_another_accounts_field_is_a_404_on_every_page(globex, acme, alice, as_alice):
    theirs = CustomFieldFactory(account=globex, key="plan", title="Theirs")

    for method, url in _urls(theirs)[3:]:
        assert getattr(as_alice, method)(url, {"direction": "up", "active": "false"}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.title == "Theirs" and theirs.active


def test_a_field_is_only_found_under_its_own_kind_of_record(as_alice, acme):
    org_field = CustomFieldFactory(account=acme, object_type="organization")

    assert as_alice.get(f"{LIST}{org_field.pk}/").status_code == 404
    assert as_alice.get("/admin-center/people/planet-fields/").status_code == 404


def test_another_accounts_admin_has_no_session_here(globex, acme, plan):
    other_admin = AdminFactory(account=globex, email="root@globex.test")

    response = client_for(other_admin, host="acme.localhost").post(f"{LIST}{plan.pk}/active/", {"active": "false"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.active


@pytest.fixture
def english_afterwards():
    """A French request leaves French active in this thread; later tests read English."""
    yield
    translation.activate("en")


def test_a_french_admin_reads_the_pages_and_their_errors_in_french(alice, acme, plan, english_afterwards):
    alice.locale = "fr"
    alice.save(update_fields=["locale"])
    client = client_for(alice)

    listing = client.get(LIST).content.decode()
    refused = client.post(f"{LIST}new/", {"title": "Code", "type": "regexp", "regexp": "(", "agent_access": "editable"})

    assert "Champs utilisateur" in listing and "Monter « Plan »" in listing and "Liste déroulante" in listing
    assert "Ce motif est inutilisable" in refused.content.decode()
