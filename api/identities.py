"""A user's identities (emails and phone numbers), Zendesk's way: list, show, create, update (verify), delete,
make_primary (answers the list), request_verification and verify. Writes go through profiles.identities."""

from django.db import transaction
from django.utils.translation import gettext as _

from api import shapes
from api.http import field_error
from api.present import identity_shape
from api.routing import Resource, forbidden, invalid, no_content, not_found, read, reply
from api.users import find_user
from profiles.identities import (
    IdentityError,
    IdentityTaken,
    identity_add,
    identity_make_primary,
    identity_remove,
    identity_verify,
)
from profiles.models import Identity, IdentityType
from profiles.verification import identity_send_verification

identities = Resource("users/<id:user_id>/identities", "identities", "Identities")
identity = Resource("users/<id:user_id>/identities/<id:identity_id>", "identity", "Identities")
identity_primary = Resource(
    "users/<id:user_id>/identities/<id:identity_id>/make_primary", "identity_primary", "Identities"
)
identity_verification = Resource(
    "users/<id:user_id>/identities/<id:identity_id>/request_verification", "identity_verification", "Identities"
)
identity_verified = Resource("users/<id:user_id>/identities/<id:identity_id>/verify", "identity_verified", "Identities")

_ONE = {200: shapes.IdentityEnvelope, 404: shapes.Error, 422: shapes.Error}


def _customer(request, user_id: int, *, writing: bool = False):
    person = find_user(request, user_id)
    if writing and person.is_team_member:
        raise forbidden(_("Team members are managed in the admin center."))
    return person


def _identity(person, identity_id: int) -> Identity:
    found = next((i for i in person.identities.all() if i.pk == identity_id), None)
    if found is None:
        raise not_found()
    return found


def _refused(error: IdentityError, field: str = "identity.value"):
    code = "DuplicateValue" if isinstance(error, IdentityTaken) else "InvalidValue"
    return invalid(field_error(field if error.field == "value" else f"identity.{error.field}", code, error.message))


def _list(request, person):
    rows = Identity.objects.filter(user=person).order_by("type", "-primary", "id")
    items = [identity_shape(request, i) for i in rows]
    return reply(shapes.IdentityList(identities=items, next_page=None, previous_page=None, count=len(items)))


@identities.operation("GET", "A user's identities", responses={200: shapes.IdentityList, 404: shapes.Error})
def identities_list(request, user_id: int):
    return _list(request, _customer(request, user_id))


@identity.operation("GET", "Show an identity", responses={200: shapes.IdentityEnvelope, 404: shapes.Error})
def identity_show(request, user_id: int, identity_id: int):
    return reply(
        shapes.IdentityEnvelope(identity=identity_shape(request, _identity(_customer(request, user_id), identity_id)))
    )


@identities.operation(
    "POST",
    "Add an email or phone_number (the first of its type becomes primary); `verified: true` verifies it",
    body=shapes.IdentityBody,
    responses={201: shapes.IdentityEnvelope, 404: shapes.Error, 422: shapes.Error},
)
def identity_create(request, user_id: int):
    person = _customer(request, user_id, writing=True)
    body = read(request, shapes.IdentityBody).identity
    errors = {}
    if body.type is shapes.UNSET:
        errors.update(field_error("identity.type", "Required", _("This field is required.")))
    elif body.type not in IdentityType.values:
        errors.update(field_error("identity.type", "InvalidValue", _("Must be email or phone_number.")))
    if body.value is shapes.UNSET:
        errors.update(field_error("identity.value", "Required", _("This field is required.")))
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        try:
            added = identity_add(customer=person, actor=request.api_actor, type=body.type, value=body.value)
        except IdentityError as error:
            raise _refused(error) from None
        if body.verified is True:
            identity_verify(customer=person, actor=request.api_actor, identity=added)
    added.refresh_from_db()
    return reply(shapes.IdentityEnvelope(identity=identity_shape(request, added)), status=201)


@identity.operation(
    "PUT",
    "Update an identity: `verified: true` verifies it (a value can't change: add the new one, delete the old)",
    body=shapes.IdentityBody,
    responses=_ONE,
)
def identity_update(request, user_id: int, identity_id: int):
    person = _customer(request, user_id, writing=True)
    found = _identity(person, identity_id)
    body = read(request, shapes.IdentityBody).identity
    if body.value is not shapes.UNSET and body.value.strip().lower() != found.value.lower():
        raise invalid(
            field_error("identity.value", "ReadOnly", _("A value can't change: add the new one and delete this one."))
        )
    if body.verified is True:
        identity_verify(customer=person, actor=request.api_actor, identity=found)
    elif body.verified is False and found.verified:
        raise invalid(field_error("identity.verified", "ReadOnly", _("A verified identity stays verified.")))
    found.refresh_from_db()
    return reply(shapes.IdentityEnvelope(identity=identity_shape(request, found)))


@identity.operation(
    "DELETE", "Delete an identity (not the primary email)", responses={204: None, 404: shapes.Error, 422: shapes.Error}
)
def identity_delete(request, user_id: int, identity_id: int):
    person = _customer(request, user_id, writing=True)
    try:
        identity_remove(customer=person, actor=request.api_actor, identity=_identity(person, identity_id))
    except IdentityError as error:
        raise invalid(field_error("id", "InvalidValue", error.message)) from None
    return no_content()


@identity_primary.operation(
    "PUT",
    "Make an identity primary (a verified email, or a phone); answers the user's identities",
    responses={200: shapes.IdentityList, 404: shapes.Error, 422: shapes.Error},
)
def identity_make_primary_view(request, user_id: int, identity_id: int):
    person = _customer(request, user_id, writing=True)
    try:
        identity_make_primary(customer=person, actor=request.api_actor, identity=_identity(person, identity_id))
    except IdentityError as error:
        raise invalid(field_error("id", "InvalidValue", error.message)) from None
    return _list(request, person)


@identity_verification.operation(
    "PUT",
    "Email the customer a link that verifies this address",
    responses={200: shapes.IdentityEnvelope, 404: shapes.Error, 422: shapes.Error},
)
def identity_request_verification(request, user_id: int, identity_id: int):
    person = _customer(request, user_id, writing=True)
    found = _identity(person, identity_id)
    try:
        identity_send_verification(identity=found, actor=request.api_actor, base_url=request.build_absolute_uri("/"))
    except IdentityError as error:
        raise invalid(field_error("id", "InvalidValue", error.message)) from None
    return reply(shapes.IdentityEnvelope(identity=identity_shape(request, found)))


@identity_verified.operation("PUT", "Mark an identity verified", responses=_ONE)
def identity_verify_view(request, user_id: int, identity_id: int):
    person = _customer(request, user_id, writing=True)
    found = _identity(person, identity_id)
    identity_verify(customer=person, actor=request.api_actor, identity=found)
    found.refresh_from_db()
    return reply(shapes.IdentityEnvelope(identity=identity_shape(request, found)))
