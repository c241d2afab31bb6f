"""The profile's Actions menu and its access actions: who sees and may use each (admin, agent, agent where the
account allows assuming identities, end user, another account), upgrade to agent, suspend and lift it.

Alice is Acme's admin, Bob its agent, Carol its customer; Charlie (Globex) should have no access to any of it.
"""

import pytest

from accounts.models import AuditEntry, Role, User
from accounts.services import account_set_agents_may_assume_identity, account_set_customer_profile
from activity.models import Event
from common.errors import RecordGone
from demo.factories import UserFactory
from profiles.access import customer_identity_assume, customer_upgrade_to_agent
from profiles.selectors import customers_search
from profiles.services import customer_set_suspended
from tests.conftest import client_for


def profile(user_id):
    return f"/agent/users/{user_id}/"


def menu_items(response) -> list[str]:
    return [action.name for action in response.context["record_actions"]]


@pytest.fixture
def assume_allowed(acme, alice):
    account_set_agents_may_assume_identity(account=acme, actor=alice, allowed=True)


# The menu


def test_an_admin_sees_every_access_action_in_the_menu(as_alice, carol):
    response = as_alice.get(profile(carol.pk))

    assert menu_items(response) == [
        "assume_identity",
        "upgrade_to_agent",
        "suspension",
        "set_password",
        "send_password_reset",
        "export",
        "delete",
    ]
    body = response.content.decode()
    assert 'class="menu"' in body and "Assume identity" in body and "Upgrade to agent" in body


def test_an_agent_sees_only_suspend_until_the_account_allows_assuming(as_bob, carol, acme, alice):
    before = menu_items(as_bob.get(profile(carol.pk)))
    account_set_agents_may_assume_identity(account=acme, actor=alice, allowed=True)
    after = menu_items(as_bob.get(profile(carol.pk)))

    assert before == ["suspension", "send_password_reset", "export"]
    assert after == ["assume_identity", "suspension", "send_password_reset", "export"]


def test_the_same_actions_show_on_the_new_page_and_the_legacy_page(alice, carol, acme):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    legacy = client_for(alice).get(profile(carol.pk))
    User.objects.filter(pk=alice.pk).update(prefers_new_profile=True)
    new = client_for(User.objects.get(pk=alice.pk)).get(profile(carol.pk))

    assert "profiles/customer_legacy.html" in [t.name for t in legacy.templates]
    assert "profiles/customer_page.html" in [t.name for t in new.templates]
    for response in (legacy, new):
        assert menu_items(response) == [
            "assume_identity",
            "upgrade_to_agent",
            "suspension",
            "set_password",
            "send_password_reset",
            "export",
            "delete",
        ]
        assert f"/agent/users/{carol.pk}/assume-identity/" in response.content.decode()


def test_a_suspended_customer_offers_unsuspend_and_no_assume(as_alice, carol, alice):
    customer_set_suspended(customer=carol, actor=alice, suspended=True)

    response = as_alice.get(profile(carol.pk))

    assert menu_items(response) == [
        "upgrade_to_agent",
        "suspension",
        "set_password",
        "send_password_reset",
        "export",
        "delete",
    ]
    assert "Unsuspend" in response.content.decode()


# Who may use each action, role by role: tests/test_permission_matrix.py (RECORD_ACTION_ROLES).

ACTIONS = ["assume-identity", "upgrade-to-agent", "suspension", "password", "delete"]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_team_member_is_never_the_subject_of_an_action(as_alice, bob, action):
    assert as_alice.get(f"/agent/users/{bob.pk}/{action}/").status_code == 404
    assert as_alice.post(f"/agent/users/{bob.pk}/{action}/", {"suspended": "true"}).status_code == 404
    assert User.objects.get(pk=bob.pk).role == Role.AGENT and not User.objects.get(pk=bob.pk).suspended


def test_assuming_a_team_member_is_refused_by_the_service_too(alice, bob):
    with pytest.raises(RecordGone):
        customer_identity_assume(customer=bob, actor=alice)

    assert not AuditEntry.objects.exists()


def test_an_agent_may_not_assume_an_identity_through_the_service_while_the_account_forbids_it(bob, carol):
    with pytest.raises(PermissionError):
        customer_identity_assume(customer=carol, actor=bob)

    assert not Event.objects.filter(customer=carol, type="identity_assumed").exists()


def test_assuming_records_the_customers_timeline_event_and_an_audit_entry(alice, carol):
    customer_identity_assume(customer=carol, actor=alice)

    event = Event.objects.get(customer=carol, type="identity_assumed")
    assert event.properties == {"actor_id": alice.pk, "actor_name": "Alice Admin"}
    entry = AuditEntry.objects.get(action="user.identity_assumed")
    assert (entry.actor, entry.target_id) == (alice, str(carol.pk))


def test_the_timeline_says_who_assumed_the_identity_in_french(alice, carol, acme):
    from django.utils import translation

    from profiles.timeline import describe, type_label

    customer_identity_assume(customer=carol, actor=alice)
    event = Event.objects.get(customer=carol, type="identity_assumed")

    with translation.override("fr"):
        assert describe(event) == "Alice Admin a pris l’identité de ce client"
        assert type_label("Support", "identity_assumed") == "Identité prise"


# Upgrade to agent


def test_an_admin_upgrades_a_customer_who_then_is_a_team_member_and_no_customer(as_alice, alice, carol, acme):
    assert [p.pk for p in customers_search(account=acme, query="Carol").items] == [carol.pk]

    response = as_alice.post(f"/agent/users/{carol.pk}/upgrade-to-agent/")

    assert response.status_code == 302 and response.url == "/agent/users/"
    carol.refresh_from_db()
    assert carol.role == Role.AGENT and carol.is_team_member
    assert customers_search(account=acme, query="Carol").items == []
    assert as_alice.get(profile(carol.pk)).status_code == 404
    event = Event.objects.get(customer=carol, type="role_changed")
    assert (event.properties["previous"], event.properties["current"]) == ("end-user", "agent")
    entry = AuditEntry.objects.get(action="user.role_changed")
    assert (entry.actor, entry.before, entry.after) == (alice, {"role": "end-user"}, {"role": "agent"})
    assert "Carol Customer is now an agent." in as_alice.get("/agent/users/").content.decode()


def test_an_upgraded_customer_is_a_team_member_everywhere(as_alice, carol, acme, anonymous):
    other = UserFactory(account=acme, name="Dana Customer", email="dana@example.com")

    as_alice.post(f"/agent/users/{carol.pk}/upgrade-to-agent/")

    assignees = as_alice.get(f"/agent/users/{other.pk}/tickets/new/").context["form"].fields["assignee"].queryset
    assert carol.pk in {person.pk for person in assignees}
    response = anonymous.post(
        "/sign-in/", {"username": "carol@example.com", "password": "demo-password-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/agent/users/"


def test_the_upgrade_confirmation_says_what_happens(as_alice, carol):
    body = as_alice.get(f"/agent/users/{carol.pk}/upgrade-to-agent/").content.decode()

    assert "Make Carol Customer an agent?" in body
    assert "no longer appear among customers" in body
    assert User.objects.get(pk=carol.pk).role == Role.END_USER  # looking changes nothing


def test_an_agent_cannot_upgrade_through_the_service(bob, carol):
    with pytest.raises(PermissionError):
        customer_upgrade_to_agent(customer=carol, actor=bob)

    assert User.objects.get(pk=carol.pk).role == Role.END_USER


# Suspend and unsuspend


def test_an_agent_suspends_a_customer_and_key_details_say_so(as_bob, bob, carol):
    assert "badge--suspended" not in as_bob.get(profile(carol.pk)).content.decode()

    response = as_bob.post(f"/agent/users/{carol.pk}/suspension/", {"suspended": "true"}, follow=True)

    assert User.objects.get(pk=carol.pk).suspended
    body = response.content.decode()
    assert "Carol Customer is suspended." in body
    assert "badge--suspended" in body
    event = Event.objects.get(customer=carol, type="user_suspension_changed")
    assert event.properties == {"suspended": True, "actor_id": bob.pk}
    assert AuditEntry.objects.get(action="customer.suspended").actor == bob


def test_confirming_a_suspension_twice_changes_it_once(as_bob, carol):
    as_bob.post(f"/agent/users/{carol.pk}/suspension/", {"suspended": "true"})
    as_bob.post(f"/agent/users/{carol.pk}/suspension/", {"suspended": "true"})

    assert User.objects.get(pk=carol.pk).suspended
    assert Event.objects.filter(customer=carol, type="user_suspension_changed").count() == 1


def test_lifting_a_suspension_lets_the_customer_in_again(as_alice, alice, carol, anonymous):
    customer_set_suspended(customer=carol, actor=alice, suspended=True)
    page = as_alice.get(f"/agent/users/{carol.pk}/suspension/").content.decode()

    as_alice.post(f"/agent/users/{carol.pk}/suspension/", {"suspended": "false"})

    assert "Lift the suspension of Carol Customer?" in page
    assert not User.objects.get(pk=carol.pk).suspended
    anonymous.post("/sign-in/", {"username": "carol@example.com", "password": "demo-password-1"})
    assert anonymous.session["_auth_user_id"] == str(carol.pk)


def test_a_suspension_form_without_a_choice_says_so_and_changes_nothing(as_bob, carol):
    response = as_bob.post(f"/agent/users/{carol.pk}/suspension/", {"suspended": "maybe"}, follow=True)

    assert "Choose whether to suspend this customer" in response.content.decode()
    assert not User.objects.get(pk=carol.pk).suspended


def test_suspension_events_read_in_french_old_and_new(alice, carol):
    from django.utils import translation

    from profiles.timeline import describe

    customer_set_suspended(customer=carol, actor=alice, suspended=True)
    customer_set_suspended(customer=carol, actor=alice, suspended=False)
    older = Event(source="Support", type="user_suspended", description="Suspended", properties={})

    with translation.override("fr"):
        described = [describe(e) for e in Event.objects.filter(customer=carol).order_by("id")]
        assert described == ["Suspendu", "Suspension levée"]
        assert describe(older) == "Suspendu"
