"""The Customer details tab: every editable item of the article, one Save, inline errors that keep what
was typed, immediate "⋯" actions, custom fields with agent access rules, and no lost updates (B9)."""

import re
import zoneinfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEntry, User
from accounts.services import account_set_customer_profile
from activity.models import Event
from demo.factories import (
    CustomFieldFactory,
    IdentityFactory,
    MembershipFactory,
    OrganizationFactory,
    PhoneIdentityFactory,
    UserFactory,
)
from profiles.models import Identity, OrganizationMembership
from tests.conftest import client_for

HTMX = {"HX-Request": "true", "HX-Target": "tab-panel"}


@pytest.fixture
def enabled(acme, alice):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    return acme


@pytest.fixture
def new_page(enabled, bob):
    bob.prefers_new_profile = True
    bob.save(update_fields=["prefers_new_profile"])
    return client_for(bob)


def _options(*names):
    return [{"name": n, "value": n.lower()} for n in names]


@pytest.fixture
def fields(acme):
    specs = [
        ("plan", "dropdown", {"options": _options("Free", "Pro")}),
        ("seats", "integer", {}),
        ("renewal", "date", {}),
        ("code", "regexp", {"regexp": r"[A-Z]{3}-\d{4}"}),
        ("interests", "multiselect", {"options": _options("Hardware", "Software")}),
        ("vip", "checkbox", {}),
        ("manager", "lookup", {"lookup_target": "user"}),
        ("risk", "integer", {"agent_access": "read_only"}),
        ("rating", "text", {"agent_access": "hidden"}),
    ]
    return {
        key: CustomFieldFactory(account=acme, key=key, title=key.title(), type=kind, position=i, **extra)
        for i, (key, kind, extra) in enumerate(specs)
    }


def _loaded(client, customer) -> dict:
    """The form's fields exactly as the tab rendered them, as a browser would post them back."""
    form = client.get(f"/agent/users/{customer.pk}/?tab=details").context["details_form"]
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, list):
            data[name] = value
        elif value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


def _save(client, customer, data, **headers):
    return client.post(f"/agent/users/{customer.pk}/details/", data, headers=headers)


def test_the_details_tab_shows_every_section_of_the_article(new_page, carol, fields):
    PhoneIdentityFactory(user=carol, value="+33612345678", primary=True)
    IdentityFactory(user=carol, value="carol.alt@example.org", verified=False)
    MembershipFactory(user=carol, organization__name="Initech", organization__domains="initech.example", default=True)

    page = new_page.get(f"/agent/users/{carol.pk}/?tab=details").content.decode()

    for expected in [
        "Contact information",
        "Primary email",
        "Other email",
        "Phone (direct line)",
        "+33 6 12 34 56 78",
        "+ Add contact",
        "Additional information",
        "Language",
        "Time zone",
        "Details",
        "Notes",
        "Tags",
        "Last sign-in",
        "Never",
        "Organizations",
        "initech.example",
        "1 user",
        "Add organization",
        "Custom user fields",
        "Plan",
        "Risk",
    ]:
        assert expected in page, expected
    assert "Rating" not in page  # hidden from agents (B3)
    assert 'aria-label="Not verified"' in page


def test_an_admin_also_sees_the_fields_hidden_from_agents(enabled, alice, carol, fields):
    alice.prefers_new_profile = True
    alice.save(update_fields=["prefers_new_profile"])

    page = client_for(alice).get(f"/agent/users/{carol.pk}/?tab=details").content.decode()

    assert "Rating" in page


def test_saving_changes_records_one_event_per_field_and_an_audit_entry(new_page, bob, carol, fields):
    data = _loaded(new_page, carol)

    response = _save(
        new_page,
        carol,
        {
            **data,
            "name": "Carol Danvers",
            "notes": "Called twice",
            "tags": "vip gold",
            "cf_plan": "pro",
            "cf_seats": "12",
        },
    )

    assert response.status_code == 302 and response.url.endswith("?tab=details")
    carol.refresh_from_db()
    assert (carol.name, carol.notes, carol.tags) == ("Carol Danvers", "Called twice", "vip gold")
    assert carol.custom_fields == {"plan": "pro", "seats": 12}
    types = sorted(Event.objects.filter(customer=carol).values_list("type", flat=True))
    assert types == ["custom_field_changed", "custom_field_changed", "name_changed", "notes_changed", "tags_changed"]
    plan = Event.objects.get(customer=carol, type="custom_field_changed", properties__field="plan")
    assert (plan.properties["previous"], plan.properties["current"]) == ("", "Pro")
    audit = AuditEntry.objects.get(action="customer.updated")
    assert audit.actor == bob and audit.after["cf_plan"] == "pro"


def test_an_htmx_save_answers_with_the_panel_and_refreshes_key_details_and_header(new_page, carol):
    data = _loaded(new_page, carol)

    response = _save(new_page, carol, {**data, "name": "Carol Danvers", "tags": "gold"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Profile saved." in page
    assert 'id="key-details" aria-labelledby="key-details-heading" hx-swap-oob="true"' in page
    assert 'id="profile-header" hx-swap-oob="true"' in page and "Carol Danvers" in page


def test_saving_nothing_changed_says_so_and_records_nothing(new_page, carol):
    response = _save(new_page, carol, _loaded(new_page, carol), **HTMX)

    assert "Nothing to save: no field was changed." in response.content.decode()
    assert not Event.objects.filter(customer=carol).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "x" * 256}, "name", "at most 255 characters"),
        ({"name": "   "}, "name", "Enter a name."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        ({"locale": "tlh"}, "locale", "Select a valid choice"),
        ({"cf_seats": "twelve"}, "cf_seats", "whole number"),
        ({"cf_renewal": "2026-02-30"}, "cf_renewal", "date"),
        ({"cf_code": "abc-12"}, "cf_code", "in the format this field expects"),
        ({"cf_plan": "platinum"}, "cf_plan", "is not one of this field's options"),
        ({"cf_interests": ["hardware", "cooking"]}, "cf_interests", "is not one of this field's options"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_nothing_is_saved_and_nothing_typed_is_lost(
    new_page, carol, fields, changes, field, message
):
    data = {**_loaded(new_page, carol), "notes": "A long note I typed", **changes}

    response = _save(new_page, carol, data, **HTMX)

    assert response.status_code == 400
    form = response.context["details_form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert "A long note I typed" in response.content.decode()
    carol.refresh_from_db()
    assert carol.notes == "" and carol.custom_fields == {}
    assert not Event.objects.filter(customer=carol).exists()


def test_a_lookup_to_another_accounts_record_is_refused(new_page, carol, fields, dave):
    response = _save(new_page, carol, {**_loaded(new_page, carol), "cf_manager": f"#{dave.pk}"}, **HTMX)

    assert response.status_code == 400
    assert "cf_manager" in response.context["details_form"].errors
    assert User.objects.get(pk=carol.pk).custom_fields == {}


def test_a_lookup_picked_by_email_is_saved_as_the_records_id(new_page, carol, fields, bob):
    _save(new_page, carol, {**_loaded(new_page, carol), "cf_manager": "bob@acme.test"})

    assert User.objects.get(pk=carol.pk).custom_fields == {"manager": bob.pk}


def test_a_crafted_post_never_writes_a_hidden_or_read_only_field(new_page, carol, fields):
    carol.custom_fields = {"risk": 3, "rating": "A"}
    carol.save(update_fields=["custom_fields"])

    _save(new_page, carol, {**_loaded(new_page, carol), "cf_risk": "99", "cf_rating": "F", "was_cf_rating": "null"})

    assert User.objects.get(pk=carol.pk).custom_fields == {"risk": 3, "rating": "A"}


def test_add_contact_brings_an_empty_row_and_keeps_what_was_typed(new_page, carol):
    data = {**_loaded(new_page, carol), "notes": "Half-written note"}

    response = _save(new_page, carol, {**data, "add_contact": "phone_number"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="new_contact_type" value="phone_number"' in page and "New phone number" in page
    assert "Half-written note" in page and "field__error" not in page
    assert User.objects.get(pk=carol.pk).notes == ""


def test_new_contacts_are_saved_with_the_rest(new_page, carol):
    data = {
        **_loaded(new_page, carol),
        "name": "Carol C.",
        "new_contact_type": ["email", "phone_number"],
        "new_contact_value": ["Carol.Work@Example.org", "06 12 34 56 78"],
    }

    _save(new_page, carol, data)

    values = set(carol.identities.values_list("value", flat=True))
    assert values == {"carol@example.com", "carol.work@example.org", "+33612345678"}
    assert User.objects.get(pk=carol.pk).name == "Carol C."
    assert Event.objects.filter(customer=carol, type="identity_created").count() == 2


def test_an_email_another_customer_has_is_refused_naming_them_and_nothing_is_saved(new_page, carol, acme):
    other = UserFactory(account=acme, name="Olga Other", email="olga@example.com")
    data = {
        **_loaded(new_page, carol),
        "name": "Carol Renamed",
        "new_contact_type": ["email"],
        "new_contact_value": ["OLGA@example.com"],
    }

    response = _save(new_page, carol, data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Olga Other" in page and f'href="/agent/users/{other.pk}/"' in page
    assert 'value="OLGA@example.com"' in page and 'value="Carol Renamed"' in page
    assert User.objects.get(pk=carol.pk).name == "Carol Customer"
    assert not carol.identities.filter(value="olga@example.com").exists()


def test_a_malformed_email_or_phone_is_an_inline_error(new_page, carol):
    data = {
        **_loaded(new_page, carol),
        "new_contact_type": ["email", "phone_number"],
        "new_contact_value": ["not-an-email", "12"],
    }

    response = _save(new_page, carol, data, **HTMX)

    rows = response.context["details_form"].new_contacts
    assert response.status_code == 400
    assert "valid email address" in rows[0]["error"] and "valid phone number" in rows[1]["error"]
    assert carol.identities.count() == 1


def test_a_verified_secondary_email_can_become_primary_from_its_menu(new_page, carol):
    other = IdentityFactory(user=carol, value="carol.pro@example.org", verified=True)

    response = new_page.post(f"/agent/users/{carol.pk}/identities/{other.pk}/make_primary/", {}, headers=HTMX)

    page = response.content.decode()
    assert "carol.pro@example.org is now the primary email." in page
    assert User.objects.get(pk=carol.pk).email == "carol.pro@example.org"
    key_details = page.split('id="key-details"')[1]
    assert 'hx-swap-oob="true"' in key_details[:80] and "carol.pro@example.org" in key_details


def test_an_unverified_email_cannot_become_primary(new_page, carol):
    other = IdentityFactory(user=carol, value="carol.pro@example.org", verified=False)

    response = new_page.post(f"/agent/users/{carol.pk}/identities/{other.pk}/make_primary/", {}, headers=HTMX)

    assert response.status_code == 400
    assert User.objects.get(pk=carol.pk).email == "carol@example.com"


def test_the_primary_email_cannot_be_removed(new_page, carol):
    primary = carol.identities.get()

    response = new_page.post(f"/agent/users/{carol.pk}/identities/{primary.pk}/remove/", {}, headers=HTMX)

    assert response.status_code == 400
    assert Identity.objects.filter(pk=primary.pk).exists()


def test_an_action_keeps_what_the_agent_typed_but_did_not_save(new_page, carol):
    other = IdentityFactory(user=carol, value="old@example.org")
    data = {**_loaded(new_page, carol), "notes": "Typed before removing"}

    no_js = new_page.post(f"/agent/users/{carol.pk}/identities/{other.pk}/remove/", data)

    assert no_js.status_code == 200 and "Typed before removing" in no_js.content.decode()
    assert not Identity.objects.filter(pk=other.pk).exists()
    assert User.objects.get(pk=carol.pk).notes == ""


def test_an_action_without_unsaved_typing_redirects_back_to_the_tab(new_page, carol):
    other = IdentityFactory(user=carol, value="old@example.org")

    response = new_page.post(f"/agent/users/{carol.pk}/identities/{other.pk}/remove/", _loaded(new_page, carol))

    assert response.status_code == 302 and response.url == f"/agent/users/{carol.pk}/?tab=details"


def test_resend_verification_sends_a_signed_link_in_the_customers_language(new_page, carol):
    carol.locale = "fr"
    carol.save(update_fields=["locale"])
    other = IdentityFactory(user=carol, value="carol.pro@example.org", verified=False)

    response = new_page.post(f"/agent/users/{carol.pk}/identities/{other.pk}/send_verification/", {}, headers=HTMX)

    assert "A verification email was sent to carol.pro@example.org." in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol.pro@example.org"]
    assert "http://acme.localhost/verify-email/" in mail.outbox[0].body


def test_a_shared_phone_becomes_a_direct_line_from_its_menu(new_page, carol):
    shared = PhoneIdentityFactory(user=carol, value="+33478000000", phone_line="shared")

    new_page.post(f"/agent/users/{carol.pk}/identities/{shared.pk}/make_direct_line/", {}, headers=HTMX)

    shared.refresh_from_db()
    assert shared.phone_line == "direct"


def test_organizations_are_added_by_name_made_default_and_removed(new_page, carol, acme):
    first = MembershipFactory(user=carol, organization__name="Initech", default=True)
    OrganizationFactory(account=acme, name="Globodyne")

    new_page.post(f"/agent/users/{carol.pk}/organizations/add/", {"organization": "Globodyne"}, headers=HTMX)
    added = OrganizationMembership.objects.get(user=carol, organization__name="Globodyne")
    new_page.post(f"/agent/users/{carol.pk}/organizations/{added.pk}/make-default/", {}, headers=HTMX)
    new_page.post(f"/agent/users/{carol.pk}/organizations/{first.pk}/remove/", {}, headers=HTMX)

    memberships = list(OrganizationMembership.objects.filter(user=carol).values_list("organization__name", "default"))
    assert memberships == [("Globodyne", True)]
    assert set(Event.objects.filter(customer=carol).values_list("type", flat=True)) == {
        "organization_added",
        "organization_default_changed",
        "organization_removed",
    }


def test_an_unknown_organization_is_an_error_that_keeps_the_text(new_page, carol, globex):
    OrganizationFactory(account=globex, name="Globex Corp")

    response = new_page.post(
        f"/agent/users/{carol.pk}/organizations/add/", {"organization": "Globex Corp"}, headers=HTMX
    )

    assert response.status_code == 400
    assert 'value="Globex Corp"' in response.content.decode()
    assert not OrganizationMembership.objects.filter(user=carol).exists()


# No lost updates (B9): two agents load the form; what each changed survives unless both changed one field.


def test_two_agents_saving_different_fields_both_keep_their_change(enabled, bob, alice, carol, fields):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded_bob, loaded_alice = _loaded(as_bob, carol), _loaded(as_alice, carol)

    _save(as_bob, carol, {**loaded_bob, "notes": "Bob's note", "cf_plan": "pro"})
    _save(as_alice, carol, {**loaded_alice, "details": "Alice's address", "cf_seats": "5"})

    carol.refresh_from_db()
    assert (carol.notes, carol.details) == ("Bob's note", "Alice's address")
    assert carol.custom_fields == {"plan": "pro", "seats": 5}


def test_the_conflict_names_who_saved_and_when_in_the_viewers_language_and_time_zone(enabled, bob, alice, carol):
    User.objects.filter(pk=alice.pk).update(locale="fr", time_zone="Asia/Tokyo")
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _loaded(as_bob, carol)
    _save(as_bob, carol, {**loaded, "notes": "Bob's note"})
    saved_at = AuditEntry.objects.get(action="customer.updated").created_at

    response = _save(as_alice, carol, {**loaded, "notes": "Alice's note"}, **HTMX)

    in_tokyo = timezone.localtime(saved_at, zoneinfo.ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    assert f"Bob Agent a remplacé cette valeur par « Bob&#x27;s note » à {in_tokyo}" in response.content.decode()


def test_a_change_the_audit_log_does_not_know_is_still_a_conflict_without_a_name(enabled, bob, carol):
    as_bob = client_for(bob)
    loaded = _loaded(as_bob, carol)
    User.objects.filter(pk=carol.pk).update(notes="Changed behind the form's back")

    response = _save(as_bob, carol, {**loaded, "notes": "Bob's note"}, **HTMX)

    assert "Another agent changed this to “Changed behind the form&#x27;s back”" in response.content.decode()


def test_the_second_agent_saving_the_same_field_gets_a_conflict_and_nothing_is_overwritten(
    enabled, bob, alice, carol, fields
):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _loaded(as_bob, carol)
    _save(as_bob, carol, {**loaded, "notes": "Bob's note", "cf_plan": "pro"})

    response = _save(as_alice, carol, {**loaded, "notes": "Alice's note", "cf_plan": "free", "details": "Hers"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 409
    assert re.search(r"Bob Agent changed this to “Bob&#x27;s note” at \d{1,2}(:\d\d)? [ap]\.m\. while you were", page)
    assert 'name="resolve_notes" value="theirs"' in page and 'name="resolve_notes" value="yours" checked' in page
    assert "Bob Agent changed this to “Pro” at " in page
    carol.refresh_from_db()
    assert (carol.notes, carol.details, carol.custom_fields) == ("Bob's note", "", {"plan": "pro"})


@pytest.mark.parametrize(
    ("notes_choice", "plan_choice", "notes", "plan"),
    [
        ("theirs", "theirs", "Bob's note", "pro"),
        ("yours", "yours", "Alice's note", "free"),
        ("theirs", "yours", "Bob's note", "free"),
    ],
)
def test_after_a_conflict_the_agent_keeps_either_value_field_by_field(
    enabled, bob, alice, carol, fields, notes_choice, plan_choice, notes, plan
):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _loaded(as_bob, carol)
    _save(as_bob, carol, {**loaded, "notes": "Bob's note", "cf_plan": "pro"})
    conflict = _save(as_alice, carol, {**loaded, "notes": "Alice's note", "cf_plan": "free", "details": "Hers"})
    form = conflict.context["details_form"]
    resubmitted = {
        name: form[name].value()
        for name in form.fields
        if not form.fields[name].disabled and form[name].value() not in (None, False)
    }

    as_alice.post(
        f"/agent/users/{carol.pk}/details/",
        {**resubmitted, "resolve_notes": notes_choice, "resolve_cf_plan": plan_choice},
    )

    carol.refresh_from_db()
    assert (carol.notes, carol.custom_fields["plan"], carol.details) == (notes, plan, "Hers")


# Who may do what, and where.


def test_another_accounts_customer_is_a_404_on_every_details_url(new_page, dave, globex):
    identity = dave.identities.get()
    membership = MembershipFactory(user=dave, organization__account=globex)

    urls = [
        f"/agent/users/{dave.pk}/details/",
        f"/agent/users/{dave.pk}/identities/{identity.pk}/remove/",
        f"/agent/users/{dave.pk}/organizations/add/",
        f"/agent/users/{dave.pk}/organizations/{membership.pk}/remove/",
    ]

    assert [new_page.post(url, {"name": "Hacked"}).status_code for url in urls] == [404] * 4
    assert Identity.objects.filter(pk=identity.pk).exists() and User.objects.get(pk=dave.pk).name == "Dave Elsewhere"


def test_an_identity_or_membership_of_another_customer_is_a_404(new_page, carol, acme):
    other = UserFactory(account=acme)
    membership = MembershipFactory(user=other)

    assert new_page.post(f"/agent/users/{carol.pk}/identities/{other.identities.get().pk}/remove/").status_code == 404
    assert new_page.post(f"/agent/users/{carol.pk}/organizations/{membership.pk}/remove/").status_code == 404
    assert new_page.post(f"/agent/users/{carol.pk}/identities/{carol.identities.get().pk}/explode/").status_code == 404


def test_end_users_are_refused_every_details_url(as_carol, carol):
    identity = carol.identities.get()

    assert as_carol.post(f"/agent/users/{carol.pk}/details/", {"name": "Me"}).status_code == 403
    assert as_carol.post(f"/agent/users/{carol.pk}/identities/{identity.pk}/remove/").status_code == 403
    assert as_carol.post(f"/agent/users/{carol.pk}/organizations/add/").status_code == 403


def test_the_legacy_page_edits_through_the_same_form(as_bob, carol, fields):
    page = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Custom user fields" in page and "+ Add contact" in page and "Add organization" in page


# Query counts. Why these numbers: session + user + account (3); the customer with Key details' ticket
# counts (1); their identities with whoever shares one of their phone numbers (1); their memberships with
# each organization's user count (1); custom field definitions (1) and one lookup label query per lookup
# target in use (1 here). None may grow with the number of identities, organizations or fields.
DETAILS_PAGE_QUERIES = 8


@pytest.mark.parametrize("extra", [0, 5])
def test_the_details_tab_takes_constant_queries(new_page, carol, acme, fields, bob, extra, django_assert_num_queries):
    carol.custom_fields = {"manager": bob.pk, "plan": "pro"}
    carol.save(update_fields=["custom_fields"])
    PhoneIdentityFactory(user=carol, value="+33612345600", primary=True)
    for i in range(extra):
        IdentityFactory(user=carol, value=f"alt{i}@example.org")
        PhoneIdentityFactory(user=carol, value=f"+3361234570{i}")
        MembershipFactory(user=carol, organization__account=acme)
        CustomFieldFactory(account=acme, key=f"extra_{i}", title=f"Extra {i}", position=50 + i)

    with django_assert_num_queries(DETAILS_PAGE_QUERIES):
        assert new_page.get(f"/agent/users/{carol.pk}/?tab=details").status_code == 200


def test_a_search_matching_one_organization_adds_it_and_several_are_offered_as_choices(new_page, carol, acme):
    OrganizationFactory(account=acme, name="Globodyne", domains="globodyne.example")
    OrganizationFactory(account=acme, name="Globex Partners")
    OrganizationFactory(account=acme, name="Initech")

    several = new_page.post(f"/agent/users/{carol.pk}/organizations/add/", {"organization": "glob"}, headers=HTMX)
    one = new_page.post(f"/agent/users/{carol.pk}/organizations/add/", {"organization": "initech"}, headers=HTMX)

    assert several.status_code == 400
    assert [o.name for o in several.context["organization_candidates"]] == ["Globex Partners", "Globodyne"]
    assert one.status_code == 200
    assert list(OrganizationMembership.objects.filter(user=carol).values_list("organization__name", flat=True)) == [
        "Initech"
    ]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_details_url(anonymous, carol):
    identity = carol.identities.get()
    membership = MembershipFactory(user=carol)

    urls = [
        f"/agent/users/{carol.pk}/details/",
        f"/agent/users/{carol.pk}/identities/{identity.pk}/remove/",
        f"/agent/users/{carol.pk}/organizations/add/",
        f"/agent/users/{carol.pk}/organizations/{membership.pk}/remove/",
    ]

    for url in urls:
        response = anonymous.post(url, {"name": "Hacked"})
        assert response.status_code == 302 and response.url.startswith("/sign-in/"), url
    assert Identity.objects.filter(pk=identity.pk).exists() and User.objects.get(pk=carol.pk).name == "Carol Customer"


# Saving one edited field, measured as a request runs in production: outside a test's transaction, so its
# own transaction is a BEGIN and a COMMIT (not SAVEPOINT statements, and not counted). Why these numbers:
# session + user + account (3); the customer with their ticket counts, for Key details (1); the user field
# definitions (1), which the save and the fresh form reuse; the save: the customer's row locked and read
# as saved now (1), the field's timeline event (1 on PostgreSQL: counted in its kind and stored in one
# statement; 2 on SQLite), the customer's row written (1) and the audit entry (1); then, to show the tab
# again, the customer's identities with who shares their phone numbers (1) and their memberships (1). A
# lookup field holding a value adds its label (1), read once for both forms. Each more field changed adds
# its event; nothing else may grow, with the fields or the customer's history.
SAVE_ONE_FIELD_QUERIES = 11 if connection.vendor == "postgresql" else 12


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_lookup_and_phone", [False, True])
def test_saving_one_edited_field_takes_a_dozen_queries(
    new_page, carol, fields, bob, with_lookup_and_phone, django_assert_num_queries
):
    if with_lookup_and_phone:
        carol.custom_fields = {"manager": bob.pk, "plan": "pro"}
        carol.save(update_fields=["custom_fields"])
        PhoneIdentityFactory(user=carol, value="+33612345600", primary=True)
    data = _loaded(new_page, carol)

    with django_assert_num_queries(SAVE_ONE_FIELD_QUERIES + with_lookup_and_phone):
        response = _save(new_page, carol, {**data, "name": "Carol Renamed"}, **HTMX)

    assert response.status_code == 200 and "Profile saved." in response.content.decode()
    assert User.objects.get(pk=carol.pk).name == "Carol Renamed"


# The legacy page saves through the same view and form; without HTMX the answer is a redirect, which
# needs neither the identities nor the memberships: the same count less those two reads.
@pytest.mark.django_db(transaction=True)
def test_saving_one_field_on_the_legacy_page_takes_fewer_queries(carol, fields, bob, django_assert_num_queries):
    legacy = client_for(bob)
    data = _loaded_legacy(legacy, carol)

    with django_assert_num_queries(SAVE_ONE_FIELD_QUERIES - 2):
        response = _save(legacy, carol, {**data, "name": "Carol Renamed"})

    assert response.status_code == 302
    assert User.objects.get(pk=carol.pk).name == "Carol Renamed"


def _loaded_legacy(client, customer) -> dict:
    form = client.get(f"/agent/users/{customer.pk}/").context["details_form"]
    return {
        name: form[name].value() for name, field in form.fields.items() if not field.disabled and form[name].value()
    }
