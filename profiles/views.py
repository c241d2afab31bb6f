from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import team_member_required
from accounts.services import team_member_set_profile_preference
from common.replicas import replica_reads
from profiles.forms import CustomerSearchForm
from profiles.page import ProfilePage
from profiles.selectors import customers_search


@team_member_required
@replica_reads
@vary_on_headers("HX-Request")
def customer_search(request):
    form = CustomerSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = customers_search(
        account=request.account, query=query, after=request.GET.get("after"), before=request.GET.get("before")
    )
    context = {"form": form, "query": query, "page": page, "nav": "customers"}
    if request.htmx:
        return render(request, "profiles/search.html#results", context)
    return render(request, "profiles/search.html", context)


@team_member_required
@replica_reads
@vary_on_headers("HX-Request", "HX-Target")
def customer_page(request, user_id: int):
    """The customer's profile: the new page for members who opted in (account permitting), else the legacy one."""
    page = ProfilePage(request)
    customer = page.find(user_id)
    if customer is None:
        return page.moved(user_id)  # merged into someone else: their page, else a 404
    return page.show(customer, page.tab(request.GET.get("tab")))


@team_member_required
@require_POST
def profile_experience(request):
    """A team member's own switch between the new and the legacy customer profile page."""
    use_new = request.POST.get("experience") == "new"
    team_member_set_profile_preference(member=request.user, use_new_profile=use_new)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "profiles:search"
    return redirect(next_url)
