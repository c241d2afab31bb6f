"""How audit entries read in the admin center: each action named in the reader's language. An action not
listed here (a new one) shows its code, which the log always shows beside the name anyway."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "account.created": _("Helpdesk created"),
    "account.customer_profile_changed": _("Customer profile page turned on or off"),
    "account.agents_may_assume_identity_changed": _("Agents' right to assume identities changed"),
    "api_token.created": _("API token added"),
    "api_token.revoked": _("API token revoked"),
    "custom_field.created": _("Custom field added"),
    "custom_field.updated": _("Custom field changed"),
    "custom_field.activated": _("Custom field turned on or off"),
    "custom_field.reordered": _("Custom fields reordered"),
    "custom_field.deleted": _("Custom field deleted"),
    "customer.created": _("Customer added"),
    "customer.updated": _("Customer changed"),
    "customer.merged": _("Customers merged"),
    "customer.deleted": _("Customer deleted"),
    "customer.suspended": _("Customer suspended"),
    "customer.unsuspended": _("Customer's suspension lifted"),
    "identity.created": _("Contact added"),
    "identity.changed": _("Contact changed"),
    "identity.removed": _("Contact removed"),
    "identity.verified": _("Email verified"),
    "identity.verification_sent": _("Verification email sent"),
    "member.profile_preference_changed": _("Profile page preference changed"),
    "membership.created": _("Added to an organization"),
    "membership.removed": _("Removed from an organization"),
    "membership.default_changed": _("Default organization changed"),
    "organization.created": _("Organization added"),
    "organization.updated": _("Organization changed"),
    "organization.deleted": _("Organization deleted"),
    "ticket.created": _("Ticket created"),
    "ticket.updated": _("Ticket changed"),
    "ticket.fields_updated": _("Ticket fields changed"),
    "user.preferences_changed": _("Preferences changed"),
    "user.role_changed": _("Role changed"),
    "user.identity_assumed": _("Identity assumed"),
    "user.identity_assumption_ended": _("Assumed identity ended"),
    "user.assumed_identity_request": _("Change made while assuming an identity"),
}


def action_label(action: str) -> str:
    """The action's name in the reader's language, or its code when it has none."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
