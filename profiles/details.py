"""What the Customer details tab shows (both profile pages use it): the editable form, and each email,
phone number and organization with the actions its "⋯" menu offers."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from profiles.forms import CustomerDetailsForm
from profiles.identities import identity_actions, phone_format
from profiles.models import Identity, PhoneLine
from profiles.selectors import ProfileFacts

SECTIONS = ("contact", "additional", "organizations", "custom")


@dataclass
class IdentityRow:
    """One email or phone number as the Contact information section shows it."""

    identity: Identity
    label: str
    display: str
    actions: list[str]
    shared_with: list


def _identity_rows(facts: ProfileFacts) -> list[IdentityRow]:
    rows = []
    for identity in facts.identities:
        if identity.is_email:
            label = _("Primary email") if identity.primary else _("Other email")
            display = identity.value
        else:
            shared = identity.phone_line == PhoneLine.SHARED
            label = _("Phone (shared line)") if shared else _("Phone (direct line)")
            display = phone_format(identity.value)
        rows.append(
            IdentityRow(identity, label, display, identity_actions(identity), facts.sharers.get(identity.value, []))
        )
    return rows


def details_context(
    request, customer, facts: ProfileFacts, form: CustomerDetailsForm | None = None, organization_query: str = ""
) -> dict:
    """What the Customer details tab shows: the form (fresh, or as the agent left it) and the contact
    and organization rows as they are saved now."""
    form = form or CustomerDetailsForm(customer=customer, role=request.user.role)
    collapsed = {s for s in request.POST.get("collapsed", "").split() if s in SECTIONS}
    return {
        "details_form": form,
        "identity_rows": _identity_rows(facts),
        "memberships": facts.memberships,
        "collapsed": collapsed,
        "collapsed_value": " ".join(sorted(collapsed)),
        "organization_query": organization_query,
    }
