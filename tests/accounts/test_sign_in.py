from accounts.models import Role
from demo.factories import UserFactory
from tests.conftest import client_for


def test_a_team_member_signs_in_with_email_and_password_and_lands_on_customers(anonymous, bob):
    response = anonymous.post("/sign-in/", {"username": "BOB@acme.test", "password": "demo-password-1"}, follow=True)

    assert response.redirect_chain[-1][0] == "/agent/users/"
    assert response.context["user"] == bob


def test_a_wrong_password_is_refused_with_a_message(anonymous, bob):
    response = anonymous.post("/sign-in/", {"username": "bob@acme.test", "password": "nope-nope-nope"})

    assert response.status_code == 200
    assert "don&#x27;t match an active account" in response.content.decode()
    assert "_auth_user_id" not in anonymous.session


def test_someone_from_another_account_cannot_sign_in_here(anonymous, charlie):
    response = anonymous.post("/sign-in/", {"username": "charlie@globex.test", "password": "demo-password-1"})

    assert response.status_code == 200
    assert "_auth_user_id" not in anonymous.session


def test_a_suspended_customer_cannot_sign_in(anonymous, acme):
    UserFactory(account=acme, email="gone@example.com", suspended=True)

    anonymous.post("/sign-in/", {"username": "gone@example.com", "password": "demo-password-1"})

    assert "_auth_user_id" not in anonymous.session


def test_a_customer_signs_in_to_the_portal(anonymous, carol):
    response = anonymous.post(
        "/sign-in/", {"username": "carol@example.com", "password": "demo-password-1"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/portal/"


def test_a_session_from_one_account_is_worth_nothing_on_another_accounts_host(bob, globex):
    client = client_for(bob, host="globex.localhost")

    response = client.get("/agent/users/")

    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_a_bare_host_serves_the_default_account(settings, acme, bob):
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"
    client = client_for(bob, host="localhost:8000")

    assert client.get("/agent/users/").status_code == 200


def test_an_unknown_subdomain_serves_no_account_at_all(settings, acme, bob):
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"
    client = client_for(bob, host="nosuch.localhost")

    response = client.get("/sign-in/")

    assert response.status_code == 404
    assert "There&#x27;s no helpdesk at this address" in response.text


def test_signing_out_ends_the_session(as_bob):
    response = as_bob.post("/sign-out/")

    assert response.status_code == 302
    assert as_bob.get("/agent/users/").status_code == 302


def test_end_users_never_reach_the_agent_workspace(as_carol, carol):
    assert carol.role == Role.END_USER
    for url in ["/agent/users/", f"/agent/users/{carol.pk}/", "/admin-center/"]:
        assert as_carol.get(url).status_code == 403, url


def test_team_members_have_no_portal(as_bob):
    assert as_bob.get("/portal/").status_code == 403


def test_a_customer_sign_in_lands_on_their_timeline_but_a_team_members_does_not(anonymous, acme, bob):
    carol = UserFactory(account=acme, email="carol.signin@example.com")

    anonymous.post("/sign-in/", {"username": "carol.signin@example.com", "password": "demo-password-1"})
    client_for(bob)

    assert list(carol.events.values_list("type", flat=True)) == ["user_signed_in"]
    assert not bob.events.exists()


def test_a_suspended_customer_with_the_right_password_is_told_they_are_suspended(anonymous, acme):
    UserFactory(account=acme, email="gone@example.com", suspended=True)

    response = anonymous.post("/sign-in/", {"username": "gone@example.com", "password": "demo-password-1"})

    assert response.status_code == 200
    assert "This account is suspended." in response.content.decode()
    assert "_auth_user_id" not in anonymous.session


def test_a_suspended_customer_with_a_wrong_password_learns_nothing_more(anonymous, acme):
    UserFactory(account=acme, email="gone@example.com", suspended=True)

    response = anonymous.post("/sign-in/", {"username": "gone@example.com", "password": "wrong-wrong-wrong"})

    body = response.content.decode()
    assert "suspended" not in body and "match an active account" in body


def test_suspending_a_signed_in_customer_ends_their_session(as_carol, carol, alice):
    from profiles.services import customer_set_suspended

    assert as_carol.get("/portal/").status_code == 200

    customer_set_suspended(customer=carol, actor=alice, suspended=True)

    assert as_carol.get("/portal/").url.startswith("/sign-in/")
