"""The organization page, /agent/organizations/<id>/: its details and organization fields (editable by the
customer's rules, with conflict detection), its members with their default flag, its tickets, its own Related
section; organization names on the profile link to it; only the account's team members reach it."""

import pytest

from accounts.models import AuditEntry
from accounts.services import account_set_customer_profile
from common.keyset import encode_cursor
from custom_fields.models import LookupCount
from custom_fields.relations import lookup_links_rebuild
from demo.factories import CustomFieldFactory, MembershipFactory, OrganizationFactory, TicketFactory, UserFactory
from tests.conftest import client_for
from tests.lookups import lookup_fields, point

HTMX_FORM = {"HX-Request": "true", "HX-Target": "organization-form"}


@pytest.fixture
def initech(acme):
    return OrganizationFactory(account=acme, name="Initech", domains="initech.example", notes="Big client")


@pytest.fixture
def fields(acme):
    lookups = lookup_fields(acme)
    options = [{"name": "EMEA", "value": "emea"}, {"name": "APAC", "value": "apac"}]
    extra = [
        ("region", "dropdown", {"options": options}),
        ("seats", "integer", {}),
        ("risk", "integer", {"agent_access": "read_only"}),
        ("secret", "text", {"agent_access": "hidden"}),
    ]
    for i, (key, kind, more) in enumerate(extra):
        lookups[key] = CustomFieldFactory(
            account=acme, object_type="organization", key=key, title=key.title(), type=kind, position=20 + i, **more
        )
    return lookups


def _url(organization) -> str:
    return f"/agent/organizations/{organization.pk}/"


def _loaded(client, organization) -> dict:
    """The form's fields as the page rendered them, as a browser would post them back."""
    form = client.get(_url(organization)).context["form"]
    return {
        name: form[name].value()
        for name, field in form.fields.items()
        if not field.disabled and form[name].value() not in (None, False)
    }


def test_the_page_shows_the_organization_its_members_tickets_and_fields(as_bob, bob, carol, acme, initech, fields):
    MembershipFactory(user=carol, organization=initech, default=True)
    other = UserFactory(account=acme, name="Zed Member")
    MembershipFactory(user=other, organization=initech, default=False)
    TicketFactory(requester=carol, organization=initech, subject="Printer on fire", status="open")
    point(bob, initech, "primary_contact", carol)

    response = as_bob.get(_url(initech))

    page = response.content.decode()
    assert response.status_code == 200
    for expected in ["Initech", "initech.example", "Big client", "2 members", "Printer on fire", "Region", "Risk"]:
        assert expected in page, expected
    assert "Secret" not in page  # hidden from agents (B3)
    assert f'<a href="/agent/users/{carol.pk}/">Carol Customer</a> <span class="badge">Default</span>' in page
    assert f'<a href="/agent/users/{other.pk}/">Zed Member</a></span>' in page
    assert "This organization&#x27;s Primary contact" in page  # its Related section, its own lookup


def test_the_related_section_lists_what_points_at_the_organization(as_bob, bob, carol, acme, initech, fields):
    for name in ("Initech Paris", "Initech Lyon"):
        point(bob, OrganizationFactory(account=acme, name=name), "parent", initech)
    point(bob, carol, "employer", initech)

    response = as_bob.get(_url(initech))
    rows = {row.title: row.count for row in response.context["related_rows"]}
    expansion = as_bob.get(
        f"{_url(initech)}?open={fields['parent'].pk}",
        headers={"HX-Request": "true", "HX-Target": f"relation-in-{fields['parent'].pk}-rows"},
    )

    assert rows == {
        "Organizations where this organization is Parent organization": 2,
        "People where this organization is Employer": 1,
    }
    assert "Initech Lyon" in expansion.content.decode() and "<html" not in expansion.content.decode()


def test_expanding_a_relationship_the_member_cant_see_is_a_404(as_bob, alice, globex, initech, fields):
    theirs = CustomFieldFactory(
        account=globex, object_type="organization", key="parent", type="lookup", lookup_target="organization"
    )

    for field in (theirs, fields["primary_contact"]):  # another account's field; one pointing at people
        response = as_bob.get(
            f"{_url(initech)}?open={field.pk}",
            headers={"HX-Request": "true", "HX-Target": f"relation-in-{field.pk}-rows"},
        )
        assert response.status_code == 404


def test_with_nothing_related_the_section_says_so(as_bob, initech, fields):
    assert "Nothing is related to this organization." in as_bob.get(_url(initech)).content.decode()


def test_members_and_tickets_come_25_at_a_time(as_bob, acme, initech):
    people = UserFactory.create_batch(30, account=acme)
    for person in people:
        MembershipFactory(user=person, organization=initech)
    TicketFactory.create_batch(27, requester=people[0], organization=initech)

    page = as_bob.get(_url(initech))
    members, tickets = page.context["members"], page.context["tickets"]
    more_members = as_bob.get(
        f"{_url(initech)}?members_after={members.next_cursor}",
        headers={"HX-Request": "true", "HX-Target": "members-more"},
    )
    more_tickets = as_bob.get(
        f"{_url(initech)}?tickets_after={tickets.next_cursor}",
        headers={"HX-Request": "true", "HX-Target": "tickets-more"},
    )

    assert len(members.items) == 25 and len(tickets.items) == 25
    assert len(more_members.context["members"].items) == 5 and "<html" not in more_members.content.decode()
    assert len(more_tickets.context["tickets"].items) == 2
    names = [m.user.name for m in members.items + more_members.context["members"].items]
    assert names == sorted(p.name for p in people)
    without_javascript = as_bob.get(f"{_url(initech)}?members_after={members.next_cursor}")
    assert "<html" in without_javascript.content.decode() and len(without_javascript.context["members"].items) == 5


@pytest.mark.parametrize("forged", [encode_cursor(["a", "b"]), encode_cursor([1, 1]), "%%%", encode_cursor([1])])
def test_a_forged_cursor_starts_the_lists_at_the_top_never_an_error(as_bob, carol, initech, forged):
    MembershipFactory(user=carol, organization=initech)
    TicketFactory(requester=carol, organization=initech)

    response = as_bob.get(f"{_url(initech)}?members_after={forged}&tickets_after={forged}")

    assert response.status_code == 200
    assert len(response.context["members"].items) == 1 and len(response.context["tickets"].items) == 1


def test_saving_changes_the_fields_and_records_an_audit_entry(as_bob, bob, carol, initech, fields):
    data = _loaded(as_bob, initech)

    response = as_bob.post(
        _url(initech),
        {
            **data,
            "name": "Initech Corp",
            "domains": "Initech.example, initech.fr",
            "tags": "vip, Gold",
            "cf_region": "emea",
            "cf_primary_contact": f"#{carol.pk}",
        },
    )

    assert response.status_code == 302 and response.url == _url(initech)
    initech.refresh_from_db()
    assert (initech.name, initech.domains, initech.tags) == ("Initech Corp", "initech.example initech.fr", "vip gold")
    assert initech.custom_fields == {"region": "emea", "primary_contact": carol.pk}
    audit = AuditEntry.objects.get(action="organization.updated")
    assert (
        audit.actor == bob and audit.after["name"] == "Initech Corp" and audit.after["cf_primary_contact"] == carol.pk
    )
    assert LookupCount.objects.get(target_id=carol.pk).total == 1  # Carol's Related tab counts it


def test_an_htmx_save_answers_with_the_form_and_refreshes_the_header_and_related(as_bob, carol, initech, fields):
    data = _loaded(as_bob, initech)

    response = as_bob.post(
        _url(initech), {**data, "name": "Initech Corp", "cf_primary_contact": f"#{carol.pk}"}, headers=HTMX_FORM
    )

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and "Organization saved." in page
    assert 'id="organization-header" hx-swap-oob="true"' in page and "Initech Corp" in page
    assert 'id="organization-related"' in page and "This organization&#x27;s Primary contact" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter a name."),
        ({"domains": "initech.example not_a_domain"}, "domains", "“not_a_domain” is not a domain name"),
        ({"cf_seats": "many"}, "cf_seats", "whole number"),
        ({"cf_region": "mars"}, "cf_region", "is not one of this field's options"),
        ({"cf_primary_contact": "nobody@nowhere.test"}, "cf_primary_contact", "No person of this account matches"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_typed_is_lost(
    as_bob, initech, fields, changes, field, message
):
    data = {**_loaded(as_bob, initech), "notes": "Typed note", **changes}

    response = as_bob.post(_url(initech), data, headers=HTMX_FORM)

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert "Typed note" in response.content.decode()
    initech.refresh_from_db()
    assert initech.notes == "Big client" and initech.custom_fields == {}


def test_another_organizations_name_is_refused_next_to_the_name(as_bob, acme, initech, fields):
    OrganizationFactory(account=acme, name="Umbrella")

    response = as_bob.post(_url(initech), {**_loaded(as_bob, initech), "name": "Umbrella"}, headers=HTMX_FORM)

    assert response.status_code == 400
    assert "Another organization is already called this." in response.context["form"].errors["name"]


def test_a_read_only_or_hidden_field_cant_be_changed_by_a_crafted_post(as_bob, initech, fields):
    initech.custom_fields = {"risk": 3, "secret": "x"}
    initech.save(update_fields=["custom_fields"])

    as_bob.post(_url(initech), {**_loaded(as_bob, initech), "cf_risk": "9", "cf_secret": "y", "was_cf_risk": "3"})

    initech.refresh_from_db()
    assert initech.custom_fields == {"risk": 3, "secret": "x"}


def test_two_agents_changing_different_fields_both_keep_their_change(bob, alice, initech, fields):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded_bob, loaded_alice = _loaded(as_bob, initech), _loaded(as_alice, initech)

    as_bob.post(_url(initech), {**loaded_bob, "notes": "Bob's note", "cf_region": "emea"})
    as_alice.post(_url(initech), {**loaded_alice, "details": "Alice's address", "cf_seats": "5"})

    initech.refresh_from_db()
    assert (initech.notes, initech.details) == ("Bob's note", "Alice's address")
    assert initech.custom_fields == {"region": "emea", "seats": 5}


def test_the_second_agent_changing_the_same_field_gets_a_conflict_to_resolve(bob, alice, initech, fields):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _loaded(as_bob, initech)
    as_bob.post(_url(initech), {**loaded, "notes": "Bob's note", "cf_region": "emea"})

    conflict = as_alice.post(_url(initech), {**loaded, "notes": "Alice's note", "cf_region": "apac"}, headers=HTMX_FORM)

    page = conflict.content.decode()
    assert conflict.status_code == 409 and "Another agent saved this organization while you were editing." in page
    assert "Bob Agent changed this to “Bob&#x27;s note” at " in page and "Bob Agent changed this to “EMEA” at " in page
    initech.refresh_from_db()
    assert (initech.notes, initech.custom_fields) == ("Bob's note", {"region": "emea"})
    form = conflict.context["form"]
    resubmitted = {n: form[n].value() for n in form.fields if not form.fields[n].disabled and form[n].value()}
    as_alice.post(_url(initech), {**resubmitted, "resolve_notes": "theirs", "resolve_cf_region": "yours"})
    initech.refresh_from_db()
    assert (initech.notes, initech.custom_fields["region"]) == ("Bob's note", "apac")


def test_organization_names_on_the_profile_link_to_the_organization_page(as_bob, acme, alice, bob, carol, initech):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    MembershipFactory(user=carol, organization=initech, default=True)
    link = f'<a href="/agent/organizations/{initech.pk}/">Initech</a>'

    legacy = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()
    bob.prefers_new_profile = True
    bob.save(update_fields=["prefers_new_profile"])
    new = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()
    details = as_bob.get(f"/agent/users/{carol.pk}/?tab=details").content.decode()

    assert link in legacy
    assert new.count(link) == 2  # the header and Key details
    assert link in details  # the Organizations section


def test_another_accounts_organization_is_a_404_and_stays_untouched(as_bob, globex):
    hooli = OrganizationFactory(account=globex, name="Hooli")

    assert as_bob.get(_url(hooli)).status_code == 404
    assert (
        as_bob.get(
            f"{_url(hooli)}?members_after=x", headers={"HX-Request": "true", "HX-Target": "members-more"}
        ).status_code
        == 404
    )
    assert as_bob.post(_url(hooli), {"name": "Hacked", "was_name": "Hooli"}).status_code == 404
    hooli.refresh_from_db()
    assert hooli.name == "Hooli"


def test_end_users_are_refused_and_visitors_sent_to_sign_in(as_carol, anonymous, initech):
    assert as_carol.get(_url(initech)).status_code == 403
    assert as_carol.post(_url(initech), {"name": "Mine"}).status_code == 403
    response = anonymous.get(_url(initech))
    assert response.status_code == 302 and "/sign-in/" in response.url


def test_names_and_notes_are_escaped(as_bob, acme):
    villain = OrganizationFactory(account=acme, name="<script>alert(1)</script>", notes="<b>bold</b>")

    page = as_bob.get(_url(villain)).content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


# Query counts. The page reads the session, the member and the account (3), the organization (1), the
# organization fields for its form and the lookup fields of every kind (2: then kept per process), the
# people its form's lookups name (1 a kind), its member count, a page of members with their people and a page
# of tickets with their requesters (3), and its Related section: the counts (1) and the records its own
# lookups point at (1 a kind). None may grow with its members, tickets or what points at it.
PAGE_QUERIES = 3 + 1 + 2 + 1 + 3 + 1 + 1


@pytest.mark.parametrize("scale", [1, 30])
def test_the_page_takes_constant_queries(as_bob, acme, carol, initech, fields, scale, django_assert_num_queries):
    for person in UserFactory.create_batch(scale, account=acme):
        MembershipFactory(user=person, organization=initech)
    TicketFactory.create_batch(scale, requester=carol, organization=initech)
    OrganizationFactory.create_batch(scale, account=acme, custom_fields={"parent": initech.pk})
    initech.custom_fields = {"primary_contact": carol.pk, "region": "emea"}
    initech.save(update_fields=["custom_fields"])
    lookup_links_rebuild(account=acme)

    with django_assert_num_queries(PAGE_QUERIES):
        assert as_bob.get(_url(initech)).status_code == 200
