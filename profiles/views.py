from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import team_member_required
from accounts.selectors import uses_new_profile
from accounts.services import team_member_set_profile_preference
from activity.selectors import event_kinds_for_customer, events_for_customer
from profiles.details import details_context
from profiles.forms import CustomerSearchForm, TicketListForm
from profiles.selectors import (
    customer_for_team_member,
    customer_local_time,
    customers_search,
    default_organization,
    primary_identity,
)
from profiles.timeline import filter_groups, parse_filter, timeline_rows
from tickets.selectors import ticket_counts_for_customer, tickets_for_customer


@team_member_required
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


def _activity_tab(request, customer, partial: str | None) -> dict:
    raw_filter = request.GET.get("filter", "")
    # Appending older events needs no filter choices; the other renders read the kinds once for both.
    kinds = None if partial == PARTIALS["timeline-more"] else event_kinds_for_customer(customer=customer)
    page = events_for_customer(
        customer=customer, event_filter=parse_filter(raw_filter), kinds=kinds, after=request.GET.get("after")
    )
    context = {"timeline_page": page, "timeline_rows": timeline_rows(page.items), "timeline_filter": raw_filter}
    if kinds is not None:
        context["filter_groups"] = filter_groups(kinds)
    return context


def _tickets_tab(request, customer, partial: str | None = None) -> dict:
    form = TicketListForm(request.GET)
    params = form.params()
    page = tickets_for_customer(customer=customer, **params)
    return {"ticket_form": form, "ticket_params": params, "ticket_page": page}


def _details_tab(request, customer, partial: str | None = None) -> dict:
    return details_context(request, customer)


# The new page's tabs in order, each with the function that builds its panel; the first is the default.
PROFILE_TABS = {
    "activity": (gettext_lazy("Activity"), _activity_tab),
    "tickets": (gettext_lazy("Tickets"), _tickets_tab),
    "details": (gettext_lazy("Customer details"), _details_tab),
}
# The regions an HTMX request may ask for by its HX-Target, and the partial that renders each.
PARTIALS = {
    "profile-tabs": "profiles/customer_page.html#profile-tabs",
    "tab-panel": "profiles/customer_page.html#tab-panel",
    "timeline-more": "profiles/_activity_panel.html#timeline-page",
}


def _key_details(customer) -> dict:
    return {
        "primary_email": primary_identity(customer, "email"),
        "primary_phone": primary_identity(customer, "phone_number"),
        "default_organization": default_organization(customer),
        "local_time": customer_local_time(customer),
        "ticket_counts": ticket_counts_for_customer(customer),
    }


@team_member_required
@vary_on_headers("HX-Request", "HX-Target")
def customer_page(request, user_id: int):
    """The customer's profile: the new page for members who opted in (account permitting), else the legacy one."""
    partial = PARTIALS.get(request.htmx.target) if request.htmx else None
    if not uses_new_profile(request.user):
        # The legacy page has one swappable region: its tickets panel.
        tickets_only = partial == PARTIALS["tab-panel"]
        customer = customer_for_team_member(account=request.account, user_id=user_id, with_details=not tickets_only)
        return _legacy_page(request, customer, tickets_only=tickets_only)
    customer = customer_for_team_member(account=request.account, user_id=user_id, with_details=not partial)
    tab = request.GET.get("tab")
    if tab not in PROFILE_TABS:
        tab = next(iter(PROFILE_TABS))
    _label, build_panel = PROFILE_TABS[tab]
    return render_customer(request, customer, tab=tab, panel=build_panel(request, customer, partial), partial=partial)


def customer_url(request, customer) -> str:
    """Where the member sees this customer's details: the new page's tab, or the legacy page."""
    url = reverse("profiles:customer", args=[customer.pk])
    return f"{url}?tab=details" if uses_new_profile(request.user) else url


def render_customer(request, customer, *, tab: str, panel: dict, partial=None, status=200, refreshed=False):
    """The profile page the member uses, showing `tab` with its `panel` context: the whole page, or the
    region an HTMX request asked for (after a save, plus Key details and the header, swapped out of band)."""
    if not uses_new_profile(request.user):
        return _legacy_page(request, customer, panel=panel, status=status)
    context = {
        "customer": customer,
        "tab": tab,
        "tabs": [(key, label) for key, (label, _builder) in PROFILE_TABS.items()],
        "nav": "customers",
        **panel,
    }
    if partial:
        if refreshed:
            context.update(_key_details(customer))
            partial = "profiles/customer_page.html#tab-panel-refreshed"
        return render(request, partial, context, status=status)
    context.update(_key_details(customer))
    return render(request, "profiles/customer_page.html", context, status=status)


def _legacy_page(request, customer, *, panel=None, status=200, tickets_only=False):
    """The classic page: the editable left column (the same form as the new page's Customer details
    tab, given as `panel` after a write) and the tickets; `tickets_only` renders the tickets panel alone."""
    context = {
        "customer": customer,
        "offer_switch": request.account.customer_profile_enabled,
        "nav": "customers",
        **_tickets_tab(request, customer),
    }
    if tickets_only:
        return render(request, "profiles/customer_legacy.html#tab-panel", context)
    context.update(panel or details_context(request, customer))
    context.update(_key_details(customer))
    return render(request, "profiles/customer_legacy.html", context, status=status)


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
