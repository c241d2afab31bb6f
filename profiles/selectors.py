"""Reads on customers and their profiles, always scoped to the request's account."""

import datetime
import re
import zoneinfo

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, Role, User
from common.keyset import KeysetPage, paginate
from profiles.models import Identity, IdentityType, OrganizationMembership


def _default_membership_prefetch() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=OrganizationMembership.objects.filter(default=True).select_related("organization"),
        to_attr="default_memberships",
    )


def customers_search(
    *, account: Account, query: str = "", after: str | None = None, before: str | None = None, size: int = 25
) -> KeysetPage:
    """Customers matching `query` by name, any email, any phone, organization or tag, by name then id."""
    customers = User.objects.filter(account=account, role=Role.END_USER, merged_into__isnull=True)
    query = " ".join(query.split())[:200]
    if query:
        customers = customers.filter(_matches(account, query))
    customers = customers.prefetch_related(_default_membership_prefetch())
    return paginate(customers, keys=[("name", False), ("id", False)], after=after, before=before, size=size)


def _matches(account: Account, query: str) -> Q:
    lowered = query.lower()
    identities = Identity.objects.filter(account=account, value__contains=lowered)
    digits = re.sub(r"\D", "", query).lstrip("0")
    if len(digits) >= 4:
        identities = Identity.objects.filter(account=account).filter(
            Q(value__contains=lowered) | Q(type=IdentityType.PHONE, value__contains=digits)
        )
    in_orgs = OrganizationMembership.objects.filter(account=account, organization__name__icontains=query)
    tag = lowered.replace(" ", "_")
    return (
        Q(name__icontains=query)
        | Q(email__contains=lowered)
        | Q(pk__in=identities.values("user_id"))
        | Q(pk__in=in_orgs.values("user_id"))
        | Q(tags=tag)
        | Q(tags__startswith=f"{tag} ")
        | Q(tags__endswith=f" {tag}")
        | Q(tags__contains=f" {tag} ")
    )


def customer_for_team_member(*, account: Account, user_id: int, with_details: bool = True) -> User:
    """One customer of the account (with identities and organizations loaded unless a partial needs none
    of them); a team member, another account's user or an unknown id is a 404."""
    customers = User.objects.filter(account=account, pk=user_id, role=Role.END_USER)
    if with_details:
        customers = customers.prefetch_related(
            "identities",
            Prefetch("memberships", queryset=OrganizationMembership.objects.select_related("organization")),
        )
    customer = customers.first()
    if customer is None:
        raise Http404
    customer.account = account  # the same row: reading it again would cost a query on every page
    return customer


def primary_identity(customer: User, type: str) -> Identity | None:
    """The customer's primary identity of a type, else their first one, from the prefetched list."""
    identities = [i for i in customer.identities.all() if i.type == type]
    return next((i for i in identities if i.primary), identities[0] if identities else None)


def default_organization(customer: User):
    memberships = list(customer.memberships.all())
    default = next((m for m in memberships if m.default), memberships[0] if memberships else None)
    return default.organization if default else None


def customer_local_time(customer: User) -> datetime.datetime | None:
    """The time it is now where the customer is, or None when their time zone is unknown."""
    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(customer.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def customer_lock(*, customer: User, actor: User) -> None:
    """Lock the customer's row until the transaction ends, so writes on one customer's identities or
    organizations queue up instead of both deciding who is primary; another account's is a 404."""
    if actor.account_id != customer.account_id:
        raise Http404
    if not User.objects.select_for_update().filter(pk=customer.pk, account_id=customer.account_id).exists():
        raise Http404
