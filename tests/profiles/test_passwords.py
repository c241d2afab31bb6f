"""Passwords from the Actions menu: an admin sets one (checked by the password validators), an agent sends
a reset link; and the public side: "Forgot your password?", the emailed link, the new password, sign in."""

import datetime
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from accounts.models import AuditEntry, Locale, Role, User
from activity.models import Event
from common.errors import RecordGone
from demo.factories import UserFactory
from profiles.passwords import customer_set_password, password_reset_send, reset_tokens
from profiles.services import customer_set_suspended
from profiles.timeline import describe
from tests.conftest import client_for

LINK = re.compile(r"https?://[^\s\"<>]+/password-reset/[^\s\"<>]+/[^\s\"<>]+/")
GOOD = "correct horse battery staple"


@pytest.fixture
def outbox(db):
    return mail.outbox


@pytest.fixture
def visitor(acme):
    return client_for(None, host="acme.localhost")


def _link_in(message) -> str:
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    return "/" + links.pop().split("/", 3)[3]


def _signs_in(user, password) -> bool:
    client = client_for(None, host=f"{user.account.subdomain}.localhost")
    response = client.post("/sign-in/", {"username": user.email, "password": password})
    return response.status_code == 302


# Set password (admins)


def test_an_admin_sets_a_customers_password_and_it_is_recorded(as_alice, alice, carol):
    page = as_alice.get(f"/agent/users/{carol.pk}/password/")
    response = as_alice.post(f"/agent/users/{carol.pk}/password/", {"new_password1": GOOD, "new_password2": GOOD})

    assert page.status_code == 200
    assert response.status_code == 302
    assert _signs_in(carol, GOOD)
    assert Event.objects.get(customer=carol, type="password_changed").properties == {
        "via": "admin",
        "actor_id": alice.pk,
    }
    assert AuditEntry.objects.get(action="user.password_set", target_id=str(carol.pk)).actor == alice


def test_a_password_the_validators_refuse_is_shown_next_to_the_field_and_nothing_changes(as_alice, carol):
    before = User.objects.get(pk=carol.pk).password

    short = as_alice.post(f"/agent/users/{carol.pk}/password/", {"new_password1": "short", "new_password2": "short"})
    mismatch = as_alice.post(f"/agent/users/{carol.pk}/password/", {"new_password1": GOOD, "new_password2": GOOD + "!"})

    assert (short.status_code, mismatch.status_code) == (400, 400)
    assert "This password is too short" in short.content.decode()
    assert 'id="id_new_password1_error"' in short.content.decode()
    assert "The two password fields didn’t match." in mismatch.content.decode()
    assert User.objects.get(pk=carol.pk).password == before
    assert not Event.objects.filter(type="password_changed").exists()


def test_an_agent_may_not_set_a_password(as_bob, bob, carol):
    assert as_bob.get(f"/agent/users/{carol.pk}/password/").status_code == 403
    with pytest.raises(PermissionError):
        customer_set_password(customer=carol, actor=bob, password=GOOD)


def test_another_accounts_admin_finds_no_such_customer(globex, carol):
    globex_admin = UserFactory(account=globex, role=Role.ADMIN, email="root@globex.test")
    client = client_for(globex_admin)

    assert client.get(f"/agent/users/{carol.pk}/password/").status_code == 404
    assert client.post(f"/agent/users/{carol.pk}/password-reset/").status_code == 404


def test_the_menu_offers_each_role_only_its_own_actions(as_alice, as_bob, carol):
    admin_page = as_alice.get(f"/agent/users/{carol.pk}/").content.decode()
    agent_page = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()

    for path in ("password/", "password-reset/", "export/", "delete/"):
        assert f"/agent/users/{carol.pk}/{path}" in admin_page
    assert f"/agent/users/{carol.pk}/password-reset/" in agent_page
    assert f"/agent/users/{carol.pk}/export/" in agent_page
    assert f"/agent/users/{carol.pk}/password/" not in agent_page
    assert f"/agent/users/{carol.pk}/delete/" not in agent_page


# Send password reset (agents and admins)


def test_an_agent_sends_a_reset_in_the_customers_language_and_it_is_recorded(as_bob, bob, carol, outbox):
    User.objects.filter(pk=carol.pk).update(locale=Locale.FR)

    response = as_bob.post(f"/agent/users/{carol.pk}/password-reset/", follow=True)

    assert "A password reset email was sent to carol@example.com." in response.content.decode()
    [message] = outbox
    assert message.to == ["carol@example.com"]
    assert message.subject == "Choisissez un nouveau mot de passe pour Acme"
    assert "Le lien est valable 3 jours, une seule fois." in message.body
    event = Event.objects.get(customer=carol, type="password_reset_requested")
    assert event.properties == {"to": "carol@example.com", "actor_id": bob.pk}
    assert AuditEntry.objects.get(action="user.password_reset_requested").actor == bob


def test_the_emailed_link_leads_to_a_new_password_and_a_sign_in(as_bob, bob, carol, outbox, visitor):
    as_bob.post(f"/agent/users/{carol.pk}/password-reset/")
    link = _link_in(outbox[-1])

    opened = visitor.get(link)
    form_url = opened.url
    form = visitor.get(form_url)
    refused = visitor.post(form_url, {"new_password1": "password", "new_password2": "password"})
    saved = visitor.post(form_url, {"new_password1": GOOD, "new_password2": GOOD})

    assert opened.status_code == 302 and form_url.endswith("/set-password/")  # the token leaves the address bar
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    assert refused.status_code == 200 and "This password is too common." in refused.content.decode()
    assert saved.status_code == 302 and saved.url == "/password-reset/done/"
    assert _signs_in(carol, GOOD)
    assert Event.objects.get(customer=carol, type="password_changed").properties["via"] == "reset"
    assert visitor.get(link).status_code == 410  # used: the password it was made with changed


def test_a_suspended_customer_is_sent_no_reset_and_an_earlier_link_dies(as_bob, bob, carol, outbox, visitor):
    password_reset_send(user=carol, actor=bob, base_url="http://acme.localhost")
    link = _link_in(outbox[-1])
    customer_set_suspended(customer=carol, actor=bob, suspended=True)

    response = as_bob.post(f"/agent/users/{carol.pk}/password-reset/", follow=True)

    assert "This customer is suspended" in response.content.decode()
    assert len(outbox) == 1
    assert "This link can’t be used" in visitor.get(link).content.decode()


def test_a_link_expires_after_the_reset_timeout(bob, carol, outbox, visitor):
    password_reset_send(user=carol, actor=bob, base_url="http://acme.localhost")
    link = _link_in(outbox[-1])
    later = datetime.datetime.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    with mock.patch.object(reset_tokens, "_now", return_value=later):
        response = visitor.get(link)

    assert response.status_code == 410 and "This link can’t be used" in response.content.decode()


def test_a_link_for_another_account_finds_nobody(bob, carol, outbox, globex):
    password_reset_send(user=carol, actor=bob, base_url="http://acme.localhost")
    link = _link_in(outbox[-1])

    response = client_for(None, host="globex.localhost").get(link)

    assert "This link can’t be used" in response.content.decode()


def test_agents_are_not_sent_more_than_five_resets_an_hour(as_bob, carol, outbox):
    for _ in range(6):
        response = as_bob.post(f"/agent/users/{carol.pk}/password-reset/", follow=True)

    assert len(outbox) == 5
    assert "sent 5 password reset emails in the last hour" in response.content.decode()


# Forgot your password? (public)


def test_the_sign_in_page_links_to_the_forgotten_password_form(visitor):
    assert 'href="/password-reset/"' in visitor.get("/sign-in/").content.decode()


def test_a_known_and_an_unknown_address_get_the_same_answer(visitor, carol, outbox):
    known = visitor.post("/password-reset/", {"email": "Carol@Example.com"})
    unknown = visitor.post("/password-reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == "/password-reset/sent/"
    assert [m.to for m in outbox] == [["carol@example.com"]]
    assert "Check your email" in visitor.get("/password-reset/sent/").content.decode()


def test_a_suspended_customer_asking_for_a_link_is_sent_nothing(visitor, carol, bob, outbox):
    customer_set_suspended(customer=carol, actor=bob, suspended=True)

    response = visitor.post("/password-reset/", {"email": "carol@example.com"})

    assert response.url == "/password-reset/sent/"
    assert outbox == []


def test_a_bad_email_is_shown_next_to_the_field(visitor):
    response = visitor.post("/password-reset/", {"email": "not an email"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_too_many_requests_from_one_address_are_refused_with_429(visitor, outbox):
    for _ in range(20):
        visitor.post("/password-reset/", {"email": "nobody@example.com"})

    response = visitor.post("/password-reset/", {"email": "nobody@example.com"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_team_members_password_is_not_set_from_a_customer_profile(alice, bob):
    with pytest.raises(RecordGone):
        customer_set_password(customer=bob, actor=alice, password=GOOD)


def test_the_timeline_describes_both_password_events_in_the_readers_language(alice, bob, carol):
    password_reset_send(user=carol, actor=bob, base_url="http://acme.localhost")
    customer_set_password(customer=carol, actor=alice, password=GOOD)
    sent, changed = Event.objects.filter(customer=carol).order_by("id")

    with translation.override("fr"):
        french = [describe(sent), describe(changed)]
    assert [describe(sent), describe(changed)] == [
        "Password reset email sent to carol@example.com",
        "Password set by a team member",
    ]
    assert french == [
        "E-mail de réinitialisation du mot de passe envoyé à carol@example.com",
        "Mot de passe défini par un membre de l’équipe",
    ]
