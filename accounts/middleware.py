import zoneinfo

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone, translation

from accounts.selectors import account_and_token_for_host
from accounts.tokens import presented_token_hash


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
