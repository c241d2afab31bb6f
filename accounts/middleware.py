import zoneinfo

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation

from accounts.assume import MARKER, assumption_for, is_team_area
from accounts.selectors import account_and_token_for_host
from accounts.services import assumed_request_record
from accounts.tokens import presented_token_hash

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class AccountMiddleware:
    """Resolve the request's account from its host; a session from another account counts for nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A request presenting an API token gets it found with the account, in the same query (api_token_required
        # reads it): the API answers every call with one round trip fewer.
        request.account, request.api_token_found = account_and_token_for_host(
            request.get_host(), presented_token_hash(request)
        )
        if request.account is None:
            raise Http404("No helpdesk account at this host")  # the site's 404 page, JSON under /api/
        user = request.user
        if user.is_authenticated and user.account_id != request.account.id:
            request.user = AnonymousUser()
        return self.get_response(request)


class PreferencesMiddleware:
    """Speak the viewer's language and show times in their time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            language = user.locale
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            language = translation.get_language_from_request(request)
            timezone.deactivate()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # The thread serves other requests (and tests run code) next: nothing may inherit this
            # person's language or time zone.
            translation.deactivate()
            timezone.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers["Vary"] = ", ".join(
            v for v in {*response.headers.get("Vary", "").split(", "), "Accept-Language", "Cookie"} if v
        )
        return response


class AssumedIdentityMiddleware:
    """While a team member assumes a customer's identity (accounts/assume.py): the request knows it
    (`request.assumption`, for the banner), the team's pages are refused with a page saying why, and every
    request that may write is audit-logged with both people, whichever view answers it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        assumption = request.assumption = assumption_for(request)
        if assumption is None:
            return self.get_response(request)
        if is_team_area(request.path_info):
            response = render(request, "accounts/assumed_refused.html", {"assumption": assumption}, status=403)
        else:
            response = self.get_response(request)
        # Returning and signing out end the session (marker and all) and record the end themselves.
        if request.method not in SAFE_METHODS and MARKER in request.session:
            assumed_request_record(
                member=assumption.member,
                customer=assumption.customer,
                method=request.method,
                path=request.path_info,
                status=response.status_code,
            )
        return response
