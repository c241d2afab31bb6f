"""Organizations: a customer's memberships (reads for the Customer details tab and the writes on them),
and the organization page's reads and its one write, `organization_update`.

A customer with memberships always has exactly one default (the one shown in the header and key
details): the first membership becomes the default, and removing the default hands it to the
membership that sorts first by organization name.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import Account, User
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from common.keyset import KeysetPage, paginate
from common.tags import normalize_tags
from common.text import text_is_storable
from custom_fields.merge import custom_values_write, record_merge
from custom_fields.models import CustomField, FieldObject, FieldType
from custom_fields.relations import lookup_links_update
from custom_fields.values import FORM_PREFIX
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
    """One organization of the account, with the account attached; None for another account's."""
    organization = Organization.objects.filter(pk=organization_id, account=account).first()
    if organization is not None:
        organization.account = account  # the same row: reading it again would cost a query
    return organization


def organization_members(*, organization: Organization, after: str | None = None, size: int = 25) -> KeysetPage:
    """A page of the organization's memberships with their people, by name, by keyset."""
    memberships = OrganizationMembership.objects.filter(organization=organization).select_related("user")
    return paginate(memberships, keys=[("user__name", False), ("user_id", False)], after=after, size=size)


def organization_member_count(*, organization: Organization) -> int:
    return OrganizationMembership.objects.filter(organization=organization).count()


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


# An organization's own fields an agent edits on its page.
ORGANIZATION_FIELDS = ("name", "domains", "details", "notes", "tags")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")


class OrganizationInvalid(Exception):
    """An organization the rules refuse; `errors` maps each field to its message. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class OrganizationNameTaken(OrganizationInvalid):
    """Another organization of the account already has this name (whatever the case); nothing was written."""

    def __init__(self, name: str):
        super().__init__({"name": _("An organization called %(name)s already exists.") % {"name": name}})


def organization_domains_clean(text: str) -> str:
    """Domains as stored: lower-case, space-separated, each once. Raises ValidationError naming the first
    that isn't a domain name."""
    domains = []
    for raw in re.split(r"[,;\s]+", text or ""):
        if not raw:
            continue
        try:
            domain = raw.strip().lower().removeprefix("@").encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
        if not _DOMAIN.fullmatch(domain):
            raise ValidationError(
                _("“%(domain)s” is not a domain name such as example.com.") % {"domain": raw[:100]}, code="invalid"
            )
        if domain not in domains:
            domains.append(domain)
    return " ".join(domains)


def _comparable(name: str, value) -> str:
    text = "" if value is None else str(value)
    if name == "tags":
        return normalize_tags(text)
    if name == "domains":
        return " ".join(dict.fromkeys(text.lower().split()))
    return text.strip()


@dataclass
class OrganizationSave:
    """What a save changed (custom fields by form name), and the organization as saved now."""

    organization: Organization
    fields: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields)


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: User,
    changes: dict,
    originals: dict | None = None,
    custom_changes: dict | None = None,
    custom_originals: dict | None = None,
    definitions: list[CustomField] | None = None,
) -> OrganizationSave:
    """Save what this agent changed on an organization since the form was loaded (`originals`; none given,
    as from the API: no conflict check), merged with whatever another agent saved meanwhile: a field both
    changed differently raises EditConflict, a bad value OrganizationInvalid, a name another organization
    has OrganizationNameTaken, and then nothing is written. `custom_changes` are cleaned already. Records an
    audit entry (an organization has no timeline of its own)."""
    changes = _organization_clean({k: v for k, v in changes.items() if k in ORGANIZATION_FIELDS})
    originals = originals or {}
    locked = Organization.objects.select_for_update().filter(pk=organization.pk, account_id=actor.account_id).first()
    if locked is None:
        raise RecordGone(f"organization {organization.pk} is not in account {actor.account_id}")
    account = organization.account if Organization._meta.get_field("account").is_cached(organization) else actor.account
    locked.account = account
    merged = record_merge(
        record=locked,
        account=account,
        object_type=FieldObject.ORGANIZATION,
        fields=ORGANIZATION_FIELDS,
        normalize=_comparable,
        changes=changes,
        originals=originals,
        custom_changes=custom_changes,
        custom_originals=custom_originals,
        definitions=definitions,
    )
    current, touched, stored, custom = merged.current, merged.touched, merged.stored, merged.custom
    if not touched and not custom.touched:
        return OrganizationSave(locked)
    if "name" in touched and _name_taken(locked.account_id, touched["name"], exclude=locked.pk):
        raise OrganizationNameTaken(touched["name"])
    for name, value in touched.items():
        setattr(locked, name, value)
    if custom.touched:
        locked.custom_fields, _changes = custom_values_write(
            account=account, source_id=locked.pk, stored=stored, touched=custom.touched, definitions=custom.definitions
        )
    try:
        with transaction.atomic():
            locked.save(update_fields=[*touched, *(["custom_fields"] if custom.touched else []), "updated_at"])
    except IntegrityError:  # another agent took the name in the meantime
        raise OrganizationNameTaken(touched.get("name", "")) from None
    audit_record(
        account=account,
        actor=actor,
        action="organization.updated",
        target=locked,
        before={**{f: current[f] for f in touched}, **{FORM_PREFIX + k: stored.get(k) for k in custom.touched}},
        after={**touched, **{FORM_PREFIX + k: v for k, v in custom.touched.items()}},
    )
    return OrganizationSave(locked, [*touched, *(FORM_PREFIX + k for k in custom.touched)])


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


# Organizations themselves


def _organization_clean(values: dict) -> dict:
    cleaned, errors = {}, {}
    for name, value in values.items():
        text = value or ""
        if name == "name":
            text = " ".join(text.split())
            if not text:
                errors["name"] = _("Give the organization a name.")
            elif len(text) > 255:
                errors["name"] = _("Keep this under %(max)s characters.") % {"max": 255}
        elif name == "domains":
            try:
                text = organization_domains_clean(text)
            except ValidationError as error:
                errors[name] = error.messages[0]
        elif name == "tags":
            text = normalize_tags(text)
        if not text_is_storable(text):
            errors[name] = _("Remove the invisible control characters from this text.")
        cleaned[name] = text
    if errors:
        raise OrganizationInvalid(errors)
    return cleaned


def _name_taken(account_id: int, name: str, exclude: int | None = None) -> bool:
    others = Organization.objects.filter(account_id=account_id, name__iexact=name)
    return others.exclude(pk=exclude).exists() if exclude else others.exists()


def _name_taken_error(name: str) -> OrganizationInvalid:
    return OrganizationNameTaken(name)


@transaction.atomic
def organization_create(
    *,
    account: Account,
    actor: User,
    name: str,
    domains: str = "",
    details: str = "",
    notes: str = "",
    tags: str = "",
    custom_fields: dict | None = None,
) -> Organization:
    """Add an organization (its name unique in the account, whatever the case); `custom_fields` cleaned
    already (custom_field_values_clean). Raises OrganizationInvalid."""
    values = _organization_clean({"name": name, "domains": domains, "details": details, "notes": notes, "tags": tags})
    if _name_taken(account.pk, values["name"]):
        raise _name_taken_error(values["name"])
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                account=account,
                custom_fields={k: v for k, v in (custom_fields or {}).items() if v is not None},
                **values,
            )
    except IntegrityError:  # created by someone else since we looked
        raise _name_taken_error(values["name"]) from None
    if organization.custom_fields:  # the Related tab reads lookup values through their links
        fields = CustomField.objects.filter(
            account=account, object_type=FieldObject.ORGANIZATION, key__in=list(organization.custom_fields)
        )
        lookup_links_update(source_id=organization.pk, fields=fields, values=organization.custom_fields)
    audit_record(
        account=account,
        actor=actor,
        action="organization.created",
        target=organization,
        after={**values, "custom_fields": organization.custom_fields},
    )
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization, actor: User) -> None:
    """Delete an organization: each member leaves it as `membership_remove` takes them out (their timeline
    says so, and another of their organizations becomes their default); its tickets keep no organization."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk, account_id=organization.account_id)
    memberships = OrganizationMembership.objects.filter(organization=locked).select_related("user").order_by("user_id")
    for membership in memberships:
        membership_remove(customer=membership.user, actor=actor, membership=membership)
    audit_record(
        account=locked.account,
        actor=actor,
        action="organization.deleted",
        target=locked,
        before={k: getattr(locked, k) for k in ORGANIZATION_FIELDS},
    )
    lookups = CustomField.objects.filter(
        account_id=locked.account_id, object_type=FieldObject.ORGANIZATION, type=FieldType.LOOKUP
    )
    lookup_links_update(source_id=locked.pk, fields=lookups, values={})  # it points at nobody any more
    locked.delete()
