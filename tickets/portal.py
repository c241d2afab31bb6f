"""The customer portal: a signed-in end user sees their own requests and submits new ones."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import end_user_required
from tickets.forms import RequestForm
from tickets.selectors import tickets_for_customer
from tickets.services import ticket_create


@end_user_required
def portal_home(request):
    page = tickets_for_customer(customer=request.user, after=request.GET.get("after"), before=request.GET.get("before"))
    return render(request, "tickets/portal_home.html", {"page": page})


@end_user_required
@require_http_methods(["GET", "POST"])
def portal_new_request(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create(requester=request.user, submitter=request.user, **form.cleaned_data)
        messages.success(request, _("Request #%(id)s was submitted. We'll get back to you soon.") % {"id": ticket.pk})
        return redirect("portal:home")
    return render(request, "tickets/portal_new_request.html", {"form": form}, status=400 if form.errors else 200)


app_name = "portal"
urlpatterns = [
    path("", portal_home, name="home"),
    path("requests/new/", portal_new_request, name="new_request"),
]
