"""A team member assuming a customer's identity: the session switch and the way back, the banner, the team's
pages refused on every URL, every write audited, signing out ending it for good.

Alice is Acme's admin, Bob its agent, Carol its customer.
"""

import pytest
from django.core import signing

from accounts.assume import MARKER
from accounts.models import AuditEntry, Role, User
from activity.models import Event
from demo.factories import TicketFactory
from tests.conftest import client_for
from tests.test_permission_matrix import PATTERNS, acme_world, concrete  # noqa: F401 - acme_world: a fixture

RETURN = "/assumed-identity/return/"


def assume(client, customer):
    response = client.post(f"/agent/users/{customer.pk}/assume-identity/")
    assert response.status_code == 302 and response.url == "/portal/"
    return response


def test_the_confirmation_says_what_happens_and_changes_nothing(as_alice, alice, carol):
    response = as_alice.get(f"/agent/users/{carol.pk}/assume-identity/")

    body = response.content.decode()
    assert "Assume the identity of Carol Customer?" in body
    assert "the agent workspace and the admin center are closed to you" in body
    assert as_alice.session["_auth_user_id"] == str(alice.pk)
    assert not AuditEntry.objects.exists()


def test_assuming_shows_the_portal_as_the_customer_with_a_banner(as_alice, alice, carol, acme):
    TicketFactory(account=acme, requester=carol, submitter=carol, subject="Where is my parcel?")
    old_key = as_alice.session.session_key

    assume(as_alice, carol)
    portal = as_alice.get("/portal/")

    assert as_alice.session["_auth_user_id"] == str(carol.pk)
    assert as_alice.session.session_key != old_key, "the session key is cycled"
    body = portal.content.decode()
    assert "Where is my parcel?" in body
    assert "You are assuming the identity of <strong>Carol Customer</strong>" in body
    assert RETURN in body
    entry = AuditEntry.objects.get(action="user.identity_assumed")
    assert (entry.actor, entry.target_id) == (alice, str(carol.pk))
    assert Event.objects.filter(customer=carol, type="identity_assumed").count() == 1


def test_the_customer_did_not_sign_in_so_nothing_says_they_did(as_alice, carol):
    assume(as_alice, carol)

    assert User.objects.get(pk=carol.pk).last_login is None
    assert not Event.objects.filter(customer=carol, type="user_signed_in").exists()


def test_the_banner_shows_on_every_page_while_assuming(as_alice, carol):
    assume(as_alice, carol)

    for path in ("/portal/", "/portal/requests/new/", "/preferences/"):
        assert "You are assuming the identity of" in as_alice.get(path).content.decode(), path


def test_returning_lands_on_the_customers_profile_in_the_members_own_session(as_alice, alice, carol):
    assume(as_alice, carol)

    response = as_alice.post(RETURN)

    assert response.status_code == 302 and response.url == f"/agent/users/{carol.pk}/"
    assert as_alice.session["_auth_user_id"] == str(alice.pk)
    assert MARKER not in as_alice.session
    page = as_alice.get(response.url)
    assert page.status_code == 200 and "You are assuming" not in page.content.decode()
    ended = AuditEntry.objects.get(action="user.identity_assumption_ended")
    assert (ended.actor, ended.target_id, ended.after["how"]) == (alice, str(carol.pk), "returned")


def test_every_write_made_while_assuming_is_audited_with_both_people(as_alice, alice, carol):
    assume(as_alice, carol)

    as_alice.post("/portal/requests/new/", {"subject": "Help", "description": "Please."})
    as_alice.post("/preferences/", {"locale": "fr", "time_zone": "Europe/Paris"})
    as_alice.get("/portal/")  # reads are not writes

    entries = AuditEntry.objects.filter(action="user.assumed_identity_request").order_by("id")
    assert [(e.actor, e.target_id, e.after["method"], e.after["path"]) for e in entries] == [
        (alice, str(carol.pk), "POST", "/portal/requests/new/"),
        (alice, str(carol.pk), "POST", "/preferences/"),
    ]
    assert [e.after["status"] for e in entries] == [302, 302]


def test_a_tampered_marker_leads_nowhere(as_alice, alice, carol):
    assume(as_alice, carol)
    session = as_alice.session
    session[MARKER] = signing.dumps({"member": alice.pk, "customer": carol.pk}, salt="not-ours")
    session.save()

    page = as_alice.get("/portal/").content.decode()
    response = as_alice.post(RETURN)

    assert "You are assuming" not in page
    assert response.status_code == 302 and response.url == "/"
    assert as_alice.session["_auth_user_id"] == str(carol.pk), "still the customer: never the member"


def test_a_member_who_lost_their_role_meanwhile_is_signed_out_not_returned(as_alice, alice, carol):
    assume(as_alice, carol)
    User.objects.filter(pk=alice.pk).update(role=Role.END_USER)

    response = as_alice.post(RETURN)

    assert response.url == "/sign-in/"
    assert "_auth_user_id" not in as_alice.session
    ended = AuditEntry.objects.get(action="user.identity_assumption_ended")
    assert ended.after["how"] == "ended_member_must_sign_in"


def test_signing_out_while_assuming_ends_it_for_good(as_alice, alice, carol):
    assume(as_alice, carol)

    as_alice.post("/sign-out/")
    back = as_alice.post(RETURN)

    assert "_auth_user_id" not in as_alice.session
    assert back.url == "/"
    assert as_alice.get("/agent/users/").url.startswith("/sign-in/")
    ended = AuditEntry.objects.get(action="user.identity_assumption_ended")
    assert (ended.actor, ended.after["how"]) == (alice, "signed_out")
    assert not AuditEntry.objects.filter(action="user.assumed_identity_request").exists()


def test_returning_without_an_assumed_identity_just_leads_home(as_bob, bob):
    response = as_bob.post(RETURN)

    assert response.url == "/"
    assert as_bob.session["_auth_user_id"] == str(bob.pk)
    assert not AuditEntry.objects.exists()


def test_an_agent_assumes_an_identity_once_the_account_allows_it(acme, alice, bob, carol):
    from accounts.services import account_set_agents_may_assume_identity

    client = client_for(bob)
    refused = client.post(f"/agent/users/{carol.pk}/assume-identity/")
    account_set_agents_may_assume_identity(account=acme, actor=alice, allowed=True)
    client = client_for(User.objects.get(pk=bob.pk))

    assume(client, carol)

    assert refused.status_code == 403
    assert client.session["_auth_user_id"] == str(carol.pk)


TEAM_PATTERNS = [p for p in PATTERNS if p[1].startswith(("agent/", "admin-center"))]


def test_the_walk_covers_the_agent_workspace_and_the_admin_center():
    names = {name for name, _route, _parameters in TEAM_PATTERNS}
    assert {"profiles:customer", "accounts:admin_center", "accounts:audit_log", "tickets:ticket"} <= names


@pytest.mark.parametrize(("name", "route", "parameters"), TEAM_PATTERNS, ids=[p[0] for p in TEAM_PATTERNS])
def test_an_assumed_session_is_refused_every_agent_and_admin_center_url(
    name,
    route,
    parameters,
    acme_world,  # noqa: F811 - the permission matrix's fixture, imported above
    alice,
):
    carol = User.objects.get(pk=acme_world["user_id"])
    path = concrete(name, route, parameters, acme_world)
    client = client_for(alice)
    client.raise_request_exception = False
    assume(client, carol)

    for method in ("GET", "POST"):
        response = client.get(path) if method == "GET" else client.post(path, {})
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        assert "Not while assuming an identity" in response.content.decode(), f"{method} {path}"
    assert client.session["_auth_user_id"] == str(carol.pk)
    assert User.objects.get(pk=carol.pk).role == Role.END_USER
    refused = AuditEntry.objects.get(action="user.assumed_identity_request")
    assert (refused.after["path"], refused.after["status"]) == (path, 403)


def test_a_member_whose_password_changed_meanwhile_must_sign_in_again(as_alice, alice, carol):
    assume(as_alice, carol)
    alice.set_password("a-brand-new-password-2")
    alice.save(update_fields=["password"])

    response = as_alice.post(RETURN)

    assert response.url == "/sign-in/"
    assert "_auth_user_id" not in as_alice.session
