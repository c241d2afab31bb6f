import re
import time
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from accounts.models import AuditEntry, User
from activity.models import Event
from common.errors import RecordGone
from demo.factories import IdentityFactory, PhoneIdentityFactory
from profiles.identities import IdentityError, identity_add, identity_remove
from profiles.models import Identity
from profiles.verification import identity_send_verification, verification_token_make
from tests.conftest import client_for

LINK = re.compile(r"https?://[^\s\"<>]+/verify-email/[^\s\"<>]+/")


@pytest.fixture
def work(carol):
    """Carol's second address, not verified yet."""
    return IdentityFactory(user=carol, value="carol.work@example.com", verified=False)


@pytest.fixture
def outbox(db):
    """The locmem outbox, taken once the test database (which resets it) is set up."""
    return mail.outbox


@pytest.fixture
def visitor(acme):
    """Whoever opens the link: nobody is signed in."""
    return client_for(None, host="acme.localhost")


def _send(identity, actor, base_url="http://acme.localhost"):
    identity_send_verification(identity=identity, actor=actor, base_url=base_url)


def _link_in(message) -> str:
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    return links.pop()


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _token_made_days_ago(identity, days: float) -> str:
    then = int(time.time() - days * 86400)
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then)):
        return verification_token_make(identity)


def _verified(identity) -> bool:
    return Identity.objects.get(pk=identity.pk).verified


# Sending


def test_an_agent_sends_a_verification_email_with_a_link_on_the_accounts_host(outbox, bob, carol, work):
    _send(work, bob)

    (message,) = outbox
    assert message.to == ["carol.work@example.com"]
    assert message.subject == "Verify your email address for Acme"
    assert message.body.startswith("Hello Carol Customer,")
    link = _link_in(message)
    assert link.startswith("http://acme.localhost/verify-email/")
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html and 'lang="en"' in html
    assert "7 days" in message.body
    (event,) = Event.objects.filter(customer=carol, type="identity_verification_sent")
    assert event.description == "Verification email sent"
    assert event.properties == {
        "identity_id": work.pk,
        "identity_type": "email",
        "value": "carol.work@example.com",
        "actor_id": bob.pk,
    }
    audit = AuditEntry.objects.get(action="identity.verification_sent")
    assert audit.actor == bob and audit.after == {"to": "carol.work@example.com"}
    assert _verified(work) is False, "sending verifies nothing"


def test_a_french_customer_gets_the_email_in_french_while_the_agent_keeps_english(outbox, bob, carol, work):
    User.objects.filter(pk=carol.pk).update(locale="fr")

    with translation.override("en"):
        _send(work, bob)
        assert translation.get_language() == "en"

    (message,) = outbox
    assert message.subject == "Vérifiez votre adresse e-mail pour Acme"
    assert message.body.startswith("Bonjour Carol Customer,")
    assert "7 jours" in message.body
    html = message.alternatives[0][0]
    assert 'lang="fr"' in html and "Vérifier mon adresse e-mail" in html


def test_the_link_lasts_as_long_as_the_setting_says(outbox, bob, work, settings):
    settings.EMAIL_VERIFICATION_LINK_DAYS = 2

    _send(work, bob)

    assert "2 days" in outbox[0].body


def test_a_phone_number_or_a_verified_address_gets_no_email(outbox, bob, carol):
    phone = PhoneIdentityFactory(user=carol)
    primary = Identity.objects.get(user=carol, primary=True)

    with pytest.raises(IdentityError, match="Only an email address"):
        _send(phone, bob)
    with pytest.raises(IdentityError, match="already verified"):
        _send(primary, bob)

    assert outbox == []
    assert not Event.objects.filter(type="identity_verification_sent").exists()


def test_an_agent_of_another_account_cant_send_one(outbox, charlie, work):
    with pytest.raises(RecordGone):
        _send(work, charlie, base_url="http://globex.localhost")

    assert outbox == []


def test_the_link_never_points_at_another_accounts_host(outbox, bob, work, globex):
    with pytest.raises(ValueError):
        _send(work, bob, base_url="http://globex.localhost")

    assert outbox == []


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _run_worker():
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def _refuse(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)


@pytest.mark.django_db(transaction=True)  # the worker commits, as it does in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_the_email_waits_in_the_queue_for_the_worker_so_the_agent_never_waits_for_the_mail_server(outbox, bob, work):
    _send(work, bob)

    assert outbox == []
    assert DBTaskResult.objects.get().status == "READY"

    _run_worker()

    (message,) = outbox
    assert message.to == ["carol.work@example.com"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)  # the worker commits, as it does in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_a_refusing_mail_server_is_tried_again_later(monkeypatch, outbox, bob, carol, work):
    _send(work, bob)
    _refuse(monkeypatch)

    _run_worker()

    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "SUCCESSFUL" and first.return_value == "retrying"
    assert retry.status == "READY" and retry.args_kwargs["kwargs"]["attempt"] == 2
    assert 50 <= (retry.run_after - first.enqueued_at).total_seconds() <= 70
    assert Event.objects.filter(customer=carol, type="identity_verification_sent").count() == 1


@pytest.mark.django_db(transaction=True)  # the worker commits, as it does in production
@override_settings(TASKS=DATABASE_QUEUE)
def test_an_address_verified_before_the_worker_gets_to_it_gets_no_email(outbox, bob, work):
    _send(work, bob)
    Identity.objects.filter(pk=work.pk).update(verified=True)

    _run_worker()

    assert outbox == []


def test_a_refusing_mail_server_never_fails_the_agents_action(monkeypatch, bob, carol, work):
    _refuse(monkeypatch)

    _send(work, bob)

    assert Event.objects.filter(customer=carol, type="identity_verification_sent").exists()
    assert AuditEntry.objects.filter(action="identity.verification_sent").exists()


def test_an_address_is_sent_five_verification_emails_an_hour_at_most(outbox, bob, work):
    for _ in range(5):
        _send(work, bob)

    with pytest.raises(IdentityError, match="was sent 5 verification emails in the last hour. Try again in"):
        _send(work, bob)

    assert len(outbox) == 5
    assert Event.objects.filter(type="identity_verification_sent").count() == 5


def test_the_limit_is_per_address(outbox, bob, carol, work):
    other = IdentityFactory(user=carol, value="carol.other@example.com", verified=False)
    for _ in range(5):
        _send(work, bob)

    _send(other, bob)

    assert outbox[-1].to == ["carol.other@example.com"]


# Following the link, end to end


def test_the_customer_follows_the_link_confirms_and_the_address_is_verified(outbox, visitor, bob, carol, work):
    _send(work, bob)
    path = _path(_link_in(outbox[0]))

    asked = visitor.get(path)
    assert _verified(work) is False, "opening the link (as mail scanners do) verifies nothing"
    confirmed = visitor.post(path)

    assert asked.status_code == 200
    assert "Confirm that <strong>carol.work@example.com</strong> is your email address at Acme." in asked.text
    assert '<form method="post">' in asked.text and "Verify my email address" in asked.text
    assert asked.headers["Cache-Control"].startswith("max-age=0")
    assert confirmed.status_code == 200
    assert "Email address verified" in confirmed.text
    assert _verified(work) is True
    (event,) = Event.objects.filter(customer=carol, type="identity_verified")
    assert event.properties["via"] == "link" and event.properties["actor_id"] == carol.pk
    assert AuditEntry.objects.get(action="identity.verified").actor_id == carol.pk


def test_a_french_customer_confirms_on_pages_in_french(outbox, visitor, bob, carol, work):
    User.objects.filter(pk=carol.pk).update(locale="fr")
    _send(work, bob)
    path = _path(_link_in(outbox[0]))

    asked = visitor.get(path, HTTP_ACCEPT_LANGUAGE="en")
    confirmed = visitor.post(path, HTTP_ACCEPT_LANGUAGE="en")

    assert 'lang="fr"' in asked.text and "Vérifier mon adresse e-mail" in asked.text
    assert asked.headers["Content-Language"] == "fr"
    assert "Adresse e-mail vérifiée" in confirmed.text


def test_a_french_customers_link_stays_in_french_on_every_visit_whatever_the_browser_says(
    outbox, visitor, bob, carol, work
):
    User.objects.filter(pk=carol.pk).update(locale="fr")
    carol.refresh_from_db()
    _send(work, bob)
    path = _path(_link_in(outbox[0]))
    visitor.post(path, HTTP_ACCEPT_LANGUAGE="en")
    expired = f"/verify-email/{_token_made_days_ago(work, 8)}/"
    other = identity_add(customer=carol, actor=bob, type="email", value="carol.other@example.com")
    stale = verification_token_make(other)
    Identity.objects.filter(pk=other.pk).update(value="carol.moved@example.com")

    again = visitor.get(path, HTTP_ACCEPT_LANGUAGE="en")
    too_old = visitor.get(expired, HTTP_ACCEPT_LANGUAGE="en")
    moved = visitor.get(f"/verify-email/{stale}/", HTTP_ACCEPT_LANGUAGE="en")

    assert 'lang="fr"' in again.text and "Cette adresse e-mail est déjà vérifiée" in again.text
    assert again.headers["Content-Language"] == "fr"
    assert 'lang="fr"' in too_old.text and "Ce lien a expiré" in too_old.text
    assert 'lang="fr"' in moved.text and "Ce lien n’est plus valable" in moved.text


def test_a_link_that_names_nobody_speaks_the_browsers_language(visitor):
    response = visitor.get("/verify-email/nonsense/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert 'lang="fr"' in response.text and "Ce lien n’est pas valide" in response.text


def test_a_link_used_twice_says_the_address_is_already_verified(outbox, visitor, bob, work):
    _send(work, bob)
    path = _path(_link_in(outbox[0]))
    visitor.post(path)

    again = visitor.get(path)
    posted_again = visitor.post(path)

    assert again.status_code == posted_again.status_code == 410
    assert "This email address is already verified" in again.text
    assert Event.objects.filter(type="identity_verified").count() == 1


def test_an_expired_link_is_refused_kindly(visitor, work):
    path = f"/verify-email/{_token_made_days_ago(work, 8)}/"

    shown, posted = visitor.get(path), visitor.post(path)

    assert shown.status_code == posted.status_code == 410
    assert "This link has expired" in shown.text and "Verification links work for 7 days." in shown.text
    assert _verified(work) is False


def test_a_link_still_works_just_before_it_expires(visitor, work):
    path = f"/verify-email/{_token_made_days_ago(work, 6.9)}/"

    assert visitor.post(path).status_code == 200
    assert _verified(work) is True


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "eyJhIjoxfQ:1tQ2xX:forged-signature",
        signing.dumps({"a": 1, "i": 1, "f": "x"}),  # signed, but not as a verification link
    ],
)
def test_a_tampered_or_foreign_token_is_refused_kindly(visitor, work, token):
    response = visitor.post(f"/verify-email/{token}/")

    assert response.status_code == 400
    assert "This link isn't valid" in response.text
    assert _verified(work) is False


def test_a_link_with_one_character_changed_is_refused(outbox, visitor, bob, work):
    _send(work, bob)
    path = _path(_link_in(outbox[0]))
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    response = visitor.post(tampered)

    assert response.status_code == 400
    assert _verified(work) is False


def test_a_link_dies_when_the_address_changes(visitor, work):
    token = verification_token_make(work)
    Identity.objects.filter(pk=work.pk).update(value="carol.new@example.com")

    response = visitor.post(f"/verify-email/{token}/")

    assert response.status_code == 410 and "This link is no longer valid" in response.text
    assert _verified(work) is False


def test_a_link_dies_when_the_address_is_removed_and_added_again(visitor, bob, carol, work):
    token = verification_token_make(work)
    identity_remove(customer=carol, actor=bob, identity=work)
    again = identity_add(customer=carol, actor=bob, type="email", value="carol.work@example.com")

    response = visitor.post(f"/verify-email/{token}/")

    assert response.status_code == 410
    assert _verified(again) is False


def test_a_link_opened_on_another_accounts_host_verifies_nothing(globex, work):
    token = verification_token_make(work)
    elsewhere = client_for(None, host="globex.localhost")

    response = elsewhere.post(f"/verify-email/{token}/")

    assert response.status_code == 400 and "This link isn't valid" in response.text
    assert "carol.work@example.com" not in response.text
    assert _verified(work) is False


def test_the_confirmation_page_needs_no_sign_in_and_refuses_other_methods(visitor, work):
    path = f"/verify-email/{verification_token_make(work)}/"

    assert visitor.get(path).status_code == 200
    assert visitor.put(path).status_code == 405
    assert _verified(work) is False


def test_the_confirmation_asks_for_the_csrf_token(work):
    strict = client_for(None, host="acme.localhost")
    strict.handler.enforce_csrf_checks = True

    response = strict.post(f"/verify-email/{verification_token_make(work)}/")

    assert response.status_code == 403
    assert _verified(work) is False
