"""The customer profile page, composed: which page a team member sees (the new one or the legacy one),
its tabs, the region an HTMX request asks for, the header and Key details.

A view makes one `ProfilePage` per request, which decides all of that once, reads the customer with what
the render needs, and renders; views never decide any of it themselves.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from accounts.selectors import uses_new_profile
from activity.selectors import event_kinds_for_customer
from common.http import or_404
from custom_fields.models import FieldObject
from profiles.details import details_context
from profiles.record_actions import record_actions_for
from profiles.related import related_context
from profiles.selectors import (
    ProfileFacts,
    customer_for_team_member,
    customer_local_time,
    customer_merged_into,
    profile_facts,
)
from profiles.timeline import (
    filter_groups,
    filter_label,
    filter_value,
    parse_filter,
    rows_link_tickets,
    ticket_ids,
    timeline_page,
)
from tickets.forms import TicketListForm
from tickets.selectors import existing_ticket_ids, tickets_for_customer

# The regions an HTMX request may ask for by its HX-Target, and the partial that renders each. Each
# relationship of the Related tab is a region of its own, "relation-…": they all take one partial.
PARTIALS = {
    "profile-tabs": "profiles/customer_page.html#profile-tabs",
    "tab-panel": "profiles/customer_page.html#tab-panel",
    "timeline-more": "profiles/_activity_panel.html#timeline-page",
    "relation": "profiles/_related.html#relation-page",
}


def partial_for(target: str | None) -> str | None:
    """The partial that renders the region an HTMX request targets, or None for the whole page."""
    if target and target.startswith("relation-"):
        return PARTIALS["relation"]
    return PARTIALS.get(target)


# The Actions menu's items, in order: the template of each (under profiles/actions/) and who may use it.
class ProfilePage:
    """One team member's view of one customer's profile, for one request."""

    def __init__(self, request):
        self.request = request
        self.new = uses_new_profile(request.user)
        self.partial = partial_for(request.htmx.target) if request.htmx else None
        self._facts: dict[int, ProfileFacts] = {}

    def find(self, user_id: int, *, for_write: bool = False):
        """The customer of the request's account, or None (then `moved` answers). A whole page (or an answer
        to a write, which refreshes Key details) reads their ticket counts in the same query."""
        whole = for_write or self.partial is None
        return customer_for_team_member(account=self.request.account, user_id=user_id, with_ticket_counts=whole)

    def customer(self, user_id: int, *, for_write: bool = False):
        """The customer of the request's account, or a 404."""
        return or_404(self.find(user_id, for_write=for_write))

    def moved(self, user_id: int):
        """For a customer `find` did not find: a redirect to the customer they were merged into (a whole page
        load through htmx when htmx asked), else a 404."""
        kept = or_404(customer_merged_into(account=self.request.account, user_id=user_id))
        url = reverse("profiles:customer", args=[kept])
        if self.request.GET.get("tab") in PROFILE_TABS:
            url += f"?tab={self.request.GET['tab']}"
        return HttpResponseClientRedirect(url) if self.request.htmx else redirect(url)

    def facts(self, customer, *, fresh: bool = False, complete: bool = True) -> ProfileFacts:
        """The customer's identities, organizations and counts, read once per request (again if `fresh`);
        not `complete`: enough for Key details (see `profile_facts`)."""
        known = self._facts.get(customer.pk)
        if fresh or known is None or (complete and not known.complete):
            self._facts[customer.pk] = profile_facts(customer=customer, complete=complete)
        return self._facts[customer.pk]

    def tab(self, requested: str | None) -> str:
        return requested if requested in PROFILE_TABS else next(iter(PROFILE_TABS))

    def details_url(self, customer) -> str:
        """Where the member sees this customer's details: the new page's tab, or the legacy page."""
        url = reverse("profiles:customer", args=[customer.pk])
        return f"{url}?tab=details" if self.new else url

    def show(self, customer, tab: str):
        """The page (or the region asked for) on `tab`, its panel built from the request."""
        if not self.new:
            # The legacy page has one swappable region: its tickets panel.
            return self._legacy(customer, tickets_only=self.partial == PARTIALS["tab-panel"])
        if self.partial == PARTIALS["relation"] and tab != "related":
            raise Http404  # only the Related tab has relationships to expand
        _label, build_panel = PROFILE_TABS[tab]
        return self.render(customer, tab=tab, panel=build_panel(self, customer))

    def render(self, customer, *, tab: str, panel: dict, status: int = 200, refreshed: bool = False):
        """The page showing `tab` with its `panel` context: whole, or the region an HTMX request asked for
        (after a write, `refreshed`: plus Key details and the header, swapped out of band)."""
        if not self.new:
            return self._legacy(customer, panel=panel, status=status)
        context = {"customer": customer, "tab": tab, "tabs": TABS, "nav": "customers", **self.header(customer), **panel}
        if self.partial:
            partial = self.partial
            if refreshed:
                context.update(self._key_details(customer))
                partial = "profiles/customer_page.html#tab-panel-refreshed"
            return render(self.request, partial, context, status=status)
        context.update(self._key_details(customer))
        return render(self.request, "profiles/customer_page.html", context, status=status)

    def header(self, customer) -> dict:
        """What the header's actions need: whether New ticket opens in place (the new page has a slot for it
        under the header; the legacy page goes to the form's own page), and the Actions menu's items this
        member may use (profiles/record_actions.py; the menu shows only once it has one)."""
        return {
            "actions_in_place": self.new,
            "record_actions": record_actions_for(member=self.request.user, customer=customer),
        }

    def _key_details(self, customer) -> dict:
        facts = self.facts(customer, complete=False)  # complete already if the details tab read them
        return {
            "primary_email": facts.primary("email"),
            "primary_phone": facts.primary("phone_number"),
            "default_organization": facts.default_organization,
            "local_time": customer_local_time(customer),
            "ticket_counts": facts.ticket_counts,
        }

    def _legacy(self, customer, *, panel=None, status=200, tickets_only=False):
        """The classic page: the editable left column (the same form as the new page's Customer details
        tab, given as `panel` after a write) and the tickets; `tickets_only` renders the tickets panel alone."""
        context = {
            "customer": customer,
            "offer_switch": self.request.account.customer_profile_enabled,
            "nav": "customers",
            **self.header(customer),
            **_tickets_tab(self, customer),
        }
        if tickets_only:
            return render(self.request, "profiles/customer_legacy.html#tab-panel", context)
        context.update(panel or _details_tab(self, customer))
        context.update(self._key_details(customer))
        return render(self.request, "profiles/customer_legacy.html", context, status=status)


# The tabs' panels: each builds its context from the request.


def _activity_tab(page: ProfilePage, customer) -> dict:
    raw_filter = page.request.GET.get("filter", "")
    event_filter = parse_filter(raw_filter)
    # Appending older events needs no filter choices; the other renders read the kinds once for both.
    kinds = None if page.partial == PARTIALS["timeline-more"] else event_kinds_for_customer(customer=customer)
    events, rows = timeline_page(
        customer=customer, event_filter=event_filter, kinds=kinds, after=page.request.GET.get("after")
    )
    rows_link_tickets(rows, existing_ticket_ids(account_id=customer.account_id, ticket_ids=ticket_ids(rows)))
    context = {
        "timeline_page": events,
        "timeline_rows": rows,
        # The value as the drop-down writes it, so a hand-typed one (`?filter=Billing`) is selected there too.
        "timeline_filter": filter_value(event_filter.source, event_filter.type) if event_filter.is_active else "",
        "timeline_filter_label": filter_label(event_filter) if event_filter.is_active else "",
        # Text that names no filter at all (`?filter=:x`): all events are shown, and the page says why.
        "timeline_filter_unknown": bool(raw_filter) and not event_filter.is_active,
    }
    if kinds is not None:
        context["filter_groups"] = filter_groups(kinds, event_filter)
    return context


def _tickets_tab(page: ProfilePage, customer) -> dict:
    form = TicketListForm(page.request.GET)
    params = form.params()
    return {
        "ticket_form": form,
        "ticket_params": params,
        "ticket_page": tickets_for_customer(customer=customer, **params),
    }


def _details_tab(page: ProfilePage, customer) -> dict:
    return details_context(page.request, customer, page.facts(customer))


def _related_tab(page: ProfilePage, customer) -> dict:
    url = f"{page.request.path}?tab=related&"
    expansion = page.partial == PARTIALS["relation"]
    return or_404(related_context(page.request, kind=FieldObject.USER, record=customer, url=url, expansion=expansion))


# The new page's tabs in order, each with the function that builds its panel; the first is the default.
PROFILE_TABS = {
    "activity": (gettext_lazy("Activity"), _activity_tab),
    "tickets": (gettext_lazy("Tickets"), _tickets_tab),
    "details": (gettext_lazy("Customer details"), _details_tab),
    "related": (gettext_lazy("Related"), _related_tab),
}
TABS = [(key, label) for key, (label, _build) in PROFILE_TABS.items()]
