import pytest

from accounts.models import AuditEntry, User
from accounts.services import account_set_customer_profile
from demo.factories import MembershipFactory, PhoneIdentityFactory, TicketFactory
from profiles.page import PROFILE_TABS


@pytest.fixture
def enabled(acme, alice):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    return acme


def _opt_in(client):
    return client.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})


def test_the_legacy_profile_is_shown_while_the_account_has_the_feature_off(as_bob, carol):
    response = as_bob.get(f"/agent/users/{carol.pk}/")

    assert response.templates[0].name == "profiles/customer_legacy.html"
    assert "Switch to the new profile experience" not in response.content.decode()


def test_the_legacy_profile_offers_the_switch_once_the_account_has_it_on(as_bob, carol, enabled):
    response = as_bob.get(f"/agent/users/{carol.pk}/")

    assert response.templates[0].name == "profiles/customer_legacy.html"
    assert "Switch to the new profile experience" in response.content.decode()


def test_switching_shows_the_new_page_with_its_banner_and_persists(as_bob, bob, carol, enabled):
    response = as_bob.post(
        "/agent/profile-experience/", {"experience": "new", "next": f"/agent/users/{carol.pk}/"}, follow=True
    )

    page = response.content.decode()
    assert response.templates[0].name == "profiles/customer_page.html"
    assert "You're using the new customer profile experience." in page and ">Revert<" in page
    assert User.objects.get(pk=bob.pk).prefers_new_profile is True
    assert AuditEntry.objects.filter(action="member.profile_preference_changed", actor=bob).count() == 1


def test_revert_returns_the_member_to_the_legacy_page(as_bob, bob, carol, enabled):
    _opt_in(as_bob)

    response = as_bob.post(
        "/agent/profile-experience/", {"experience": "legacy", "next": f"/agent/users/{carol.pk}/"}, follow=True
    )

    assert response.templates[0].name == "profiles/customer_legacy.html"
    assert User.objects.get(pk=bob.pk).prefers_new_profile is False


def test_each_member_chooses_for_themselves(as_bob, as_alice, carol, enabled):
    _opt_in(as_bob)

    assert as_bob.get(f"/agent/users/{carol.pk}/").templates[0].name == "profiles/customer_page.html"
    assert as_alice.get(f"/agent/users/{carol.pk}/").templates[0].name == "profiles/customer_legacy.html"


def test_turning_the_account_switch_off_shows_everyone_the_legacy_page_and_on_again_restores_choices(
    as_bob, alice, acme, carol, enabled
):
    _opt_in(as_bob)

    account_set_customer_profile(account=acme, actor=alice, enabled=False)
    off = as_bob.get(f"/agent/users/{carol.pk}/")
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    on = as_bob.get(f"/agent/users/{carol.pk}/")

    assert off.templates[0].name == "profiles/customer_legacy.html"
    assert "Revert" not in off.content.decode() and "Switch to the new" not in off.content.decode()
    assert on.templates[0].name == "profiles/customer_page.html"


def test_the_switch_never_redirects_off_site(as_bob, enabled):
    response = as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "https://evil.example/"})

    assert response.status_code == 302 and response.url == "/agent/users/"


def test_key_details_show_what_an_agent_scans_first(as_bob, carol, enabled):
    _opt_in(as_bob)
    PhoneIdentityFactory(user=carol, value="+33612345678", primary=True)
    MembershipFactory(user=carol, organization__name="Initech", default=True)
    TicketFactory(requester=carol, status="open")
    TicketFactory(requester=carol, status="solved")

    page = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()

    for expected in [
        "carol@example.com",
        "+33 6 12 34 56 78",  # read as people write it, as on the details tab
        "Initech",
        "vip",
        "English",
        "Europe/Paris",
        "Never",
        "1 open of 2",
    ]:
        assert expected in page, expected


def test_an_unverified_primary_email_carries_a_warning(as_bob, carol, enabled):
    _opt_in(as_bob)
    carol.identities.update(verified=False)

    page = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()

    assert 'aria-label="Not verified"' in page


def test_each_tab_is_its_own_url_and_an_unknown_tab_falls_back_to_the_default(as_bob, carol, enabled):
    _opt_in(as_bob)

    explicit = as_bob.get(f"/agent/users/{carol.pk}/?tab=tickets")
    unknown = as_bob.get(f"/agent/users/{carol.pk}/?tab=nope")

    assert explicit.context["tab"] == "tickets"
    assert unknown.context["tab"] == next(iter(PROFILE_TABS))


def test_an_htmx_tab_click_renders_only_the_tabs_region(as_bob, carol, enabled):
    _opt_in(as_bob)

    response = as_bob.get(
        f"/agent/users/{carol.pk}/?tab=tickets", headers={"HX-Request": "true", "HX-Target": "profile-tabs"}
    )

    page = response.content.decode()
    assert 'role="tablist"' in page and "<html" not in page and "Key details" not in page
    assert "HX-Request" in response.headers["Vary"]


def test_an_htmx_request_inside_the_panel_renders_only_the_panel(as_bob, carol, enabled):
    _opt_in(as_bob)

    response = as_bob.get(
        f"/agent/users/{carol.pk}/?tab=tickets&relation=ccd", headers={"HX-Request": "true", "HX-Target": "tab-panel"}
    )

    page = response.content.decode()
    assert 'role="tablist"' not in page and "<html" not in page
    assert "isn't CC'd on any ticket" in page


def test_names_and_notes_are_escaped(as_bob, acme, enabled):
    from demo.factories import UserFactory

    _opt_in(as_bob)
    villain = UserFactory(account=acme, name="<script>alert(1)</script>", email="v@example.com", tags="x")

    page = as_bob.get(f"/agent/users/{villain.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# Query counts. Why these numbers: session + user + account (3); the full page adds the customer with the
# ticket counts of Key details in the same query (1), their identities (with who shares their phone numbers)
# and their memberships (2), a partial only the customer row (1); then the tickets tab reads one page of
# tickets with their assignees (1). None may grow with the customer's history: an N+1 here multiplies by
# every row on the page.
PAGE_QUERIES = 7
TABS_PARTIAL_QUERIES = 5


@pytest.mark.parametrize("ticket_count", [0, 10, 1000])
def test_the_new_page_and_its_tab_partials_take_constant_queries(
    as_bob, bob, carol, enabled, ticket_count, django_assert_num_queries
):
    _opt_in(as_bob)
    TicketFactory.create_batch(ticket_count, requester=carol, assignee=bob)
    url = f"/agent/users/{carol.pk}/?tab=tickets"

    with django_assert_num_queries(PAGE_QUERIES):
        assert as_bob.get(url).status_code == 200
    with django_assert_num_queries(TABS_PARTIAL_QUERIES):
        as_bob.get(url, headers={"HX-Request": "true", "HX-Target": "profile-tabs"})
    with django_assert_num_queries(TABS_PARTIAL_QUERIES):
        as_bob.get(url + "&status=open", headers={"HX-Request": "true", "HX-Target": "tab-panel"})


# The legacy page adds its editable left column: the custom field definitions (1). Its memberships (with each
# organization's user count) and who shares a phone number come with the full page's reads.
LEGACY_PAGE_QUERIES = PAGE_QUERIES + 1


@pytest.mark.parametrize("ticket_count", [0, 10, 1000])
def test_the_legacy_page_takes_constant_queries(as_bob, bob, carol, ticket_count, django_assert_num_queries):
    TicketFactory.create_batch(ticket_count, requester=carol, assignee=bob)

    with django_assert_num_queries(LEGACY_PAGE_QUERIES):
        assert as_bob.get(f"/agent/users/{carol.pk}/").status_code == 200


def test_another_accounts_customer_is_a_404_on_every_profile_url(as_bob, dave, enabled):
    _opt_in(as_bob)

    assert as_bob.get(f"/agent/users/{dave.pk}/").status_code == 404
    assert as_bob.get(f"/agent/users/{dave.pk}/?tab=tickets").status_code == 404
    assert as_bob.post(f"/agent/users/{dave.pk}/details/", {"name": "Hacked"}).status_code == 404
    dave.refresh_from_db()
    assert dave.name == "Dave Elsewhere"


def test_a_team_member_has_no_customer_profile(as_bob, alice):
    assert as_bob.get(f"/agent/users/{alice.pk}/").status_code == 404


def test_end_users_are_refused_every_profile_url(as_carol, carol):
    assert as_carol.get(f"/agent/users/{carol.pk}/").status_code == 403
    assert as_carol.post(f"/agent/users/{carol.pk}/details/", {"name": "Me"}).status_code == 403
    assert as_carol.post("/agent/profile-experience/", {"experience": "new"}).status_code == 403
