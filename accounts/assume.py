"""Assuming a customer's identity: a team member signs in as one of the account's end users to see the
portal as they do, then returns to their own session.

The session is switched as `django.contrib.auth.login` switches it (a new, empty session under a new key,
a new CSRF token) but without its `user_logged_in` signal: the customer didn't sign in, so neither their
last sign-in nor their timeline may say they did. The assumed session carries a signed marker naming the
member and the customer; only a valid marker for the customer signed in leads back, and only to a member
who may still sign in. Signing out flushes the session, marker and all: the way back is then to sign in.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.middleware.csrf import rotate_token
from django.utils.crypto import constant_time_compare

from accounts.models import Role, User

MARKER = "_assumed_identity"
_SALT = "accounts.assume"
_BACKEND = "accounts.backends.AccountEmailBackend"
# The parts of the site a customer's session never reaches while a team member holds it.
TEAM_AREAS = ("/agent/", "/admin-center/")


@dataclass(frozen=True)
class Assumption:
    """A team member (`member`) signed in as a customer (`customer`, the request's user)."""

    member: User
    customer: User
    # The member's session hash when they began: a changed password since means the way back is to sign in.
    member_hash: str = ""


def is_team_area(path: str) -> bool:
    """Whether the path is one of the team's pages (`/agent…`, `/admin-center…`)."""
    return any(path == area.rstrip("/") or path.startswith(area) for area in TEAM_AREAS)


def assumption_begin(request, *, customer: User) -> None:
    """Sign the request's team member in as `customer`, keeping who they are in the new session's marker."""
    member = request.user
    _switch_session(request, customer)
    marker = {"member": member.pk, "customer": customer.pk, "hash": member.get_session_auth_hash()}
    request.session[MARKER] = signing.dumps(marker, salt=_SALT)


def assumption_for(request) -> Assumption | None:
    """The assumption the request's session is in, or None (for a marker that doesn't hold, too)."""
    raw = request.session.get(MARKER) if hasattr(request, "session") else None
    if raw is None or not request.user.is_authenticated:
        return None
    try:
        marker = signing.loads(raw, salt=_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if marker.get("customer") != request.user.pk:
        return None
    member = User.objects.filter(pk=marker.get("member"), account_id=request.user.account_id).first()
    if member is None:
        return None
    member.account = request.user.account
    return Assumption(member=member, customer=request.user, member_hash=str(marker.get("hash", "")))


def assumption_end(request, assumption: Assumption) -> bool:
    """Sign the member back in, if they still may sign in as a team member of this account with the password
    they had when they began; otherwise the session just ends. Returns whether the member is signed in again."""
    member = assumption.member
    same_password = constant_time_compare(assumption.member_hash, member.get_session_auth_hash())
    if member.role in (Role.AGENT, Role.ADMIN) and member.is_active and same_password:
        _switch_session(request, member)
        return True
    request.session.flush()
    request.user = AnonymousUser()
    return False


def _switch_session(request, user: User) -> None:
    # As django.contrib.auth.login for a different user, minus the signal (see the module's docstring).
    request.session.flush()
    request.session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    request.session[BACKEND_SESSION_KEY] = _BACKEND
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    request.user = user
    rotate_token(request)
