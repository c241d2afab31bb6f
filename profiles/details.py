"""What the Customer details tab shows (both profile pages use it): the editable form, and each email,
phone number and organization with the actions its "⋯" menu offers."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from profiles.forms import CustomerDetailsForm
from profiles.identities import identity_actions, phone_format, phone_sharers
from profiles.models import Identity, IdentityType, PhoneLine
from profiles.organizations import memberships_for_customer

SECTIONS = ("contact", "additional", "organizations", "custom")


@dataclass
class IdentityRow:
    """One email or phone number as the Contact information section shows it."""

    identity: Identity
    label: str
    display: str
    actions: list[str]
    shared_with: list


def _identity_rows(customer) -> list[IdentityRow]:
    identities = sorted(customer.identities.all(), key=lambda i: (i.type != IdentityType.EMAIL, not i.primary, i.pk))
    sharers = phone_sharers(customer=customer) if any(i.is_phone for i in identities) else {}
    rows = []
    for identity in identities:
        if identity.is_email:
            label = _("Primary email") if identity.primary else _("Other email")
            display = identity.value
        else:
            shared = identity.phone_line == PhoneLine.SHARED
            label = _("Phone (shared line)") if shared else _("Phone (direct line)")
            display = phone_format(identity.value)
        rows.append(IdentityRow(identity, label, display, identity_actions(identity), sharers.get(identity.value, [])))
    return rows


def details_context(request, customer, form: CustomerDetailsForm | None = None, organization_query: str = "") -> dict:
    """What the Customer details tab shows: the form (fresh, or as the agent left it) and the contact
    and organization rows as they are saved now."""
    form = form or CustomerDetailsForm(customer=customer, role=request.user.role)
    collapsed = {s for s in request.POST.get("collapsed", "").split() if s in SECTIONS}
    return {
        "details_form": form,
        "identity_rows": _identity_rows(customer),
        "memberships": memberships_for_customer(customer=customer),
        "collapsed": collapsed,
        "collapsed_value": " ".join(sorted(collapsed)),
        "organization_query": organization_query,
    }
