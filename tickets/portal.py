"""The customer portal: a signed-in end user sees their requests (and those they are CC'd on), reads and
answers one, submits new ones and changes their password."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.decorators import end_user_required
from accounts.forms import OwnPasswordForm
from common.http import or_404
from tickets.forms import PortalCommentForm, RequestForm
from tickets.models import Status
from tickets.selectors import request_for_portal, requests_for_portal
from tickets.services import RequestClosed, customer_password_change, ticket_comment_from_customer, ticket_create


@end_user_required
def portal_home(request):
    page = requests_for_portal(customer=request.user, after=request.GET.get("after"), before=request.GET.get("before"))
    return render(request, "tickets/portal_home.html", {"page": page, "nav": "requests"})


@end_user_required
@require_http_methods(["GET", "POST"])
def portal_request(request, ticket_id: int):
    """One request with its public conversation, and a comment box (a closed request takes none)."""
    ticket = or_404(request_for_portal(customer=request.user, ticket_id=ticket_id))
    form = PortalCommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        previous = ticket.status
        try:
            ticket_comment_from_customer(ticket=ticket, author=request.user, body=form.cleaned_data["body"])
        except RequestClosed:
            form.add_error(
                "body",
                _("This request is closed and takes no more comments. Submit a new request if you still need help."),
            )
        else:
            if ticket.status != previous and previous == Status.SOLVED:
                messages.success(request, _("Your comment was sent and the request is open again."))
            else:
                messages.success(request, _("Your comment was sent."))
            return redirect("portal:request", ticket_id=ticket.pk)
    context = {"ticket": ticket, "form": form, "nav": "requests"}
    return render(request, "tickets/portal_request.html", context, status=400 if form.errors else 200)


@end_user_required
@require_http_methods(["GET", "POST"])
def portal_new_request(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create(requester=request.user, submitter=request.user, **form.cleaned_data)
        messages.success(request, _("Request #%(id)s was submitted. We'll get back to you soon.") % {"id": ticket.pk})
        return redirect("portal:home")
    context = {"form": form, "nav": "new_request"}
    return render(request, "tickets/portal_new_request.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters()
@never_cache
@end_user_required
@require_http_methods(["GET", "POST"])
def portal_password(request):
    """Change one's password: the current one, then the new one twice, checked by Django's validators. This
    session stays signed in; every other one ends."""
    form = OwnPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer_password_change(customer=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed."))
        return redirect("portal:home")
    context = {"form": form, "nav": "password"}
    return render(request, "tickets/portal_password.html", context, status=400 if form.errors else 200)


app_name = "portal"
urlpatterns = [
    path("", portal_home, name="home"),
    path("requests/new/", portal_new_request, name="new_request"),
    path("requests/<int:ticket_id>/", portal_request, name="request"),
    path("password/", portal_password, name="password"),
]
