"""Pages anyone may open without signing in: the customer's end of email verification, and of a password
reset."""

import contextlib
import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from profiles.forms import NewPasswordForm, PasswordResetAskForm
from profiles.identities import identity_verify
from profiles.passwords import (
    link_validity,
    password_reset_complete,
    password_reset_request,
    reset_tokens,
    user_for_reset_link,
)
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


# Forgotten passwords: ask for a link by email, follow it, choose a new password, sign in.


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_ask(request):
    """The form behind "Forgot your password?": the same answer whether or not the address is known."""
    form = PasswordResetAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = password_reset_request(request=request, account=request.account, email=form.cleaned_data["email"])
        if not wait:
            return redirect("password_reset:sent")
        minutes = math.ceil(wait / 60)
        form.add_error(
            None,
            ngettext(
                "Too many requests from here. Try again in %(minutes)s minute.",
                "Too many requests from here. Try again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        response = render(request, "profiles/password_reset/ask.html", {"form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response
    status = 400 if request.method == "POST" else 200
    return render(request, "profiles/password_reset/ask.html", {"form": form}, status=status)


def password_reset_sent(request):
    return render(request, "profiles/password_reset/sent.html", {"validity": link_validity(_timeout())})


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """The emailed link: Django's flow (the token leaves the address bar for the session before the form
    shows), for a person of this account who may still sign in, in their own language."""

    template_name = "profiles/password_reset/confirm.html"
    form_class = NewPasswordForm
    token_generator = reset_tokens
    success_url = reverse_lazy("password_reset:done")

    def get_user(self, uidb64):
        try:
            user_id = urlsafe_base64_decode(uidb64).decode()
        except (TypeError, ValueError, UnicodeDecodeError):
            return None
        return user_for_reset_link(account=self.request.account, user_id=user_id)

    def dispatch(self, *args, **kwargs):
        user = self.get_user(kwargs["uidb64"])
        with translation.override(user.locale) if user else contextlib.nullcontext():
            response = super().dispatch(*args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if user and not self.validlink and response.status_code == 200:
                response.status_code = 410  # expired, used or voided since it was sent
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "validity": link_validity(_timeout())}

    def form_valid(self, form):
        password_reset_complete(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        response = redirect(self.get_success_url())
        # The next pages (done, then sign in) keep speaking the person's language.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, self.user.locale, samesite="Lax")
        return response


def password_reset_done(request):
    return render(request, "profiles/password_reset/done.html")


def _timeout() -> int:
    return settings.PASSWORD_RESET_TIMEOUT
