"""What a person (or an integration, under /api/) sees when a request fails: one page styled like the
product, in their language, saying what happened in plain words and where to go next; JSON under /api/.

These are the project's error handlers (config/urls.py), the CSRF failure view (settings) and the pages
the error middleware (config/middleware.py) puts in place of Django's bare ones.
"""

import logging
import sys
from typing import NamedTuple

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from api.http import ApiError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Seconds a client is asked to wait when the database is out of reach: a restart takes a few.
OUTAGE_RETRY_AFTER = 10


class _Error(NamedTuple):
    code: str  # the API's error code
    api: str  # the API's description
    title: str  # the page's heading
    explanation: str  # what happened, and what to do


_ERRORS = {
    400: _Error(
        "BadRequest",
        _("The request could not be read."),
        _("This request couldn't be read"),
        _("Something in the address or the form wasn't in a shape we understand. Go back and try again."),
    ),
    422: _Error(
        "InvalidParameter",
        _("A query parameter is invalid."),
        _("This request couldn't be read"),
        _("Something in the address or the form wasn't in a shape we understand. Go back and try again."),
    ),
    403: _Error(
        "Forbidden",
        _("Access denied."),
        _("You don't have access to this page"),
        _("Your role in this helpdesk doesn't include it. If you think it should, ask one of its administrators."),
    ),
    404: _Error(
        "NotFound",
        _("Not found."),
        _("We couldn't find that page"),
        _("The link may be mistyped, or what it pointed to was removed or belongs to another helpdesk."),
    ),
    405: _Error(
        "MethodNotAllowed",
        _("This method is not allowed here."),
        _("This page can't be used that way"),
        _("It was reached in a way it doesn't accept, for example a form sent to a plain link. Go back and try again."),
    ),
    429: _Error(
        "TooManyRequests",
        _("Too many requests."),
        _("Too many attempts"),
        _("Please wait a few minutes, then try again."),
    ),
    500: _Error(
        "InternalError",
        _("Something went wrong on our side."),
        _("Something went wrong on our side"),
        _(
            "The error has been logged. Please try again in a moment; if it keeps happening, tell your helpdesk's "
            "administrator."
        ),
    ),
    503: _Error(
        "ServiceUnavailable",
        _("The service is briefly unavailable: retry after the number of seconds in Retry-After."),
        _("The helpdesk is briefly unavailable"),
        _(
            "We can't reach our database right now. Please try again in a minute. If you were saving something, "
            "check that it was saved before sending it again."
        ),
    ),
}
_NO_ACCOUNT = _Error(
    "NotFound",
    _("No helpdesk account at this address."),
    _("There's no helpdesk at this address"),
    _("Check the address you typed: no helpdesk goes by this name here."),
)


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(request, status: int, *, message=None, headers=None) -> HttpResponse:
    """The error page for `status` (JSON under /api/), with `message` in place of the usual explanation."""
    error = _ERRORS[status]
    if getattr(request, "account", True) is None:  # the host names no helpdesk
        error = _NO_ACCOUNT
    with translation.override(_language(request)):
        if is_api(request):
            response = ApiError(status, error.code, str(message or error.api)).response()
        else:
            context = {"status": status, "title": error.title, "explanation": message or error.explanation}
            context.update(_way_back(request, status))
            response = HttpResponse(render_to_string("errors/error.html", context, request), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _language(request) -> str:
    # Set by PreferencesMiddleware (the signed-in person's language); before it ran, the browser's.
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)


def _way_back(request, status: int) -> dict:
    """Where the person can go from here: their own start page, or sign-in. Nothing that needs the database
    when it is the database that failed."""
    if status == 503 or getattr(request, "account", None) is None:
        return {"way_back": None}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"way_back": (reverse("accounts:login"), _("Sign in"))}
    if user.is_team_member:
        return {"way_back": (reverse("profiles:search"), _("Go to customers"))}
    return {"way_back": (reverse("portal:home"), _("Go to my requests"))}


def is_outage(error: BaseException | None) -> bool:
    """Whether an exception says the database is out of reach (down, restarting, its connection dropped)."""
    return isinstance(error, (OperationalError, InterfaceError))


def bad_request(request, exception=None):
    return error_response(request, 400)


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404)


def server_error(request):
    """A failure no one foresaw is a 500; the database being out of reach is a 503 with Retry-After."""
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    try:
        return error_response(request, 500)
    except Exception:  # the page itself failed: say it plainly rather than fail twice
        logger.exception("The error page could not be rendered")
        return HttpResponse("Server error. Please try again later.", status=500, content_type="text/plain")


def outage_response(request) -> HttpResponse:
    return error_response(request, 503, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)})


def csrf_failure(request, reason=""):
    """A form sent without (or with an old) security token: usually a page left open across a sign-out."""
    if is_api(request):
        return error_response(request, 403)
    return error_response(
        request,
        403,
        message=_(
            "This form expired, for example after you signed out in another tab. Reload the page and send it again."
        ),
    )


def too_many_requests(request, *, retry_after: int, message=None) -> HttpResponse:
    """A 429 asking to come back in `retry_after` seconds."""
    return error_response(request, 429, message=message, headers={"Retry-After": str(retry_after)})
