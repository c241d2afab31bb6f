"""The profile header's actions: New ticket on the customer's behalf, and Merge with another customer.

Both pages work on their own, without JavaScript; New ticket also opens in place under the new page's
header (HTMX asks for the form alone, by its HX-Target). The legacy page links to the same pages (F3).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import team_member_required
from profiles.forms import CustomerSearchForm
from profiles.identities import phone_format
from profiles.merge import MergePreview, MergeRefused, MergeStale, customer_merge, merge_preview
from profiles.page import ProfilePage
from profiles.selectors import customer_reference, customers_search
from tickets.forms import NewTicketForm
from tickets.services import ticket_create

ACTION_SLOT = "profile-action"  # the new page's region under the header where an action opens in place
MERGE_RESULTS = 10


@team_member_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def new_ticket(request, user_id: int):
    """A ticket on the customer's behalf: they are the requester, the member the submitter. It lands on
    the new ticket's page; a form with errors comes back as typed."""
    page = ProfilePage(request)
    customer = page.find(user_id)
    if customer is None:
        return page.moved(user_id)
    adding_cc = "add_cc" in request.POST
    form = NewTicketForm(
        request.POST or None, account=request.account, role=request.user.role, requester=customer, add_cc=adding_cc
    )
    status = 200
    if request.method == "POST" and not adding_cc:
        if form.is_valid():
            facts = page.facts(customer)
            ticket = ticket_create(
                requester=customer,
                submitter=request.user,
                organization=facts.default_organization,
                **form.ticket_fields(),
            )
            messages.success(
                request, _("Ticket #%(id)s was created for %(name)s.") % {"id": ticket.pk, "name": customer.name}
            )
            url = reverse("tickets:ticket", args=[ticket.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        status = 400
    in_place = bool(request.htmx and request.htmx.target == ACTION_SLOT)
    context = {"customer": customer, "form": form, "in_place": in_place, "nav": "customers"}
    template = "profiles/new_ticket.html#ticket-form" if in_place else "profiles/new_ticket.html"
    return render(request, template, context, status=status)


@team_member_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def merge(request, user_id: int):
    """Merge this customer into another: find the other (by name, email, phone…), see the preview of what
    moves and choose which values stay, confirm. A confirmation based on a preview that is out of date
    shows the new preview instead of merging."""
    page = ProfilePage(request)
    source = page.find(user_id)
    if source is None:
        return page.moved(user_id)
    into = _customer_id(request.POST.get("into") if request.method == "POST" else request.GET.get("into"))
    if request.method == "POST" and into is not None:
        return _confirm(request, source, into)
    if into is not None:
        try:
            preview = merge_preview(
                source=source, target=customer_reference(account=request.account, user_id=into), actor=request.user
            )
        except MergeRefused as refused:
            messages.error(request, refused.message)
            return _search(request, source, status=400)
        return _preview_page(request, preview)
    return _search(request, source, status=400 if request.method == "POST" else 200)


def _customer_id(raw) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


def _search(request, source, *, status: int = 200):
    form = CustomerSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = None
    if query:
        results = customers_search(
            account=request.account,
            query=query,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=MERGE_RESULTS,
        )
        results.items = [person for person in results.items if person.pk != source.pk]
    context = {"customer": source, "step": "search", "form": form, "query": query, "results": results}
    context["nav"] = "customers"
    if request.htmx:
        return render(request, "profiles/merge.html#merge-results", context, status=status)
    return render(request, "profiles/merge.html", context, status=status)


def _preview_page(request, preview: MergePreview, *, status: int = 200, chosen: dict | None = None):
    chosen = chosen or {}
    choices = [(f, chosen.get(f.name, f.keep)) for f in preview.choices]
    context = {
        "customer": preview.source,
        "step": "preview",
        "preview": preview,
        "choices": choices,
        "identity_moves": [
            (move, phone_format(move.identity.value) if move.identity.is_phone else move.identity.value)
            for move in preview.identities
        ],
        # The merged-away customer's other values: those that fill a gap, and those a member may not choose
        # (read-only for them), which the kept customer's value replaces.
        "others": [
            f for f in preview.fields if not f.choosable and f.source_display and f.source_value != f.target_value
        ],
        "nav": "customers",
    }
    return render(request, "profiles/merge.html", context, status=status)


def _confirm(request, source, into: int):
    chosen = {key: value for key, value in request.POST.items() if value in ("source", "target")}
    target = customer_reference(account=request.account, user_id=into)
    try:
        result = customer_merge(
            source=source,
            target=target,
            actor=request.user,
            choices=chosen,
            # A confirmation always names the preview it confirms: none at all is as stale as an old one.
            preview_token=request.POST.get("token") or "-",
        )
    except MergeStale as stale:
        messages.error(
            request,
            _(
                "%(source)s or %(target)s changed since you opened this preview. Nothing was merged: check the "
                "preview below, then merge again."
            )
            % {"source": stale.preview.source.name, "target": stale.preview.target.name},
        )
        return _preview_page(request, stale.preview, status=409, chosen=chosen)
    except MergeRefused as refused:
        messages.error(request, refused.message)
        return _search(request, source, status=400)
    messages.success(request, _("%(source)s was merged into this customer.") % {"source": source.name})
    return redirect("profiles:customer", result.target.pk)
