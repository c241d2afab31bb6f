"""Email verification: a signed, expiring link proves that the customer reads that mailbox.

The link carries the account, the identity and a fingerprint of the address it was sent to, signed
with a timestamp. It needs no table of its own, and it dies by itself when the address is removed or
moves to another person (the fingerprint no longer matches), once it has been used (the identity is
verified), or after EMAIL_VERIFICATION_LINK_DAYS.
"""

import datetime
import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, User
from accounts.selectors import account_for_host
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from common.ratelimit import Throttle
from profiles.emails import send_or_retry
from profiles.identities import IdentityError
from profiles.models import Identity, IdentityType

SALT = "profiles.verification.email"
logger = logging.getLogger(__name__)


class VerificationLinkError(Exception):
    """A verification link that can't verify anything; `problem` names why, `status` the HTTP status."""

    problem = "invalid"
    status = 400

    def __init__(self, *, locale: str = ""):
        super().__init__(self.problem)
        self.locale = locale  # the customer's language when the link says whose it is, for the page to speak


class LinkInvalid(VerificationLinkError):
    """Tampered with, truncated, or meant for another account."""


class LinkExpired(VerificationLinkError):
    problem = "expired"
    status = 410


class LinkStale(VerificationLinkError):
    """The address it was sent for has been removed or now belongs to someone else."""

    problem = "stale"
    status = 410


class LinkUsed(VerificationLinkError):
    """The address is verified already (this link, or another one, was followed)."""

    problem = "used"
    status = 410


def verification_token_make(identity: Identity) -> str:
    """A signed, timestamped token naming this email identity as it is now."""
    # "l": the language the email is written in, so every page the link opens (even once it is used up,
    # expired or stale) speaks it.
    payload = {"a": identity.account_id, "i": identity.pk, "f": _fingerprint(identity), "l": identity.user.locale}
    return signing.TimestampSigner(salt=SALT).sign_object(payload)


def identity_for_verification_token(*, account: Account, token: str) -> Identity:
    """The unverified email identity of this account that the token names, with its user loaded;
    raises a VerificationLinkError saying why the link can't be used otherwise."""
    max_age = datetime.timedelta(days=settings.EMAIL_VERIFICATION_LINK_DAYS)
    signer = signing.TimestampSigner(salt=SALT)
    try:
        payload = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired(locale=_link_locale(signer.unsign_object(token), account)) from None
    except (signing.BadSignature, ValueError):
        raise LinkInvalid from None
    if not isinstance(payload, dict) or payload.get("a") != account.pk or not isinstance(payload.get("i"), int):
        raise LinkInvalid
    identity = (
        Identity.objects.filter(account=account, pk=payload["i"], type=IdentityType.EMAIL)
        .select_related("user")
        .first()
    )
    if identity is None or not constant_time_compare(str(payload.get("f", "")), _fingerprint(identity)):
        raise LinkStale(locale=_link_locale(payload, account))
    if identity.verified:
        raise LinkUsed(locale=identity.user.locale)
    return identity


def _link_locale(payload, account: Account) -> str:
    """The language a genuine link's email was written in ("" when it doesn't say, or isn't this account's)."""
    if not isinstance(payload, dict) or payload.get("a") != account.pk:
        return ""
    locale = payload.get("l")
    return locale if locale in dict(settings.LANGUAGES) else ""


# Verification emails one address may be sent in an hour (an agent's "Resend verification"): enough for a
# customer who lost one, too few to bomb their mailbox.
VERIFICATION_EMAILS_PER_HOUR = 5
_resends = Throttle("verification-email", VERIFICATION_EMAILS_PER_HOUR, 3600)
# A mail server that refuses is tried again this many times, after 1, 2, 4, 8 and 16 minutes.


@transaction.atomic
def identity_send_verification(*, identity: Identity, actor: User, base_url: str) -> None:
    """Email the customer, in their language, a link that verifies this address.

    `base_url` is the scheme and host the agent reached the account on (request.build_absolute_uri("/")),
    so the link opens on the customer's own helpdesk. The email itself goes out through the task queue,
    in the same transaction as the event and audit entry: a slow mail server never holds the request.
    """
    identity_id = identity.pk
    identity = (
        Identity.objects.filter(pk=identity_id, account_id=actor.account_id).select_related("user", "account").first()
    )
    if identity is None:
        raise RecordGone(f"identity {identity_id} is not in account {actor.account_id}")
    if not identity.is_email:
        raise IdentityError(_("Only an email address can be verified by email."))
    if identity.verified:
        raise IdentityError(_("This email address is already verified."))
    if account_for_host(urlsplit(base_url).netloc) != identity.account:
        raise ValueError(f"{base_url} is not the address of account {identity.account.subdomain}")
    wait = _resends.hit(str(identity.pk))
    if wait:
        minutes = math.ceil(wait / 60)
        raise IdentityError(
            ngettext(
                "This address was sent %(count)s verification emails in the last hour. Try again in %(minutes)s "
                "minute.",
                "This address was sent %(count)s verification emails in the last hour. Try again in %(minutes)s "
                "minutes.",
                minutes,
            )
            % {"count": VERIFICATION_EMAILS_PER_HOUR, "minutes": minutes}
        )
    customer, account = identity.user, identity.account
    link = base_url.rstrip("/") + reverse("verification:confirm", args=[verification_token_make(identity)])
    event_record(
        customer=customer,
        type="identity_verification_sent",
        description="Verification email sent",
        properties={
            "identity_id": identity.pk,
            "identity_type": identity.type,
            "value": identity.value,
            "actor_id": actor.pk,
        },
    )
    audit_record(
        account=account, actor=actor, action="identity.verification_sent", target=identity, after={"to": identity.value}
    )
    verification_email_send.enqueue(identity_id=identity.pk, link=link)


@task
def verification_email_send(*, identity_id: int, link: str, attempt: int = 1) -> str:
    """Send the verification email for an address, if it still waits for one; a refusing mail server is tried
    again later (when the task backend can wait), then given up on with an error in the worker's log."""
    identity = Identity.objects.filter(pk=identity_id).select_related("user", "account").first()
    if identity is None or identity.verified:
        return "not needed"  # removed or verified meanwhile: the link would say so anyway
    customer, account = identity.user, identity.account
    with translation.override(customer.locale):
        context = {
            "customer": customer,
            "account": account,
            "email": identity.value,
            "link": link,
            "days": settings.EMAIL_VERIFICATION_LINK_DAYS,
        }
        message = EmailMultiAlternatives(
            subject=_("Verify your email address for %(account)s") % {"account": account.name},
            body=render_to_string("profiles/email/verify_email.txt", context),
            to=[identity.value],
        )
        message.attach_alternative(render_to_string("profiles/email/verify_email.html", context), "text/html")
    return send_or_retry(
        message,
        task=verification_email_send,
        attempt=attempt,
        what=f"Verification email to identity {identity_id}",
        identity_id=identity_id,
        link=link,
    )


def _fingerprint(identity: Identity) -> str:
    return salted_hmac(SALT, f"{identity.pk}:{identity.user_id}:{identity.value}", algorithm="sha256").hexdigest()[:24]
