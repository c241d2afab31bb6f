"""Token authentication and per-token rate limits for the API's views."""

import datetime
import math
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts.models import ApiToken, Role, User
from accounts.throttles import api_auth_failed
from accounts.tokens import presented_credentials
from api.http import ApiError, field_error
from common.ratelimit import window_hit
from common.replicas import READ_METHODS, replica_reads

_LAST_USED_EVERY = 60  # seconds: a token's "last used" is exact to the minute, not one write per request


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """Who is calling: the token, its account and the team member the app acts as (None if unknown); when the
    token last wrote (kept only with read replicas)."""

    token_id: int
    account_id: int
    actor_id: int | None
    wrote_at: datetime.datetime | None = None


def api_token_required(view):
    """API views only: a valid token of the request's account, within its rate limit; JSON 401/429 otherwise."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            caller = _authenticate(request)
            limit, remaining = _spend(caller)
        except ApiError as error:
            if error.status == 401:
                error = _guessing_limited(request) or error
            return error.response()
        request.api_caller = caller
        request.last_write = caller.wrote_at.timestamp() if caller.wrote_at else None
        response = _answer(request, view, *args, **kwargs)
        if request.method not in READ_METHODS and response.status_code < 400:
            _remember_write(caller)
        if limit:
            response["X-Rate-Limit"] = str(limit)
            response["X-Rate-Limit-Remaining"] = str(remaining)
        return response

    # Token auth carries no cookie, so there is no cross-site request to forge.
    return csrf_exempt(wrapper)


@replica_reads  # every GET of the API, unless the token wrote in the last REPLICA_PIN_SECONDS
def _answer(request, view, *args, **kwargs):
    try:
        return view(request, *args, **kwargs)
    except ApiError as error:
        return error.response()


def _remember_write(caller: ApiCaller) -> None:
    """With read replicas, a token that wrote reads from the primary for REPLICA_PIN_SECONDS after (an app
    reads back the event it just posted): the time is kept on the token, to the second, so that every process
    and server knows it."""
    if not settings.DATABASE_REPLICAS:
        return
    now = timezone.now()
    if caller.wrote_at is None or now - caller.wrote_at >= datetime.timedelta(seconds=1):
        ApiToken.objects.filter(pk=caller.token_id).update(wrote_at=now)


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "Unauthorized",
        _("Couldn't authenticate you."),
        field_error("Authorization", "InvalidValue", _("Send an active API token of this account: Bearer <token>.")),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _guessing_limited(request) -> ApiError | None:
    """A 429 once a client address has sent too many missing, wrong or revoked tokens this minute."""
    retry_after = api_auth_failed(request)
    if not retry_after:
        return None
    return ApiError(
        429,
        "TooManyRequests",
        _("Too many requests without a valid API token. Retry after %(seconds)s s.") % {"seconds": retry_after},
        field_error("Authorization", "RateLimited", _("Send an active API token of this account.")),
        headers={"Retry-After": str(retry_after)},
    )


def _authenticate(request) -> ApiCaller:
    credentials = presented_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    # AccountMiddleware found the presented token among the request's account's active ones, if it is one:
    # another account's token is as good as none.
    found = request.api_token_found
    if credentials is None or found is None:
        raise _unauthorized()
    token_id, actor_id, wrote_at = found
    account_id = request.account.id
    if credentials.email is not None:
        actor_id = (
            User.objects.filter(
                account_id=account_id, email=credentials.email, role__in=[Role.AGENT, Role.ADMIN], suspended=False
            )
            .values_list("id", flat=True)
            .first()
        )
        if actor_id is None:
            raise _unauthorized()
    # Once a minute per process (the cache is each process's own memory): exact enough for "last used".
    if cache.add(f"api-token-used:{token_id}", True, _LAST_USED_EVERY):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
    return ApiCaller(token_id=token_id, account_id=account_id, actor_id=actor_id, wrote_at=wrote_at)


def _spend(caller: ApiCaller) -> tuple[int, int]:
    """Count one request against the token's budget for this minute: (limit, remaining), or a 429."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if not limit:
        return 0, 0
    now = time.time()
    window = int(now // 60)
    used = window_hit(f"api-rate:{caller.token_id}:{window}", 120)
    if used is None:  # the shared counter is out of reach: let the request through, unlimited
        return 0, 0
    if used > limit:
        retry_after = max(1, math.ceil((window + 1) * 60 - now))
        raise ApiError(
            429,
            "TooManyRequests",
            _("Rate limit exceeded: at most %(limit)s requests a minute per token. Retry after %(seconds)s s.")
            % {"limit": limit, "seconds": retry_after},
            field_error("Authorization", "RateLimited", _("This token has used its requests for this minute.")),
            headers={"Retry-After": str(retry_after), "X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": "0"},
        )
    return limit, limit - used
