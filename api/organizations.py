"""Organizations and organization memberships, Zendesk's way. Organizations: list, show, create, update,
delete, create_or_update (by id, else by name: organizations have no external id here) and their users.
Memberships: list (all, a user's, an organization's), show, create (422 when it exists), delete and
make_default (answers the user's memberships). Writes go through profiles.organizations."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from api import shapes
from api.http import field_error
from api.paging import QUERY as PAGE_QUERY
from api.paging import page_of
from api.present import membership_shape, organization_shape
from api.routing import Resource, forbidden, invalid, no_content, not_found, read, reply
from api.users import USER_QUERY, find_user, many_users, user_rows
from custom_fields.values import custom_field_values_clean, custom_fields_visible
from profiles.models import Organization, OrganizationMembership
from profiles.organizations import (
    MembershipError,
    OrganizationInvalid,
    membership_add,
    membership_make_default,
    membership_remove,
    organization_create,
    organization_delete,
    organization_update,
)

organizations = Resource("organizations", "organizations", "Organizations")
organization = Resource("organizations/<id:organization_id>", "organization", "Organizations")
organizations_create_or_update = Resource(
    "organizations/create_or_update", "organizations_create_or_update", "Organizations"
)
organization_users = Resource("organizations/<id:organization_id>/users", "organization_users", "Organizations")
memberships = Resource("organization_memberships", "memberships", "Organization memberships")
membership = Resource("organization_memberships/<id:membership_id>", "membership", "Organization memberships")
user_memberships = Resource(
    "users/<id:user_id>/organization_memberships", "user_memberships", "Organization memberships"
)
user_membership = Resource(
    "users/<id:user_id>/organization_memberships/<id:membership_id>", "user_membership", "Organization memberships"
)
user_membership_default = Resource(
    "users/<id:user_id>/organization_memberships/<id:membership_id>/make_default",
    "user_membership_default",
    "Organization memberships",
)
organization_memberships = Resource(
    "organizations/<id:organization_id>/organization_memberships",
    "organization_memberships",
    "Organization memberships",
)

_ONE = {200: shapes.OrganizationEnvelope, 404: shapes.Error, 422: shapes.Error}


def _fields(request) -> list:
    return custom_fields_visible(account=request.account, object_type="organization", role=request.api_actor.role)


def _find(request, organization_id: int) -> Organization:
    found = Organization.objects.filter(account=request.account, pk=organization_id).first()
    if found is None:
        raise not_found()
    return found


def _one(request, found: Organization, status: int = 200):
    return reply(
        shapes.OrganizationEnvelope(organization=organization_shape(request, found, _fields(request))), status=status
    )


def _values(request, write: shapes.OrganizationWrite, *, creating: bool) -> tuple[dict, dict]:
    """(changes, custom field values) from a write, checked; a 422 naming every field at fault."""
    changes, errors = {}, {}
    if write.name is not shapes.UNSET:
        changes["name"] = write.name
    elif creating:
        errors.update(field_error("organization.name", "Required", _("This field is required.")))
    if write.domain_names not in (shapes.UNSET, None):
        changes["domains"] = " ".join(write.domain_names)
    elif write.domain_names is None:
        changes["domains"] = ""
    for field in ("details", "notes"):
        value = getattr(write, field)
        if value is not shapes.UNSET:
            changes[field] = value or ""
    if write.tags is not shapes.UNSET:
        tags = write.tags or ""
        changes["tags"] = " ".join(tags) if isinstance(tags, list) else tags
    custom = {}
    if write.organization_fields not in (shapes.UNSET, None):
        try:
            custom = custom_field_values_clean(
                account=request.account,
                object_type="organization",
                submitted=write.organization_fields,
                role=request.api_actor.role,
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.update(field_error(f"organization.organization_fields.{key}", "InvalidValue", messages[0]))
    if errors:
        raise invalid(errors)
    return changes, custom


def _refused(error: OrganizationInvalid):
    details = {}
    for field, message in error.errors.items():
        code = "DuplicateValue" if field == "name" and "exists" in str(message) else "InvalidValue"
        details.update(field_error(f"organization.{'domain_names' if field == 'domains' else field}", code, message))
    return invalid(details)


def _create(request, write) -> Organization:
    changes, custom = _values(request, write, creating=True)
    try:
        return organization_create(account=request.account, actor=request.api_actor, custom_fields=custom, **changes)
    except OrganizationInvalid as error:
        raise _refused(error) from None


def _update(request, found: Organization, write) -> None:
    changes, custom = _values(request, write, creating=False)
    try:
        organization_update(organization=found, actor=request.api_actor, changes=changes, custom_changes=custom)
    except OrganizationInvalid as error:
        raise _refused(error) from None


def _require_admin_for_writes(request):
    # As the original: agents read organizations; changing them takes an admin's token.
    if not request.api_actor.is_admin:
        raise forbidden(_("Only an admin's token may change organizations."))


@organizations.operation(
    "GET", "List organizations; offset or cursor pages", responses={200: shapes.OrganizationList}, query=PAGE_QUERY
)
def organizations_list(request):
    page = page_of(request, Organization.objects.filter(account=request.account), keys=[("id", False)])
    fields = _fields(request)
    return reply(
        shapes.OrganizationList(
            organizations=[organization_shape(request, o, fields) for o in page.items], **page.envelope
        )
    )


@organization.operation("GET", "Show an organization", responses={200: shapes.OrganizationEnvelope, 404: shapes.Error})
def organization_show(request, organization_id: int):
    return _one(request, _find(request, organization_id))


@organizations.operation(
    "POST",
    "Create an organization (admins; 201)",
    body=shapes.OrganizationBody,
    responses={201: shapes.OrganizationEnvelope, 403: shapes.Error, 422: shapes.Error},
)
def organizations_create(request):
    _require_admin_for_writes(request)
    write = read(request, shapes.OrganizationBody).organization
    return _one(request, _create(request, write), status=201)


@organization.operation(
    "PUT", "Update an organization (admins)", body=shapes.OrganizationBody, responses={**_ONE, 403: shapes.Error}
)
def organization_update_view(request, organization_id: int):
    _require_admin_for_writes(request)
    found = _find(request, organization_id)
    write = read(request, shapes.OrganizationBody).organization
    _update(request, found, write)
    return _one(request, _find(request, organization_id))


@organization.operation(
    "DELETE",
    "Delete an organization; its members leave it (admins)",
    responses={204: None, 403: shapes.Error, 404: shapes.Error},
)
def organization_delete_view(request, organization_id: int):
    _require_admin_for_writes(request)
    organization_delete(organization=_find(request, organization_id), actor=request.api_actor)
    return no_content()


@organizations_create_or_update.operation(
    "POST",
    "Update the organization with this id (else this name) — 200 — or create it — 201 (admins)",
    body=shapes.OrganizationBody,
    responses={
        200: shapes.OrganizationEnvelope,
        201: shapes.OrganizationEnvelope,
        403: shapes.Error,
        422: shapes.Error,
    },
)
def organizations_create_or_update_view(request):
    _require_admin_for_writes(request)
    write = read(request, shapes.OrganizationBody).organization
    rows = Organization.objects.filter(account=request.account)
    found = None
    if write.id is not shapes.UNSET:
        found = rows.filter(pk=write.id).first()
    if found is None and write.name is not shapes.UNSET:
        found = rows.filter(name__iexact=" ".join(write.name.split())).first()
    if found is None:
        return _one(request, _create(request, write), status=201)
    with transaction.atomic():
        _update(request, found, write)
    return _one(request, _find(request, found.pk))


@organization_users.operation(
    "GET",
    "An organization's users; offset or cursor pages",
    responses={200: shapes.UserList, 404: shapes.Error},
    query=(*USER_QUERY, *PAGE_QUERY),
)
def organization_users_list(request, organization_id: int):
    found = _find(request, organization_id)
    page = page_of(request, user_rows(request.account).filter(memberships__organization=found), keys=[("id", False)])
    return many_users(request, page.items, page.envelope)


# Memberships


def _membership_rows(request):
    return OrganizationMembership.objects.filter(account_id=request.account.pk).select_related("organization")


def _memberships(request, rows):
    page = page_of(request, rows, keys=[("id", False)])
    return reply(
        shapes.MembershipList(
            organization_memberships=[membership_shape(request, m) for m in page.items], **page.envelope
        )
    )


@memberships.operation("GET", "Every organization membership", responses={200: shapes.MembershipList}, query=PAGE_QUERY)
def memberships_list(request):
    return _memberships(request, _membership_rows(request))


@user_memberships.operation(
    "GET",
    "A user's organization memberships",
    responses={200: shapes.MembershipList, 404: shapes.Error},
    query=PAGE_QUERY,
)
def user_memberships_list(request, user_id: int):
    return _memberships(request, _membership_rows(request).filter(user=find_user(request, user_id)))


@organization_memberships.operation(
    "GET", "An organization's memberships", responses={200: shapes.MembershipList, 404: shapes.Error}, query=PAGE_QUERY
)
def organization_memberships_list(request, organization_id: int):
    return _memberships(request, _membership_rows(request).filter(organization=_find(request, organization_id)))


def _find_membership(request, membership_id: int, user_id: int | None = None) -> OrganizationMembership:
    rows = _membership_rows(request).select_related("user")
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    found = rows.filter(pk=membership_id).first()
    if found is None:
        raise not_found()
    found.user.account = request.account
    return found


@membership.operation("GET", "Show a membership", responses={200: shapes.MembershipEnvelope, 404: shapes.Error})
def membership_show(request, membership_id: int):
    return reply(
        shapes.MembershipEnvelope(
            organization_membership=membership_shape(request, _find_membership(request, membership_id))
        )
    )


@memberships.operation(
    "POST",
    "Add a customer to an organization (their first becomes the default); 422 when they already belong to it",
    body=shapes.MembershipBody,
    responses={201: shapes.MembershipEnvelope, 403: shapes.Error, 422: shapes.Error},
)
def membership_create(request):
    write = read(request, shapes.MembershipBody).organization_membership
    errors = {}
    person = User.objects.filter(account=request.account, pk=write.user_id).first()
    if person is None:
        errors.update(field_error("organization_membership.user_id", "NotFound", _("No user with this id here.")))
    found = Organization.objects.filter(account=request.account, pk=write.organization_id).first()
    if found is None:
        errors.update(
            field_error("organization_membership.organization_id", "NotFound", _("No organization with this id here."))
        )
    if errors:
        raise invalid(errors)
    if person.is_team_member:
        raise forbidden(_("Team members are managed in the admin center."))
    person.account = request.account
    try:
        added = membership_add(customer=person, actor=request.api_actor, organization=found)
    except MembershipError as error:
        raise invalid(field_error("organization_membership.user_id", "DuplicateValue", error.message)) from None
    return reply(shapes.MembershipEnvelope(organization_membership=membership_shape(request, added)), status=201)


def _remove(request, membership_id: int, user_id: int | None = None):
    found = _find_membership(request, membership_id, user_id)
    if found.user.is_team_member:
        raise forbidden(_("Team members are managed in the admin center."))
    membership_remove(customer=found.user, actor=request.api_actor, membership=found)
    return no_content()


@membership.operation("DELETE", "Remove a membership", responses={204: None, 404: shapes.Error})
def membership_delete(request, membership_id: int):
    return _remove(request, membership_id)


@user_membership.operation("DELETE", "Remove one of a user's memberships", responses={204: None, 404: shapes.Error})
def user_membership_delete(request, user_id: int, membership_id: int):
    return _remove(request, membership_id, user_id)


@user_membership.operation(
    "GET", "Show one of a user's memberships", responses={200: shapes.MembershipEnvelope, 404: shapes.Error}
)
def user_membership_show(request, user_id: int, membership_id: int):
    found = _find_membership(request, membership_id, user_id)
    return reply(shapes.MembershipEnvelope(organization_membership=membership_shape(request, found)))


@user_membership_default.operation(
    "PUT",
    "Make a membership the user's default; answers the user's memberships",
    responses={200: shapes.MembershipList, 404: shapes.Error},
)
def user_membership_make_default(request, user_id: int, membership_id: int):
    found = _find_membership(request, membership_id, user_id)
    if found.user.is_team_member:
        raise forbidden(_("Team members are managed in the admin center."))
    membership_make_default(customer=found.user, actor=request.api_actor, membership=found)
    rows = _membership_rows(request).filter(user_id=user_id).order_by("-default", "organization__name", "id")
    items = [membership_shape(request, m) for m in rows]
    return reply(
        shapes.MembershipList(organization_memberships=items, next_page=None, previous_page=None, count=len(items))
    )
