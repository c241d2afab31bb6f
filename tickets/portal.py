"""The customer portal: a signed-in end user sees their own requests."""

from django.shortcuts import render
from django.urls import path

from accounts.decorators import end_user_required
from tickets.selectors import tickets_for_customer


@end_user_required
def portal_home(request):
    page = tickets_for_customer(customer=request.user, after=request.GET.get("after"), before=request.GET.get("before"))
    return render(request, "tickets/portal_home.html", {"page": page})


app_name = "portal"
urlpatterns = [path("", portal_home, name="home")]
