"""The organization page, /agent/organizations/<id>/: its details and organization fields, edited with one
Save that merges with what another agent saved meanwhile; its members, its tickets and its Related section,
the longer lists 25 at a time. One URL: a GET shows it (or the region an HTMX request targets), a POST saves."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import team_member_required
from common.http import or_404
from common.merge import EditConflict
from custom_fields.models import FieldObject
from profiles.forms import OrganizationForm
from profiles.organizations import (
    OrganizationNameTaken,
    organization_for_account,
    organization_member_count,
    organization_members,
    organization_update,
)
from profiles.related import related_context
from tickets.selectors import tickets_for_organization

TEMPLATE = "profiles/organization_page.html"
# The regions an HTMX request may ask for by its HX-Target, and the partial that renders each.
PARTIALS = {
    "members-more": f"{TEMPLATE}#members-page",
    "tickets-more": f"{TEMPLATE}#tickets-page",
    "organization-form": f"{TEMPLATE}#organization-saved",
}


@team_member_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def organization_page(request, organization_id: int):
    organization = or_404(organization_for_account(account=request.account, organization_id=organization_id))
    if request.method == "POST":
        return _save(request, organization)
    target = request.htmx.target if request.htmx else None
    if target == "members-more":
        context = _members(request, organization)
    elif target == "tickets-more":
        context = _tickets(request, organization)
    elif target and target.startswith("relation-"):  # one relationship of the Related section expanded
        context = or_404(_related(request, organization, expansion=True))
        return render(request, "profiles/_related.html#relation-page", context)
    else:
        return _page(request, organization, OrganizationForm(record=organization, role=request.user.role))
    return render(request, PARTIALS[target], {"organization": organization, **context})


def _members(request, organization) -> dict:
    return {"members": organization_members(organization=organization, after=request.GET.get("members_after"))}


def _tickets(request, organization) -> dict:
    return {"tickets": tickets_for_organization(organization=organization, after=request.GET.get("tickets_after"))}


def _related(request, organization, *, expansion: bool = False) -> dict | None:
    url = f"{reverse('profiles:organization', args=[organization.pk])}?"
    return related_context(request, kind=FieldObject.ORGANIZATION, record=organization, url=url, expansion=expansion)


def _page(request, organization, form: OrganizationForm, status: int = 200):
    context = {
        "organization": organization,
        "form": form,
        "member_count": organization_member_count(organization=organization),
        "nav": "customers",
        **_members(request, organization),
        **_tickets(request, organization),
        **_related(request, organization),
    }
    return render(request, TEMPLATE, context, status=status)


def _save(request, organization):
    """The details card's one Save; after a conflict, each field's choice comes with it."""
    form = OrganizationForm(request.POST, account=request.account, role=request.user.role)
    form.resolve()
    status = 400
    if form.is_valid():
        try:
            saved = organization_update(
                organization=organization,
                actor=request.user,
                **form.merge_arguments(),
            )
        except EditConflict as conflict:
            form.show_conflicts(conflict)
            messages.error(
                request, _("Another agent saved this organization while you were editing. Nothing was saved.")
            )
            status = 409
        except OrganizationNameTaken:
            form.add_error("name", _("Another organization is already called this."))
            messages.error(request, _("Some fields need your attention. Nothing was saved."))
        else:
            if saved:
                messages.success(request, _("Organization saved."))
            else:
                messages.info(request, _("Nothing to save: no field was changed."))
            if not request.htmx:
                return redirect("profiles:organization", organization.pk)
            organization = saved.organization
            form = form.after_save(organization)
            status = 200
    else:
        messages.error(request, _("Some fields need your attention. Nothing was saved."))
    if not request.htmx:
        return _page(request, organization, form, status=status)
    # The form again, and after a save the header and Related section, which may show what changed.
    context = {"organization": organization, "form": form, "saved": status == 200}
    if status == 200:
        context.update(_related(request, organization))
    return render(request, PARTIALS["organization-form"], context, status=status)
