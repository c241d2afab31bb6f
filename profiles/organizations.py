"""A customer's organization memberships: reads for the Customer details tab and the writes on them.

A customer with memberships always has exactly one default (the one shown in the header and key
details): the first membership becomes the default, and removing the default hands it to the
membership that sorts first by organization name.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import Account, User
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from profiles.locking import customer_lock
from profiles.models import Organization, OrganizationMembership

SEARCH_LIMIT = 10


class MembershipError(Exception):
    """A change to a customer's organizations that the rules refuse; the message is shown to the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Reads


def memberships_for_customer(*, customer: User, with_user_counts: bool = True) -> list[OrganizationMembership]:
    """The customer's memberships, default first, each with its organization and (unless told otherwise) the
    organization's `user_count`, in one query whatever their number."""
    memberships = OrganizationMembership.objects.filter(user=customer, account_id=customer.account_id)
    if with_user_counts:
        memberships = memberships.annotate(user_count=Count("organization__memberships"))
    return list(
        memberships.select_related("organization").order_by("-default", "organization__name", "organization_id")
    )


def membership_for_customer(*, customer: User, membership_id: int) -> OrganizationMembership | None:
    """One membership of this customer; None for another customer's (or account's)."""
    return (
        OrganizationMembership.objects.filter(pk=membership_id, user=customer, account_id=customer.account_id)
        .select_related("organization")
        .first()
    )


def organization_for_account(*, account: Account, organization_id: int) -> Organization | None:
    """One organization of the account; None for another account's."""
    return Organization.objects.filter(pk=organization_id, account=account).first()


def organizations_search(
    *, account: Account, query: str, exclude_customer: User | None = None, limit: int = SEARCH_LIMIT
) -> list[Organization]:
    """Up to `limit` organizations of the account whose name or a domain contains `query`, by name;
    with `exclude_customer`, the ones that customer already belongs to are left out."""
    query = " ".join(query.split())[:100]
    if not query:
        return []
    organizations = Organization.objects.filter(account=account).filter(
        Q(name__icontains=query) | Q(domains__icontains=query)
    )
    if exclude_customer is not None:
        organizations = organizations.exclude(memberships__user=exclude_customer)
    return list(organizations.order_by("name", "id")[:limit])


# Writes


@transaction.atomic
def membership_add(*, customer: User, actor: User, organization: Organization) -> OrganizationMembership:
    """Add the customer to an organization of their account; their first one becomes the default."""
    customer_lock(customer=customer, actor=actor)
    if organization.account_id != customer.account_id:
        raise RecordGone(f"organization {organization.pk} is not in account {customer.account_id}")
    has_any = OrganizationMembership.objects.filter(user=customer).exists()
    try:
        with transaction.atomic():
            membership = OrganizationMembership.objects.create(
                account_id=customer.account_id, user=customer, organization=organization, default=not has_any
            )
    except IntegrityError:
        raise MembershipError(
            _("%(name)s is already a member of %(organization)s.")
            % {"name": customer.name, "organization": organization.name}
        ) from None
    event_record(
        customer=customer,
        type="organization_added",
        description=f"Added to {organization.name}",
        properties={**_describe(organization), "default": membership.default, "actor_id": actor.pk},
    )
    audit_record(
        account=customer.account,
        actor=actor,
        action="membership.created",
        target=membership,
        after={**_describe(organization), "user_id": customer.pk, "default": membership.default},
    )
    return membership


@transaction.atomic
def membership_remove(
    *, customer: User, actor: User, membership: OrganizationMembership
) -> OrganizationMembership | None:
    """Take the customer out of an organization; returns the membership that became default, if any."""
    customer_lock(customer=customer, actor=actor)
    membership = _locked_membership(customer=customer, membership=membership)
    organization = membership.organization
    was_default = membership.default
    audit_record(
        account=customer.account,
        actor=actor,
        action="membership.removed",
        target=membership,
        before={**_describe(organization), "user_id": customer.pk, "default": was_default},
    )
    membership.delete()
    promoted = None
    if was_default:
        promoted = (
            OrganizationMembership.objects.filter(user=customer)
            .select_related("organization")
            .order_by("organization__name", "organization_id")
            .first()
        )
        if promoted is not None:
            promoted.default = True
            promoted.save(update_fields=["default"])
    event_record(
        customer=customer,
        type="organization_removed",
        description=f"Removed from {organization.name}",
        properties={
            **_describe(organization),
            "was_default": was_default,
            "new_default": _describe(promoted.organization) if promoted else None,
            "actor_id": actor.pk,
        },
    )
    return promoted


@transaction.atomic
def membership_make_default(*, customer: User, actor: User, membership: OrganizationMembership) -> bool:
    """Make this membership the customer's default organization; returns whether it changed."""
    customer_lock(customer=customer, actor=actor)
    membership = _locked_membership(customer=customer, membership=membership)
    if membership.default:
        return False
    previous = OrganizationMembership.objects.filter(user=customer, default=True).select_related("organization").first()
    if previous is not None:
        previous.default = False
        previous.save(update_fields=["default"])
    membership.default = True
    membership.save(update_fields=["default"])
    before = _describe(previous.organization) if previous else None
    after = _describe(membership.organization)
    event_record(
        customer=customer,
        type="organization_default_changed",
        description=f"Default organization set to {membership.organization.name}",
        properties={"previous": before, "current": after, "actor_id": actor.pk},
    )
    audit_record(
        account=customer.account,
        actor=actor,
        action="membership.default_changed",
        target=membership,
        before={"default_organization": before},
        after={"default_organization": after},
    )
    return True


# Helpers


def _locked_membership(*, customer: User, membership: OrganizationMembership) -> OrganizationMembership:
    locked = (
        OrganizationMembership.objects.select_for_update(of=("self",))
        .filter(pk=membership.pk, user=customer, account_id=customer.account_id)
        .select_related("organization")
        .first()
    )
    if locked is None:
        raise RecordGone(f"membership {membership.pk} of user {customer.pk} no longer exists")
    return locked


def _describe(organization: Organization) -> dict:
    return {"organization_id": organization.pk, "organization_name": organization.name}
