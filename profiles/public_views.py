"""Pages anyone may open without signing in: the customer's end of email verification."""

import contextlib

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from profiles.identities import identity_verify
from profiles.verification import VerificationLinkError, identity_for_verification_token


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email(request, token: str):
    """A verification link: GET asks to confirm (mail scanners prefetch links), POST verifies."""
    try:
        identity = identity_for_verification_token(account=request.account, token=token)
    except VerificationLinkError as error:
        # A genuine link names the customer's language: the page keeps speaking it on every visit. Else the
        # visitor's own (their browser's, or their profile's when signed in).
        context = {"problem": error.problem, "days": settings.EMAIL_VERIFICATION_LINK_DAYS}
        with translation.override(error.locale) if error.locale else contextlib.nullcontext():
            response = render(request, "profiles/verification/problem.html", context, status=error.status)
            response["Content-Language"] = translation.get_language()
        return response
    customer = identity.user
    # The page speaks the language the email was written in: the customer's.
    with translation.override(customer.locale):
        if request.method == "POST":
            identity_verify(customer=customer, actor=customer, identity=identity, via="link")
            response = render(request, "profiles/verification/verified.html", {"identity": identity})
        else:
            response = render(request, "profiles/verification/confirm.html", {"identity": identity})
        response["Content-Language"] = translation.get_language()
    return response
