"""Creating and changing users from the API: what a client sent is checked whole first (every field at
fault named at once, nothing written), then applied through the services the agent's pages use, in one
transaction. Shared by the single-record endpoints and the bulk jobs."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Account, Locale, Role, User
from accounts.services import user_set_role
from api.http import field_error
from api.routing import forbidden, invalid
from api.shapes import UNSET, UserWrite
from common.tags import normalize_tags
from common.text import text_is_storable
from custom_fields.values import custom_field_values_clean
from profiles.identities import (
    IdentityError,
    IdentityTaken,
    email_normalize,
    identity_add,
    identity_verify,
    phone_normalize,
)
from profiles.models import Identity, IdentityType, Organization, OrganizationMembership
from profiles.organizations import MembershipError, membership_add, membership_make_default
from profiles.services import (
    ExternalIdTaken,
    customer_create,
    customer_set_external_id,
    customer_set_suspended,
    customer_update,
)

TEXT_FIELDS = ("name", "locale", "time_zone", "details", "notes", "tags")


class Plan(dict):
    """What a valid UserWrite changes, by field, with values as stored."""


def _error(errors: dict, field: str, code: str, message: str) -> None:
    errors.setdefault(f"user.{field}", []).append({"error": code, "description": str(message)})


def _locale(raw: str) -> str | None:
    language = raw.strip().lower().replace("_", "-").split("-")[0]
    return language if language in Locale.values else None


def email_owner(account: Account, email: str, exclude: User | None = None) -> User | None:
    """Who of the account has this email (primary or not), if anyone but `exclude`."""
    owners = User.objects.filter(account=account).filter(
        Q(email=email)
        | Q(pk__in=Identity.objects.filter(account=account, type=IdentityType.EMAIL, value=email).values("user_id"))
    )
    if exclude is not None:
        owners = owners.exclude(pk=exclude.pk)
    return owners.first()


def user_plan(*, account: Account, actor: User, write: UserWrite, user: User | None = None) -> Plan:
    """The changes `write` asks for, checked; raises a 422 naming every field at fault (or a 403 for a role
    change by a non-admin). `user` is None when creating."""
    errors: dict = {}
    plan = Plan()
    if write.name is not UNSET:
        name = " ".join(write.name.split())
        if not name:
            _error(errors, "name", "Blank", _("This field can't be blank."))
        plan["name"] = name
    elif user is None:
        _error(errors, "name", "Required", _("This field is required."))
    if write.locale is not UNSET:
        plan["locale"] = _locale(write.locale)
        if plan["locale"] is None:
            _error(
                errors, "locale", "InvalidValue", _("Must be one of %(values)s.") % {"values": ", ".join(Locale.values)}
            )
    if write.time_zone is not UNSET:
        zone = write.time_zone.strip()
        if zone not in zoneinfo.available_timezones():
            _error(errors, "time_zone", "InvalidValue", _("Must be an IANA time zone, like Europe/Paris."))
        plan["time_zone"] = zone
    for field in ("details", "notes"):
        value = getattr(write, field)
        if value is not UNSET:
            plan[field] = value or ""
    if write.tags is not UNSET:
        plan["tags"] = normalize_tags(write.tags or "")
    if write.external_id is not UNSET:
        plan["external_id"] = (write.external_id or "").strip()
        taken = User.objects.filter(account=account, external_id=plan["external_id"]).exclude(
            pk=user.pk if user else None
        )
        if plan["external_id"] and taken.exists():
            _error(errors, "external_id", "DuplicateValue", _("Another user already has this external id."))
    for field, value in plan.items():
        if isinstance(value, str) and not text_is_storable(value):
            _error(errors, field, "InvalidValue", _("Contains characters that can't be stored."))
    if write.email not in (UNSET, None):
        try:
            plan["email"] = email_normalize(write.email)
        except IdentityError as error:
            _error(errors, "email", "InvalidValue", error.message)
        else:
            owner = email_owner(account, plan["email"], exclude=user)
            if owner is not None:
                _error(
                    errors,
                    "email",
                    "DuplicateValue",
                    _("%(email)s is already being used by another user.") % {"email": plan["email"]},
                )
    if write.phone not in (UNSET, None):
        try:
            plan["phone"] = phone_normalize(write.phone)
        except IdentityError as error:
            _error(errors, "phone", "InvalidValue", error.message)
    if write.organization_id not in (UNSET, None):
        plan["organization"] = Organization.objects.filter(account=account, pk=write.organization_id).first()
        if plan["organization"] is None:
            _error(errors, "organization_id", "NotFound", _("No organization with this id here."))
    if write.user_fields not in (UNSET, None):
        try:
            plan["user_fields"] = custom_field_values_clean(
                account=account, object_type="user", submitted=write.user_fields, role=actor.role
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    _error(errors, f"user_fields.{key}", "InvalidValue", message)
    for flag in ("suspended", "verified"):
        if getattr(write, flag) is not UNSET:
            plan[flag] = getattr(write, flag)
    if write.role is not UNSET:
        if write.role not in Role.values:
            _error(errors, "role", "InvalidValue", _("Must be one of end-user, agent or admin."))
        elif write.role != (user.role if user else Role.END_USER):
            if not actor.is_admin:
                raise forbidden(_("Only an admin's token may change a role."))
            if user is not None and user.pk == actor.pk:
                raise forbidden(_("Nobody changes their own role."))
            plan["role"] = write.role
    if errors:
        raise invalid(errors)
    return plan


def user_create(*, account: Account, actor: User, plan: Plan) -> User:
    """A new customer from a checked plan, then the rest of the plan applied, all in one transaction."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = customer_create(
                    account=account,
                    actor=actor,
                    name=plan["name"],
                    email=plan.get("email", ""),
                    external_id=plan.get("external_id", ""),
                )
        except IntegrityError:  # the email or external id was taken since the plan was checked
            raise invalid(
                field_error("user.email", "DuplicateValue", _("This email or external id is already being used."))
            ) from None
        user.account = account
        rest = Plan({k: v for k, v in plan.items() if k not in ("name", "email", "external_id")})
        user_apply(user=user, actor=actor, plan=rest, created=True)
    return user


def user_apply(*, user: User, actor: User, plan: Plan, created: bool = False) -> None:
    """Apply a checked plan to `user` through the agent's services, in one transaction: any refusal on the
    way (a contact someone else took meanwhile…) undoes all of it and answers 422 naming the field."""
    if user.is_team_member and set(plan) - {"role"}:
        raise forbidden(_("Team members are managed in the admin center; a token changes only their role."))
    with transaction.atomic():
        changes = {k: plan[k] for k in TEXT_FIELDS if k in plan}
        if changes or plan.get("user_fields"):
            customer_update(
                customer=user, actor=actor, changes=changes, originals={}, custom_changes=plan.get("user_fields")
            )
        for field, type in (("email", IdentityType.EMAIL), ("phone", IdentityType.PHONE)):
            value = plan.get(field)
            if value and not Identity.objects.filter(user=user, type=type, value=value).exists():
                try:
                    identity_add(customer=user, actor=actor, type=type, value=value)
                except IdentityTaken as error:
                    raise invalid(field_error(f"user.{field}", "DuplicateValue", error.message)) from None
                except IdentityError as error:
                    raise invalid(field_error(f"user.{field}", "InvalidValue", error.message)) from None
        if "external_id" in plan:
            try:
                customer_set_external_id(customer=user, actor=actor, external_id=plan["external_id"])
            except ExternalIdTaken:
                raise invalid(
                    field_error("user.external_id", "DuplicateValue", _("Another user already has this external id."))
                ) from None
        if plan.get("organization") is not None:
            _join_as_default(user, actor, plan["organization"])
        if "suspended" in plan:
            customer_set_suspended(customer=user, actor=actor, suspended=plan["suspended"])
        if created and plan.get("verified") and user.email:
            primary = Identity.objects.get(user=user, type=IdentityType.EMAIL, primary=True)
            identity_verify(customer=user, actor=actor, identity=primary)
        if "role" in plan:
            user_set_role(user=user, actor=actor, role=plan["role"])
    user.refresh_from_db()


def _join_as_default(user: User, actor: User, organization: Organization) -> None:
    membership = OrganizationMembership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        try:
            membership = membership_add(customer=user, actor=actor, organization=organization)
        except MembershipError as error:
            raise invalid(field_error("user.organization_id", "DuplicateValue", error.message)) from None
    membership_make_default(customer=user, actor=actor, membership=membership)


def user_matching(*, account: Account, write: UserWrite) -> User | None:
    """The user `create_or_update` updates: the one with the external id sent, else with the email sent."""
    if write.external_id not in (UNSET, None) and write.external_id.strip():
        found = User.objects.filter(account=account, external_id=write.external_id.strip()).first()
        if found is not None:
            return found
    if write.email not in (UNSET, None):
        try:
            email = email_normalize(write.email)
        except IdentityError:
            return None
        return email_owner(account, email)
    return None
