"""The Actions menu's pages about a customer's access: assume their identity, make them an agent, suspend
them or lift it. Each is a confirmation page (GET) saying what will happen, and its Confirm button (POST);
all work without JavaScript. Who may use each: profiles/record_actions.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.assume import assumption_begin
from accounts.decorators import team_member_required
from profiles.access import customer_identity_assume, customer_upgrade_to_agent
from profiles.page import ProfilePage
from profiles.record_actions import may_assume_identity, may_change_suspension, may_upgrade_to_agent
from profiles.services import customer_set_suspended


def customer_for_action(request, user_id: int, allowed):
    """The customer (or the answer to give instead: a redirect for a merged one, else a 404), after a 403
    for a member the rule `allowed` refuses."""
    page = ProfilePage(request)
    customer = page.find(user_id)
    if customer is None:
        return None, page.moved(user_id)
    if not allowed(request.user, customer):
        raise PermissionDenied
    return customer, None


@team_member_required
@require_http_methods(["GET", "POST"])
def assume_identity(request, user_id: int):
    """Confirm, then sign in as the customer: the member sees the portal as they do, until they return."""
    customer, answer = customer_for_action(request, user_id, may_assume_identity)
    if answer:
        return answer
    if request.method == "POST":
        customer_identity_assume(customer=customer, actor=request.user)
        assumption_begin(request, customer=customer)
        return redirect("portal:home")
    return render(request, "profiles/actions/confirm_assume_identity.html", {"customer": customer, "nav": "customers"})


@team_member_required
@require_http_methods(["GET", "POST"])
def upgrade_to_agent(request, user_id: int):
    """Confirm, then make the customer an agent; they leave the customers' pages, so the member lands on search."""
    customer, answer = customer_for_action(request, user_id, may_upgrade_to_agent)
    if answer:
        return answer
    if request.method == "POST":
        customer_upgrade_to_agent(customer=customer, actor=request.user)
        messages.success(request, _("%(name)s is now an agent.") % {"name": customer.name})
        return redirect("profiles:search")
    return render(request, "profiles/actions/confirm_upgrade_to_agent.html", {"customer": customer, "nav": "customers"})


@team_member_required
@require_http_methods(["GET", "POST"])
def suspension(request, user_id: int):
    """Confirm, then suspend the customer (or lift their suspension). The form says which it confirms, so a
    second click, or a page left open while someone else changed it, doesn't undo it."""
    customer, answer = customer_for_action(request, user_id, may_change_suspension)
    if answer:
        return answer
    if request.method == "POST":
        wanted = request.POST.get("suspended")
        if wanted not in ("true", "false"):
            messages.error(request, _("Choose whether to suspend this customer or lift the suspension."))
            return redirect("profiles:suspension", customer.pk)
        suspended = wanted == "true"
        if customer_set_suspended(customer=customer, actor=request.user, suspended=suspended):
            text = _("%(name)s is suspended.") if suspended else _("%(name)s is no longer suspended.")
            messages.success(request, text % {"name": customer.name})
        return redirect("profiles:customer", customer.pk)
    return render(request, "profiles/actions/confirm_suspension.html", {"customer": customer, "nav": "customers"})
