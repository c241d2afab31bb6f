"""Pages anyone may open without signing in: the customer's end of email verification."""

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
        context = {"problem": error.problem, "days": settings.EMAIL_VERIFICATION_LINK_DAYS}
        return render(request, "profiles/verification/problem.html", context, status=error.status)
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
