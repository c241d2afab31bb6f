"""The Customer details tab's writes: one Save for the whole tab, and the immediate "⋯" actions on
contacts and organizations.

Every action button sits inside the tab's one form and posts all of it (formaction / hx-post), so what
the agent typed elsewhere and has not saved yet comes back with the answer instead of being lost.
Both profile pages use these views: the legacy page edits through the same services (parity, F3).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import team_member_required
from common.http import or_404
from common.merge import EditConflict
from custom_fields.lookups import lookup_resolve
from profiles.details import details_context
from profiles.forms import CustomerDetailsForm
from profiles.identities import (
    IdentityError,
    IdentityTaken,
    identity_for_customer,
    identity_make_direct_line,
    identity_make_primary,
    identity_remove,
    phone_format,
)
from profiles.organizations import (
    MembershipError,
    membership_add,
    membership_for_customer,
    membership_make_default,
    membership_remove,
    organization_for_account,
    organizations_search,
)
from profiles.page import PARTIALS, ProfilePage
from profiles.selectors import customer_reference
from profiles.services import ContactRefused, customer_update
from profiles.verification import identity_send_verification


def _typed(request, customer) -> CustomerDetailsForm:
    """The form as the agent left it, shown again without judging it: it was not submitted for saving."""
    form = CustomerDetailsForm(
        request.POST, customer=customer, role=request.user.role, add_contact=request.POST.get("add_contact", "")
    )
    form.show_as_typed()
    return form


def _answer(page: ProfilePage, customer, *, form=None, status=200, saved=False, organization_query="", candidates=()):
    """Show the tab again. Without HTMX: a redirect, unless the agent has typed something not yet saved
    (then the whole page, with it). With HTMX: the tab's panel (with `form`, as typed or fresh after a save),
    and after any write also Key details and the header, which may show what changed."""
    request = page.request
    if form is None and not saved:
        typed = _typed(request, customer)
        form = typed if typed.has_unsaved_input() else None
    if (form is None or saved) and not request.htmx:
        return redirect(page.details_url(customer))
    panel = details_context(request, customer, page.facts(customer), form, organization_query=organization_query)
    panel["organization_candidates"] = candidates
    wrote = status < 400 and not request.POST.get("add_contact")  # every other success followed a write
    page.partial = PARTIALS["tab-panel"] if request.htmx else None
    return page.render(customer, tab="details", panel=panel, status=status, refreshed=wrote)


@team_member_required
@require_POST
def details_save(request, user_id: int):
    """The tab's one Save; also "+ Add contact" (a new empty row) and, after a conflict, each field's choice."""
    page = ProfilePage(request)
    if request.POST.get("add_contact"):
        customer = page.customer(user_id, for_write=True)
        return _answer(page, customer, form=_typed(request, customer))
    # The save reads the customer itself, locked: the form needs only what it posted (each field's loaded
    # value comes back with it), and the page then shows the customer as the save left them.
    form = CustomerDetailsForm(request.POST, account=request.account, role=request.user.role)
    form.resolve()  # after a conflict: the fields where the agent chose the other value
    if not form.is_valid():
        messages.error(request, _("Some fields need your attention. Nothing was saved."))
        return _answer(page, page.customer(user_id, for_write=True), form=form, status=400)
    try:
        saved = customer_update(
            customer=customer_reference(account=request.account, user_id=user_id),
            actor=request.user,
            **form.merge_arguments(),
            new_contacts=form.contacts_to_add(),
            with_ticket_counts=True,
        )
    except EditConflict as conflict:
        form.show_conflicts(conflict)
        messages.error(request, _("Another agent saved this profile while you were editing. Nothing was saved."))
        return _answer(page, page.customer(user_id, for_write=True), form=form, status=409)
    except ContactRefused as refused:
        _show_refused_contact(request, form, refused)
        return _answer(page, page.customer(user_id, for_write=True), form=form, status=400)
    if saved:
        messages.success(request, _("Profile saved."))
    else:
        messages.info(request, _("Nothing to save: no field was changed."))
    return _answer(page, saved.customer, form=form.after_save(saved.customer), saved=True)


def _show_refused_contact(request, form: CustomerDetailsForm, refused: ContactRefused) -> None:
    rows = [r for r in form.new_contacts if r["value"].strip()]
    row = rows[refused.index]
    row["error"] = refused.error.message
    if isinstance(refused.error, IdentityTaken) and refused.error.owner.is_end_user:
        row["owner"] = refused.error.owner
    messages.error(request, _("A new contact detail could not be added. Nothing was saved."))


# The "⋯" actions: each takes effect at once, through its service.

IDENTITY_ACTIONS = {
    "make_primary": lambda request, customer, identity: identity_make_primary(
        customer=customer, actor=request.user, identity=identity
    ),
    "make_direct_line": lambda request, customer, identity: identity_make_direct_line(
        customer=customer, actor=request.user, identity=identity
    ),
    "remove": lambda request, customer, identity: identity_remove(
        customer=customer, actor=request.user, identity=identity
    ),
    "send_verification": lambda request, customer, identity: identity_send_verification(
        identity=identity, actor=request.user, base_url=request.build_absolute_uri("/")
    ),
}
IDENTITY_DONE = {
    "make_primary": lambda value: _("%(value)s is now the primary email.") % {"value": value},
    "make_direct_line": lambda value: _("%(value)s is now a direct line.") % {"value": value},
    "remove": lambda value: _("%(value)s was removed.") % {"value": value},
    "send_verification": lambda value: _("A verification email was sent to %(value)s.") % {"value": value},
}


@team_member_required
@require_POST
def identity_action(request, user_id: int, identity_id: int, action: str):
    """Resend verification, make primary, make direct line or remove one email or phone number."""
    if action not in IDENTITY_ACTIONS:
        raise Http404
    page = ProfilePage(request)
    customer = page.customer(user_id, for_write=True)
    identity = or_404(identity_for_customer(customer=customer, identity_id=identity_id))
    shown = phone_format(identity.value) if identity.is_phone else identity.value
    try:
        IDENTITY_ACTIONS[action](request, customer, identity)
    except IdentityError as error:
        messages.error(request, error.message)
        return _answer(page, customer, form=_typed(request, customer), status=400)
    messages.success(request, IDENTITY_DONE[action](shown))
    return _answer(page, customer)


@team_member_required
@require_POST
def membership_action(request, user_id: int, membership_id: int, action: str):
    """Make an organization the customer's default, or remove the customer from it."""
    page = ProfilePage(request)
    customer = page.customer(user_id, for_write=True)
    membership = or_404(membership_for_customer(customer=customer, membership_id=membership_id))
    name = membership.organization.name
    if action == "make-default":
        membership_make_default(customer=customer, actor=request.user, membership=membership)
        messages.success(request, _("%(name)s is now the default organization.") % {"name": name})
    elif action == "remove":
        membership_remove(customer=customer, actor=request.user, membership=membership)
        messages.success(request, _("Removed from %(name)s.") % {"name": name})
    else:
        raise Http404
    return _answer(page, customer)


@team_member_required
@require_POST
def membership_add_view(request, user_id: int):
    """+ Add organization: the one organization the text names (a picked suggestion, an #id, the exact
    name, or a search only one organization matches); several matches are offered as choices."""
    page = ProfilePage(request)
    customer = page.customer(user_id, for_write=True)
    text = (request.POST.get("pick_organization") or request.POST.get("organization", ""))[:200]
    candidates = []
    try:
        organization = _organization_named(request.account, customer, text)
        if isinstance(organization, list):
            candidates = organization
            raise ValidationError(_("Several organizations match: pick one."))
        membership_add(customer=customer, actor=request.user, organization=organization)
    except (ValidationError, MembershipError) as error:
        message = error.message if isinstance(error, MembershipError) else " ".join(error.messages)
        messages.error(request, message)
        return _answer(
            page,
            customer,
            form=_typed(request, customer),
            status=400,
            organization_query=text,
            candidates=candidates,
        )
    messages.success(request, _("Added to %(name)s.") % {"name": organization.name})
    return _answer(page, customer)


def _organization_named(account, customer, text: str):
    """The organization `text` names, or the list of candidates when a search matches several."""
    try:
        organization_id = lookup_resolve(account=account, target="organization", text=text)
    except ValidationError:
        matches = organizations_search(account=account, query=text, exclude_customer=customer)
        if len(matches) == 1:
            return matches[0]
        if matches:
            return matches
        raise ValidationError(_("No organization matches “%(text)s”.") % {"text": text}) from None
    if organization_id is None:
        raise ValidationError(_("Type the organization's name and pick it from the suggestions."))
    return or_404(organization_for_account(account=account, organization_id=organization_id))
