import math

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.assume import assumption_end
from accounts.audit import action_label
from accounts.decorators import admin_required
from accounts.forms import AgentInterfaceForm, ApiTokenForm, PreferencesForm, SignInForm
from accounts.selectors import api_token_for_admin, api_tokens, audit_entries, audit_log_page
from accounts.services import (
    account_set_agents_may_assume_identity,
    account_set_customer_profile,
    api_token_create,
    api_token_revoke,
    identity_assumption_ended,
    user_set_preferences,
)
from accounts.throttles import sign_in_failed, sign_in_wait
from common.http import or_404


class SignInView(auth_views.LoginView):
    """Sign in by email and password; after too many failures (for one email, or from one address) the form
    is refused with a 429 until the throttle's window ends, and the password isn't even checked."""

    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = sign_in_wait(request, request.POST.get("username", ""))
        if wait:
            form = self.get_form()
            minutes = math.ceil(wait / 60)
            form.add_error(
                None,
                ngettext(
                    "Too many failed sign-ins. For your security, try again in %(minutes)s minute.",
                    "Too many failed sign-ins. For your security, try again in %(minutes)s minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        sign_in_failed(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)


class SignOutView(auth_views.LogoutView):
    """Sign out; a team member signed in as a customer ends that too, for good (the audit log says so)."""

    def post(self, request, *args, **kwargs):
        assumption = getattr(request, "assumption", None)
        if assumption is not None:
            identity_assumption_ended(member=assumption.member, customer=assumption.customer, how="signed_out")
        return super().post(request, *args, **kwargs)


@require_POST
def assumption_return(request):
    """A team member signed in as a customer goes back to their own session and to the customer's profile."""
    assumption = getattr(request, "assumption", None)
    if assumption is None:
        return redirect("accounts:home")
    returned = assumption_end(request, assumption)
    how = "returned" if returned else "ended_member_must_sign_in"
    identity_assumption_ended(member=assumption.member, customer=assumption.customer, how=how)
    if not returned:
        return redirect("accounts:login")
    messages.success(request, _("You are back in your own session."))
    return redirect("profiles:customer", assumption.customer.pk)


def home(request):
    """Send each person to their own place: team members to the agent workspace, customers to the portal."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_team_member:
        return redirect("profiles:search")
    return redirect("portal:home")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Each person picks the language and time zone they read the product in."""
    user = request.user
    form = PreferencesForm(request.POST or None, initial={"locale": user.locale, "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        user_set_preferences(user=user, **form.cleaned_data)
        with translation.override(user.locale):
            messages.success(request, _("Your preferences were saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@admin_required
def admin_center(request):
    return redirect("accounts:agent_interface")


@admin_required
@require_http_methods(["GET", "POST"])
def agent_interface(request):
    account = request.account
    if request.method == "POST":
        form = AgentInterfaceForm(request.POST)
        if form.is_valid():
            account_set_customer_profile(
                account=account, actor=request.user, enabled=form.cleaned_data["customer_profile_enabled"]
            )
            account_set_agents_may_assume_identity(
                account=account, actor=request.user, allowed=form.cleaned_data["agents_may_assume_identity"]
            )
            messages.success(request, _("Your changes were saved."))
            return redirect(reverse("accounts:agent_interface"))
    else:
        form = AgentInterfaceForm(
            initial={
                "customer_profile_enabled": account.customer_profile_enabled,
                "agents_may_assume_identity": account.agents_may_assume_identity,
            }
        )
    history = audit_entries(account=account, action="account.customer_profile_changed", limit=5)
    return render(
        request,
        "accounts/agent_interface.html",
        {"form": form, "history": history, "admin_section": "agent_interface"},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def api_token_list(request):
    """Apps and integrations › APIs › API tokens: the list, and adding a token whose secret shows once."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, secret = api_token_create(account=request.account, actor=request.user, name=form.cleaned_data["name"])
        response = render(
            request,
            "accounts/api_token_created.html",
            {"token": token, "secret": secret, "admin_section": "api_tokens"},
        )
        # The secret is in this page only: no cache may keep a copy.
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True)
        return response
    tokens = api_tokens(account=request.account)
    return render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "admin_section": "api_tokens"})


@admin_required
@require_http_methods(["GET", "POST"])
def api_token_revoke_confirm(request, token_id: int):
    """Confirm, then revoke: apps using the token stop working at once."""
    token = or_404(api_token_for_admin(account=request.account, token_id=token_id))
    if request.method == "POST":
        if api_token_revoke(token=token, actor=request.user):
            messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("accounts:api_tokens")
    if not token.is_active:
        return redirect("accounts:api_tokens")
    return render(request, "accounts/api_token_revoke.html", {"token": token, "admin_section": "api_tokens"})


@admin_required
def audit_log(request):
    """Account › Audit log: who changed what, newest first, a page at a time."""
    page = audit_log_page(account=request.account, after=request.GET.get("after"), before=request.GET.get("before"))
    for entry in page.items:
        entry.label = action_label(entry.action)
    return render(request, "accounts/audit_log.html", {"page": page, "admin_section": "audit_log"})
