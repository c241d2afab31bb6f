"""Custom field values: validation per type, who sees and writes which field, lookups kept in the account."""

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import Role
from custom_fields.form_fields import custom_fields_form_fields
from custom_fields.lookups import lookup_search
from custom_fields.values import (
    FORM_PREFIX,
    custom_field_clean,
    custom_field_display,
    custom_field_lookup_labels,
    custom_field_values_apply,
    custom_field_values_clean,
    custom_field_values_writable,
    custom_fields_visible,
)
from demo.factories import CustomFieldFactory, OrganizationFactory, TicketFactory, UserFactory
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def in_english():
    """Messages are checked in English, whatever language an earlier request left active in this thread."""
    with translation.override("en"):
        yield


def _options(*names):
    return [{"name": n, "value": n.lower().replace(" ", "_")} for n in names]


@pytest.fixture
def fields(acme):
    """The demo's kinds of user field, in this order."""
    specs = [
        ("customer_number", "text", {}),
        ("shipping_notes", "textarea", {}),
        ("seats", "integer", {}),
        ("lifetime_value", "decimal", {}),
        ("vip", "checkbox", {}),
        ("renewal", "date", {}),
        ("plan", "dropdown", {"options": _options("Free", "Pro", "Enterprise")}),
        ("interests", "multiselect", {"options": _options("Hardware", "Software", "Training")}),
        ("customer_code", "regexp", {"regexp": r"[A-Z]{3}-\d{4}"}),
        ("account_manager", "lookup", {"lookup_target": "user"}),
        ("company", "lookup", {"lookup_target": "organization"}),
        ("escalation", "lookup", {"lookup_target": "ticket"}),
        ("risk_score", "integer", {"agent_access": "read_only"}),
        ("internal_rating", "text", {"agent_access": "hidden"}),
    ]
    return {
        key: CustomFieldFactory(account=acme, key=key, title=key.replace("_", " ").title(), type=kind, position=i, **x)
        for i, (key, kind, x) in enumerate(specs)
    }


def _clean(field, raw):
    return custom_field_clean(field, raw, account=field.account)


def _error(field, raw) -> str:
    with pytest.raises(ValidationError) as caught:
        _clean(field, raw)
    return " ".join(caught.value.messages)


# Values, type by type -------------------------------------------------------------------------------


def test_text_is_trimmed_and_empty_text_clears_the_value(fields):
    assert _clean(fields["customer_number"], "  C-000042 ") == "C-000042"
    assert _clean(fields["customer_number"], "   ") is None
    assert _clean(fields["customer_number"], None) is None


def test_over_long_text_is_refused_with_its_length(fields):
    assert "under 255 characters (it has 256)" in _error(fields["customer_number"], "x" * 256)
    assert _clean(fields["customer_number"], "x" * 255) == "x" * 255


def test_text_with_a_null_character_is_refused_rather_than_breaking_the_database(fields):
    assert "Null characters" in _error(fields["customer_number"], "a\x00b")


def test_multi_line_text_keeps_its_lines_and_has_a_larger_limit(fields):
    assert _clean(fields["shipping_notes"], "Front desk.\r\nNo Mondays.") == "Front desk.\nNo Mondays."
    assert _clean(fields["shipping_notes"], "x" * 10_000) == "x" * 10_000
    assert "under 10000 characters" in _error(fields["shipping_notes"], "x" * 10_001)


@pytest.mark.parametrize(
    "raw, value", [("42", 42), (" -7 ", -7), ("+3", 3), (120, 120), (5.0, 5), (2**63 - 1, 2**63 - 1)]
)
def test_whole_numbers_are_stored_as_integers(fields, raw, value):
    assert _clean(fields["seats"], raw) == value


@pytest.mark.parametrize("raw", ["1.5", "abc", "1e3", "12 seats", True, 2.5, ["1"]])
def test_anything_but_a_whole_number_is_refused(fields, raw):
    assert "whole number" in _error(fields["seats"], raw)


@pytest.mark.parametrize("raw", [2**63, -(2**63) - 1, "9" * 25])
def test_numbers_beyond_64_bits_are_refused(fields, raw):
    assert "too large" in _error(fields["seats"], raw)


@pytest.mark.parametrize(
    "raw, value", [("48250.50", "48250.50"), ("12,5", "12.5"), (" -0.75 ", "-0.75"), (3, "3"), (0.1, "0.1")]
)
def test_decimals_are_stored_as_exact_strings(fields, raw, value):
    assert _clean(fields["lifetime_value"], raw) == value


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e5", "1.000,50", "12.5.1", "€12", True])
def test_malformed_decimals_are_refused(fields, raw):
    assert "number such as 1234.56" in _error(fields["lifetime_value"], raw)


def test_decimals_with_too_many_places_or_digits_are_refused(fields):
    assert "at most 10 digits after" in _error(fields["lifetime_value"], "1.12345678901")
    assert "too large" in _error(fields["lifetime_value"], "9" * 31)


@pytest.mark.parametrize("raw, value", [(True, True), ("on", True), ("true", True), ("false", False), (None, False)])
def test_checkboxes_are_booleans(fields, raw, value):
    assert _clean(fields["vip"], raw) is value


def test_a_checkbox_refuses_anything_but_yes_or_no(fields):
    assert "yes or no" in _error(fields["vip"], "maybe")


def test_dates_are_iso_strings(fields):
    assert _clean(fields["renewal"], "2025-03-31") == "2025-03-31"
    assert _clean(fields["renewal"], datetime.date(2025, 3, 31)) == "2025-03-31"


@pytest.mark.parametrize("raw", ["2025-02-30", "31/03/2025", "20250331", "2025-3-1", "tomorrow", 20250331])
def test_impossible_or_malformed_dates_are_refused(fields, raw):
    assert "real date as yyyy-mm-dd" in _error(fields["renewal"], raw)


def test_a_drop_down_takes_one_of_its_option_values(fields):
    assert _clean(fields["plan"], "pro") == "pro"
    assert _clean(fields["plan"], "") is None


def test_an_unknown_drop_down_option_is_refused_and_named(fields):
    assert "“platinum” is not one of this field's options" in _error(fields["plan"], "platinum")
    assert "not one of this field's options" in _error(fields["plan"], "Pro")  # the name is not the value


def test_a_multi_select_keeps_known_values_once_in_the_options_order(fields):
    assert _clean(fields["interests"], ["training", "hardware", "training"]) == ["hardware", "training"]
    assert _clean(fields["interests"], "software") == ["software"]
    assert _clean(fields["interests"], []) is None


def test_a_multi_select_refuses_an_unknown_option(fields):
    assert "“gaming” is not one of" in _error(fields["interests"], ["software", "gaming"])
    assert "Choose from" in _error(fields["interests"], {"software": True})


def test_a_regular_expression_field_must_match_its_whole_pattern(fields):
    assert _clean(fields["customer_code"], "CAM-0042") == "CAM-0042"
    assert "isn't in the format this field expects" in _error(fields["customer_code"], "cam-0042")
    assert "isn't in the format this field expects" in _error(fields["customer_code"], "CAM-0042 and more")
    assert "under 255 characters" in _error(fields["customer_code"], "A" * 256)


def test_a_value_that_does_not_match_gets_the_admins_format_hint_never_the_pattern(fields):
    code = fields["customer_code"]
    pattern = code.regexp

    without_hint = _error(code, "cam-0042")
    code.format_hint = "Format: ABC-1234"
    with_hint = _error(code, "cam-0042")

    assert with_hint == "This value isn't in the format this field expects. Format: ABC-1234"
    assert pattern not in without_hint and pattern not in with_hint


def test_a_broken_stored_pattern_is_an_error_message_not_a_crash(fields):
    fields["customer_code"].regexp = "([A-Z"
    assert "pattern is broken" in _error(fields["customer_code"], "CAM-0042")


# Lookups ---------------------------------------------------------------------------------------------


def test_a_user_lookup_takes_an_id_a_label_an_email_or_an_exact_name(fields, bob, carol):
    field = fields["account_manager"]
    assert _clean(field, bob.pk) == bob.pk
    assert _clean(field, f"#{bob.pk}") == bob.pk
    assert _clean(field, f"Bob Agent <bob@acme.test> (#{bob.pk})") == bob.pk
    assert _clean(field, "BOB@acme.test") == bob.pk
    assert _clean(field, "carol customer") == carol.pk
    assert _clean(field, "") is None


def test_a_user_lookup_finds_people_by_a_secondary_email_too(fields, carol):
    from demo.factories import IdentityFactory

    IdentityFactory(user=carol, value="carol.perso@example.org")

    assert _clean(fields["account_manager"], "carol.perso@example.org") == carol.pk


def test_a_lookup_to_another_accounts_record_is_refused(fields, dave, globex):
    field = fields["account_manager"]
    other_org = OrganizationFactory(account=globex, name="Globex Corp")

    assert f"There is no person #{dave.pk} in this account" in _error(field, dave.pk)
    assert "There is no person" in _error(field, f"Dave Elsewhere <dave@example.com> (#{dave.pk})")
    assert "No person of this account matches" in _error(field, "dave@example.com")
    assert "There is no organization" in _error(fields["company"], other_org.pk)


def test_an_unknown_or_ambiguous_lookup_is_refused(fields, acme):
    UserFactory(account=acme, name="Sam Same")
    UserFactory(account=acme, name="Sam Same")

    assert "There is no person #999999" in _error(fields["account_manager"], "#999999")
    assert "Several records match" in _error(fields["account_manager"], "Sam Same")
    assert "No person of this account matches “Nobody”" in _error(fields["account_manager"], "Nobody")
    assert "Enter a name" in _error(fields["account_manager"], True)


def test_organization_and_ticket_lookups_resolve_within_the_account(fields, acme, carol):
    org = OrganizationFactory(account=acme, name="Initech")
    ticket = TicketFactory(requester=carol, subject="Printer on fire")

    assert _clean(fields["company"], "initech") == org.pk
    assert _clean(fields["company"], f"Initech (#{org.pk})") == org.pk
    assert _clean(fields["escalation"], f"#{ticket.pk} Printer on fire") == ticket.pk
    assert _clean(fields["escalation"], "Printer on fire") == ticket.pk


def test_lookup_search_is_scoped_to_the_account_includes_team_members_and_stops_at_ten(acme, bob, carol, dave):
    for i in range(12):
        UserFactory(account=acme, name=f"Agent Smith {i:02d}", email=f"smith{i}@acme.test")

    smiths = lookup_search(account=acme, target="user", query="smith")
    everyone = lookup_search(account=acme, target="user", query="e")

    assert len(smiths) == 10 and smiths[0].label.startswith("Agent Smith 00 <smith0@acme.test> (#")
    assert bob.pk in {o.id for o in lookup_search(account=acme, target="user", query="bob")}
    assert dave.pk not in {o.id for o in everyone}
    assert lookup_search(account=acme, target="user", query="dave@example.com") == []
    assert lookup_search(account=acme, target="nonsense", query="a") == []


def test_lookup_search_finds_tickets_by_subject_or_number(acme, carol):
    ticket = TicketFactory(requester=carol, subject="Printer on fire")

    assert [o.id for o in lookup_search(account=acme, target="ticket", query="printer")] == [ticket.pk]
    assert [o.label for o in lookup_search(account=acme, target="ticket", query=f"#{ticket.pk}")] == [
        f"#{ticket.pk} Printer on fire"
    ]


def test_lookup_labels_cost_one_query_per_target_kind_however_many_records(
    fields, acme, alice, bob, carol, django_assert_num_queries
):
    orgs = OrganizationFactory.create_batch(3, account=acme)
    records = [{"account_manager": person.pk, "company": org.pk} for person in (alice, bob, carol) for org in orgs] + [
        {"account_manager": 999999},
        {"plan": "pro"},
    ]

    # Two target kinds among the fields: two queries, not one per record or per value.
    with django_assert_num_queries(2):
        labels = custom_field_lookup_labels(account=acme, fields=list(fields.values()), values=records)

    assert labels["user"][bob.pk] == f"Bob Agent <bob@acme.test> (#{bob.pk})"
    assert set(labels["organization"]) == {o.pk for o in orgs}
    assert 999999 not in labels["user"]


# Access ----------------------------------------------------------------------------------------------


def test_agents_never_see_hidden_fields_and_admins_see_all_active_ones_in_order(fields):
    fields["seats"].active = False
    fields["seats"].save()

    for_agent = [f.key for f in custom_fields_visible(account=fields["plan"].account, object_type="user", role="agent")]
    for_admin = [f.key for f in custom_fields_visible(account=fields["plan"].account, object_type="user", role="admin")]
    for_customer = custom_fields_visible(account=fields["plan"].account, object_type="user", role="end-user")

    assert "internal_rating" not in for_agent and "seats" not in for_agent
    assert for_admin[-2:] == ["risk_score", "internal_rating"] and "seats" not in for_admin
    assert for_agent == [k for k in for_admin if k != "internal_rating"]
    assert for_customer == []


def _agent_form(acme, values, data, role=Role.AGENT):
    form = forms.Form(data)
    form.fields.update(custom_fields_form_fields(acme, "user", role=role, values=values))
    return form


def test_a_read_only_field_renders_disabled_and_a_crafted_post_cannot_change_it(fields, acme):
    stored = {"risk_score": 12, "internal_rating": "A"}
    form = _agent_form(acme, stored, {f"{FORM_PREFIX}risk_score": "99", f"{FORM_PREFIX}internal_rating": "Z"})

    assert form.is_valid(), form.errors
    assert form.fields[f"{FORM_PREFIX}risk_score"].disabled
    assert f"{FORM_PREFIX}internal_rating" not in form.fields
    assert " disabled " in str(form[f"{FORM_PREFIX}risk_score"])
    assert "Read-only: only an admin can change this field." in form[f"{FORM_PREFIX}risk_score"].help_text
    writable = custom_field_values_writable(fields=list(fields.values()), cleaned_data=form.cleaned_data, role="agent")
    assert "risk_score" not in writable and "internal_rating" not in writable


def test_a_crafted_submission_by_key_refuses_hidden_read_only_inactive_and_unknown_fields(fields, acme):
    fields["seats"].active = False
    fields["seats"].save()

    with pytest.raises(ValidationError) as caught:
        custom_field_values_clean(
            account=acme,
            object_type="user",
            role="agent",
            submitted={"internal_rating": "Z", "risk_score": 1, "seats": 3, "nope": 1, "plan": "pro"},
        )

    errors = caught.value.message_dict
    assert set(errors) == {"internal_rating", "risk_score", "seats", "nope"}
    assert errors["internal_rating"] == errors["nope"] == ["There is no field with this key."]
    assert errors["risk_score"] == ["This field is read-only."]


def test_admins_write_read_only_and_hidden_fields(fields, acme):
    cleaned = custom_field_values_clean(
        account=acme, object_type="user", role="admin", submitted={"internal_rating": "B", "risk_score": "3"}
    )

    assert cleaned == {"internal_rating": "B", "risk_score": 3}


def test_an_agents_form_reports_every_bad_value_next_to_its_field(fields, acme, dave):
    data = {
        f"{FORM_PREFIX}customer_number": "x" * 300,
        f"{FORM_PREFIX}seats": "many",
        f"{FORM_PREFIX}lifetime_value": "1e9",
        f"{FORM_PREFIX}renewal": "2025-13-01",
        f"{FORM_PREFIX}plan": "platinum",
        f"{FORM_PREFIX}interests": ["gaming"],
        f"{FORM_PREFIX}customer_code": "nope",
        f"{FORM_PREFIX}account_manager": str(dave.pk),
    }

    form = _agent_form(acme, {}, data)

    assert not form.is_valid()
    assert set(form.errors) == {key for key in data}


def test_values_left_unchanged_stay_even_when_no_longer_valid(fields, acme, bob):
    stored = {"plan": "legacy", "interests": ["retired"], "account_manager": bob.pk, "customer_code": "old"}
    form = forms.Form()
    form.fields.update(custom_fields_form_fields(acme, "user", role="agent", values=stored))
    data = {name: form[name].value() for name in form.fields if not form.fields[name].disabled}
    data = {k: v for k, v in data.items() if v is not None and v is not False}

    resubmitted = _agent_form(acme, stored, data)

    assert resubmitted.is_valid(), resubmitted.errors
    writable = custom_field_values_writable(
        fields=list(fields.values()), cleaned_data=resubmitted.cleaned_data, role="agent"
    )
    assert {k: writable[k] for k in stored} == stored
    assert "legacy (no longer an option)" in str(form[f"{FORM_PREFIX}plan"])


def test_widgets_fit_each_type(fields, acme, bob):
    form = forms.Form()
    form.fields.update(custom_fields_form_fields(acme, "user", role="agent", values={"account_manager": bob.pk}))

    html = {name: str(form[name]) for name in form.fields}
    assert (
        '<select name="cf_plan"' in html["cf_plan"]
        and '<option value="enterprise">Enterprise</option>' in html["cf_plan"]
    )
    assert 'type="checkbox" name="cf_interests" value="training"' in html["cf_interests"]
    assert 'type="date"' in html["cf_renewal"] and 'inputmode="decimal"' in html["cf_lifetime_value"]
    lookup = html["cf_account_manager"]
    assert f'value="Bob Agent &lt;bob@acme.test&gt; (#{bob.pk})"' in lookup
    assert 'hx-get="/agent/lookup/user/"' in lookup and 'list="id_cf_account_manager_suggestions"' in lookup
    assert '<datalist id="id_cf_account_manager_suggestions"></datalist>' in lookup


def test_applying_values_drops_emptied_keys():
    assert custom_field_values_apply({"plan": "pro", "seats": 3}, {"plan": None, "vip": False}) == {
        "seats": 3,
        "vip": False,
    }


def test_values_read_as_people_expect(fields, bob):
    labels = {"user": {bob.pk: f"Bob Agent <bob@acme.test> (#{bob.pk})"}}

    assert custom_field_display(fields["plan"], "enterprise") == "Enterprise"
    assert custom_field_display(fields["interests"], ["hardware", "training"]) == "Hardware, Training"
    assert custom_field_display(fields["vip"], True) == "Yes"
    assert custom_field_display(fields["renewal"], "2025-03-31") == "March 31, 2025"
    assert custom_field_display(fields["account_manager"], bob.pk, labels=labels).startswith("Bob Agent")
    assert custom_field_display(fields["account_manager"], 999) == "#999"
    assert custom_field_display(fields["seats"], None) == ""


# The suggestions endpoint ----------------------------------------------------------------------------


def test_the_suggestions_endpoint_lists_records_of_this_account_only(as_bob, carol, dave):
    response = as_bob.get("/agent/lookup/user/", {"q": "e"})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Carol Customer &lt;carol@example.com&gt; (#{carol.pk})" in page
    assert "Dave" not in page


def test_the_suggestions_endpoint_reads_the_text_under_the_inputs_own_name(as_bob, carol):
    response = as_bob.get("/agent/lookup/user/", {"param": "cf_account_manager", "cf_account_manager": "carol"})

    assert "Carol Customer" in response.content.decode()


def test_the_suggestions_endpoint_is_for_team_members_of_the_account(as_carol, anonymous, as_bob, dave):
    assert as_carol.get("/agent/lookup/user/", {"q": "a"}).status_code == 403
    assert anonymous.get("/agent/lookup/user/", {"q": "a"}).status_code == 302
    assert as_bob.get("/agent/lookup/planet/", {"q": "a"}).status_code == 404
    assert client_for(dave, host="acme.localhost").get("/agent/lookup/user/").status_code == 302


@pytest.mark.parametrize("q", ["car\x00ol", "x" * 601])
def test_a_search_text_no_database_can_hold_is_refused_naming_the_problem(as_bob, carol, q):
    response = as_bob.get("/agent/lookup/user/", {"q": q})

    assert response.status_code == 422
    assert response.content.decode().strip()


def test_a_text_value_with_a_lone_surrogate_is_refused_with_a_message(acme):
    field = CustomFieldFactory.build(account=acme, type="text")

    with pytest.raises(ValidationError, match="invisible control characters"):
        custom_field_clean(field, "ab\udc00", account=acme)
