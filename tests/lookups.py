"""Lookup fields for the Related tests, and one way to point a record at another: through the service an
agent's Save uses, so the relationship tables are kept in step exactly as in real use."""

from accounts.models import User
from custom_fields.models import CustomField
from demo.factories import CustomFieldFactory
from profiles.models import Organization
from profiles.organizations import organization_update
from profiles.selectors import customer_reference
from profiles.services import customer_update
from tickets.models import Ticket
from tickets.services import ticket_fields_update

LOOKUPS = [
    ("organization", "primary_contact", "Primary contact", "user"),
    ("ticket", "reported_by", "Reported by", "user"),
    ("user", "account_manager", "Account manager", "user"),
    ("organization", "parent", "Parent organization", "organization"),
    ("user", "employer", "Employer", "organization"),
]


def lookup_fields(account) -> dict[str, CustomField]:
    """The article's kinds of lookup: organizations', tickets' and users' fields pointing at people, and
    fields pointing at organizations; by key."""
    return {
        key: CustomFieldFactory(
            account=account, object_type=kind, key=key, title=title, type="lookup", lookup_target=target, position=i
        )
        for i, (kind, key, title, target) in enumerate(LOOKUPS)
    }


def point(actor: User, record, key: str, target) -> None:
    """Set `record`'s lookup field `key` to `target` (None clears it), as an agent saving it would."""
    value = {key: None if target is None else target.pk}
    if isinstance(record, Ticket):
        ticket_fields_update(ticket=record, actor=actor, custom_changes=value, custom_originals={})
    elif isinstance(record, Organization):
        organization_update(organization=record, actor=actor, changes={}, originals={}, custom_changes=value)
    else:
        customer = customer_reference(account=record.account, user_id=record.pk)
        customer_update(customer=customer, actor=actor, changes={}, originals={}, custom_changes=value)
