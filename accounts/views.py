from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import admin_required
from accounts.forms import AgentInterfaceForm, PreferencesForm, SignInForm
from accounts.selectors import audit_entries
from accounts.services import account_set_customer_profile, user_set_preferences


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


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
            messages.success(request, _("Your changes were saved."))
            return redirect(reverse("accounts:agent_interface"))
    else:
        form = AgentInterfaceForm(initial={"customer_profile_enabled": account.customer_profile_enabled})
    history = audit_entries(account=account, action="account.customer_profile_changed", limit=5)
    return render(
        request,
        "accounts/agent_interface.html",
        {"form": form, "history": history, "admin_section": "agent_interface"},
    )
