"""Passwords: an admin sets one for a customer, or anyone is sent a link that lets them choose their own.

The link is Django's password reset token (`PasswordResetTokenGenerator`): it holds no state of its own and
dies once used (the password it hashes changes), when the person signs in meanwhile, when their email or
suspension changes, or after PASSWORD_RESET_TIMEOUT. The email goes out through the task queue, in the
person's language, like the verification email (profiles.verification). Only people who may sign in get
one: never a suspended customer, never one that was deleted.
"""

import contextlib
import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, User
from accounts.selectors import account_for_host
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from common.ratelimit import Throttle, client_address
from profiles.emails import send_or_retry
from profiles.locking import customer_lock

logger = logging.getLogger(__name__)


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token, salted for this use, and also void once the person is suspended."""

    key_salt = "profiles.passwords.reset"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.suspended}{user.account_id}"


reset_tokens = ResetTokenGenerator()


class PasswordResetRefused(Exception):
    """No reset email was sent; `message` says why, for the team member who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Reset emails one person may be sent in an hour, whoever asks: enough for someone who lost one, too few to
# bomb their mailbox. The public form also counts requests per client address.
RESET_EMAILS_PER_HOUR = 5
RESET_REQUESTS_PER_ADDRESS_PER_HOUR = 20
_per_person = Throttle("password-reset-email", RESET_EMAILS_PER_HOUR, 3600)
_per_address = Throttle("password-reset-address", RESET_REQUESTS_PER_ADDRESS_PER_HOUR, 3600)


def _may_sign_in(user: User) -> bool:
    return not user.suspended and user.deleted_at is None and user.merged_into_id is None


def _write_password(*, locked: User, actor: User | None, password: str, via: str) -> None:
    locked.set_password(password)
    User.objects.filter(pk=locked.pk).update(password=locked.password, updated_at=timezone.now())
    if locked.is_end_user:
        event_record(
            customer=locked,
            type="password_changed",
            description="Password set" if via == "admin" else "Password reset",
            properties={"via": via, "actor_id": actor and actor.pk},
        )
    audit_record(account=locked.account, actor=actor, action="user.password_set", target=locked, after={"via": via})


@transaction.atomic
def customer_set_password(*, customer: User, actor: User, password: str) -> None:
    """An admin gives the customer a new password (already checked by the password validators); records
    `password_changed` and an audit entry. Raises PermissionError for anyone but an admin, RecordGone when
    they are not a customer of the admin's account (any more)."""
    if not actor.is_admin:
        raise PermissionError("Only an admin sets a customer's password.")
    locked = customer_lock(customer=customer, actor=actor)
    _write_password(locked=locked, actor=actor, password=password, via="admin")
    customer.password = locked.password


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> None:
    """The person followed a valid reset link and chose `password` (already validated)."""
    locked = User.objects.select_for_update().select_related("account").get(pk=user.pk)
    _write_password(locked=locked, actor=locked, password=password, via="reset")
    user.password = locked.password


@transaction.atomic
def password_reset_send(*, user: User, actor: User, base_url: str) -> None:
    """Email `user`, in their language, a link to choose a new password; records `password_reset_requested`
    and an audit entry. `base_url` is the scheme and host the account was reached on, so the link opens on
    the person's own helpdesk. Raises PasswordResetRefused when they can't sign in (suspended) or were sent
    too many already this hour."""
    if actor.account_id != user.account_id:
        raise RecordGone(f"user {user.pk} is not in account {actor.account_id}")
    locked = User.objects.select_for_update().select_related("account").filter(pk=user.pk).first()
    if locked is None or locked.deleted_at or locked.merged_into_id:
        raise RecordGone(f"user {user.pk} no longer exists")
    if account_for_host(urlsplit(base_url).netloc) != locked.account:
        raise ValueError(f"{base_url} is not the address of account {locked.account.subdomain}")
    if locked.suspended:
        raise PasswordResetRefused(_("This customer is suspended: they can't sign in, so no reset email was sent."))
    if not locked.email:
        raise PasswordResetRefused(_("This customer has no primary email address to send the link to."))
    wait = _per_person.hit(str(locked.pk))
    if wait:
        minutes = math.ceil(wait / 60)
        raise PasswordResetRefused(
            ngettext(
                "This person was sent %(count)s password reset emails in the last hour. Try again in %(minutes)s "
                "minute.",
                "This person was sent %(count)s password reset emails in the last hour. Try again in %(minutes)s "
                "minutes.",
                minutes,
            )
            % {"count": RESET_EMAILS_PER_HOUR, "minutes": minutes}
        )
    link = base_url.rstrip("/") + reverse(
        "password_reset:confirm", args=[urlsafe_base64_encode(force_bytes(locked.pk)), reset_tokens.make_token(locked)]
    )
    if locked.is_end_user:
        event_record(
            customer=locked,
            type="password_reset_requested",
            description="Password reset email sent",
            properties={"to": locked.email, "actor_id": actor.pk},
        )
    audit_record(
        account=locked.account,
        actor=actor,
        action="user.password_reset_requested",
        target=locked,
        after={"to": locked.email},
    )
    password_reset_email_send.enqueue(user_id=locked.pk, link=link)


def password_reset_request(*, request, account: Account, email: str) -> int:
    """Someone who forgot their password asks for a link by email: it is sent if the address is the primary
    email of a person of the account who may sign in, and nothing says whether it was. Returns the seconds
    the client must wait when it asked too often (nothing is looked up then), else 0."""
    email = email.strip().lower()
    wait = _per_address.hit(client_address(request))
    if wait:
        return wait
    user = User.objects.filter(account=account, email=email, deleted_at__isnull=True).first() if email else None
    if user is not None and _may_sign_in(user):
        with contextlib.suppress(PasswordResetRefused):  # too many already: the answer must not tell
            password_reset_send(user=user, actor=user, base_url=request.build_absolute_uri("/"))
    return 0


def user_for_reset_link(*, account: Account, user_id: str) -> User | None:
    """The person of the account a reset link names, if they may still sign in; else None."""
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    user = User.objects.filter(account=account, pk=int(user_id)).select_related("account").first()
    return user if user is not None and _may_sign_in(user) else None


def link_validity(seconds: int) -> str:
    """How long a link works, in words: in days when it is whole days, else in hours."""
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    hours = max(1, math.ceil(seconds / 3600))
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


@task
def password_reset_email_send(*, user_id: int, link: str, attempt: int = 1) -> str:
    """Send the reset email, if the person may still sign in; a refusing mail server is tried again later."""
    user = User.objects.filter(pk=user_id).select_related("account").first()
    if user is None or not _may_sign_in(user) or not user.email:
        return "not needed"
    with translation.override(user.locale):
        context = {
            "user": user,
            "account": user.account,
            "link": link,
            "validity": link_validity(settings.PASSWORD_RESET_TIMEOUT),
        }
        message = EmailMultiAlternatives(
            subject=_("Choose a new password for %(account)s") % {"account": user.account.name},
            body=render_to_string("profiles/email/password_reset.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string("profiles/email/password_reset.html", context), "text/html")
    return send_or_retry(
        message,
        task=password_reset_email_send,
        attempt=attempt,
        what=f"Password reset email to user {user_id}",
        user_id=user_id,
        link=link,
    )
