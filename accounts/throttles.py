"""Limits on guessing: failed sign-ins per account and email and per client address, and requests with an
unknown API token per client address. Counted in Redis when REDIS_URL is set (every process and server
shares them), else in each process's cache."""

from django.conf import settings

from common.ratelimit import Throttle, client_address


def _sign_in_throttles() -> tuple[Throttle, Throttle]:
    period = settings.SIGN_IN_THROTTLE_MINUTES * 60
    return (
        Throttle("sign-in-email", settings.SIGN_IN_FAILURES_PER_EMAIL, period),
        Throttle("sign-in-address", settings.SIGN_IN_FAILURES_PER_ADDRESS, period),
    )


def _sign_in_identities(request, email: str) -> tuple[str, str]:
    return f"{request.account.pk}:{email.strip().lower()}", client_address(request)


def sign_in_wait(request, email: str) -> int:
    """Seconds before this email (on this account) or this client address may try to sign in again; 0 if now."""
    throttles, identities = _sign_in_throttles(), _sign_in_identities(request, email)
    return max(throttle.wait(identity) for throttle, identity in zip(throttles, identities))


def sign_in_failed(request, email: str) -> None:
    """Count a failed sign-in against the email (on this account) and the client address."""
    for throttle, identity in zip(_sign_in_throttles(), _sign_in_identities(request, email)):
        throttle.hit(identity)


def api_auth_failed(request) -> int:
    """Count a request whose API token is missing, wrong or revoked; the seconds its address must wait
    before the next one is even looked at (0 while within the limit)."""
    return Throttle("api-auth", settings.API_AUTH_FAILURES_PER_MINUTE, 60).hit(client_address(request))
