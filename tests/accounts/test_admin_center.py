from accounts.models import Account, AuditEntry
from tests.conftest import client_for

PAGE = "/admin-center/workspaces/agent-tools/agent-interface/"


def test_the_customer_profile_switch_is_off_by_default(as_alice, acme):
    response = as_alice.get(PAGE)

    assert response.status_code == 200
    assert response.context["form"]["customer_profile_enabled"].value() is False
    assert "Enable customer profile" in response.content.decode()


def test_an_admin_turns_the_customer_profile_on_and_it_is_audited(as_alice, alice, acme):
    response = as_alice.post(PAGE, {"customer_profile_enabled": "on"}, follow=True)

    acme.refresh_from_db()
    assert acme.customer_profile_enabled is True
    assert "Your changes were saved." in response.content.decode()
    entry = AuditEntry.objects.get(account=acme, action="account.customer_profile_changed")
    assert (entry.actor, entry.before, entry.after) == (
        alice,
        {"customer_profile_enabled": False},
        {"customer_profile_enabled": True},
    )


def test_turning_it_off_again_is_always_possible(as_alice, acme):
    as_alice.post(PAGE, {"customer_profile_enabled": "on"})

    as_alice.post(PAGE, {})

    acme.refresh_from_db()
    assert acme.customer_profile_enabled is False
    assert AuditEntry.objects.filter(account=acme, action="account.customer_profile_changed").count() == 2


def test_saving_without_a_change_records_nothing(as_alice, acme):
    as_alice.post(PAGE, {})

    assert not AuditEntry.objects.filter(account=acme).exists()


def test_the_admin_center_root_leads_to_the_agent_interface(as_alice):
    response = as_alice.get("/admin-center/")

    assert response.status_code == 302 and response.url == PAGE


def test_agents_are_refused_the_admin_center(as_bob, acme):
    assert as_bob.get("/admin-center/").status_code == 403
    assert as_bob.get(PAGE).status_code == 403
    assert as_bob.post(PAGE, {"customer_profile_enabled": "on"}).status_code == 403
    acme.refresh_from_db()
    assert acme.customer_profile_enabled is False


def test_end_users_are_refused_the_admin_center(as_carol):
    assert as_carol.get(PAGE).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(anonymous):
    response = anonymous.get(PAGE)

    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_an_admin_of_another_account_cannot_change_this_one(globex, acme):
    from demo.factories import AdminFactory

    other_admin = AdminFactory(account=globex, email="root@globex.test")
    client = client_for(other_admin, host="acme.localhost")

    response = client.post(PAGE, {"customer_profile_enabled": "on"})

    assert response.status_code == 302  # their session means nothing here
    assert Account.objects.get(pk=acme.pk).customer_profile_enabled is False


def test_agents_may_not_assume_identities_until_an_admin_allows_it(as_alice, alice, acme):
    assert as_alice.get(PAGE).context["form"]["agents_may_assume_identity"].value() is False

    response = as_alice.post(PAGE, {"agents_may_assume_identity": "on"}, follow=True)

    acme.refresh_from_db()
    assert acme.agents_may_assume_identity is True
    assert acme.customer_profile_enabled is False
    assert "Agents may assume customers" in response.content.decode()
    entry = AuditEntry.objects.get(account=acme, action="account.agents_may_assume_identity_changed")
    assert (entry.actor, entry.after) == (alice, {"agents_may_assume_identity": True})


def test_an_agent_cannot_allow_themselves_to_assume_identities(as_bob, acme):
    assert as_bob.post(PAGE, {"agents_may_assume_identity": "on"}).status_code == 403

    acme.refresh_from_db()
    assert acme.agents_may_assume_identity is False
