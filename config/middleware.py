"""Site-wide rules: the health probe answers first, nothing personal is kept by a cache, no error is a bare
page (or HTML under /api/), and a NUL in a query parameter is refused at the door."""

import logging

from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from api.http import ApiError, field_error
from config.errors import error_response, is_api

logger = logging.getLogger(__name__)
HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    """GET /healthz for load balancers and container engines: "ok" when this process can serve pages, a 503
    naming what is missing otherwise: the database (unreachable, or not there) or the collected static
    files (without their manifest every page would fail). It answers before host checks, the HTTPS
    redirect and the account lookup: a probe knows no helpdesk's name and speaks plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        problem = _health_problem()
        response = HttpResponse(problem or "ok", content_type="text/plain", status=503 if problem else 200)
        patch_cache_control(response, no_store=True)
        return response


def _health_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database can't be reached (%s)", error)
        return "database unreachable"
    try:
        staticfiles_storage.url("css/app.css")  # with DEBUG off, read from the manifest collectstatic writes
    except ValueError as error:
        logger.warning("Health check: %s", error)
        return "static files not collected (manage.py collectstatic)"
    return None


class NoStoreMiddleware:
    """Every page and API answer is about someone: `Cache-Control: private, no-store` unless a view said
    otherwise (static files never get here: WhiteNoise serves them, cacheable, before this runs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        return response


class ErrorPagesMiddleware:
    """Puts the product's error page (JSON under /api/) in place of the bare ones Django's decorators return:
    an empty 405 from `require_http_methods`, a plain-text refusal of a form sent by hand (its sentence kept,
    on the product's page), or any non-JSON error under /api/. HTMX requests keep their fragments."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if status < 400 or response.streaming:
            return response
        if is_api(request):
            if not response.get("Content-Type", "").startswith("application/json"):
                response = _replaced(response, error_response(request, status if status in _KNOWN else 500))
        elif status == 405 and not response.content:
            response = _replaced(response, error_response(request, 405))
        elif _is_bare_text(request, response) and status in _KNOWN and status < 500:  # a failed 500 page stays text
            message = response.content.decode(errors="replace")[:300] if status == 400 else None
            response = _replaced(response, error_response(request, status, message=message))
        return response


def _is_bare_text(request, response) -> bool:
    return not request.headers.get("HX-Request") and response.get("Content-Type", "").startswith("text/plain")


_KNOWN = {400, 403, 404, 405, 422, 429, 500, 503}


def _replaced(old, new):
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in old:
            new[header] = old[header]
    new.status_code = old.status_code
    return new


class QueryNulMiddleware:
    """A NUL character has no business in a query parameter, and PostgreSQL refuses it in text: a request
    carrying one is refused (422) naming the parameter, before any view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            name = next((k for k, values in request.GET.lists() if "\x00" in k or any("\x00" in v for v in values)), "")
            if name:
                return _nul_refused(request, name.replace("\x00", "\\0"))
        return self.get_response(request)


def _nul_refused(request, name: str):
    message = _("Must not contain a NUL character.")
    if is_api(request):
        return ApiError(
            422, "InvalidParameter", _("A query parameter is invalid."), field_error(name, "InvalidValue", message)
        ).response()
    if request.headers.get("HX-Request"):  # a fragment's request: a line of text where the fragment would go
        return HttpResponse(f"{name}: {message}", status=422, content_type="text/plain; charset=utf-8")
    return error_response(request, 422)
