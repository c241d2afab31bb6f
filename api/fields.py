"""User fields and organization fields (admin-defined custom fields), Zendesk's way: list, show, create,
update, delete, reorder and their options. Agents' tokens read them; changing them takes an admin's token,
as in the original. Writes go through custom_fields.services."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from api import shapes
from api.http import field_error
from api.present import LOOKUP_TARGETS, custom_field_shape, option_shapes
from api.present import option_id as option_id_of
from api.routing import Resource, invalid, no_content, not_found, read, reply
from custom_fields.models import FieldObject, FieldType
from custom_fields.services import (
    custom_field_create,
    custom_field_delete,
    custom_field_reorder,
    custom_field_set_active,
    custom_field_update,
)
from custom_fields.values import custom_field_get, custom_fields_of

_TARGETS = {target: kind for kind, target in LOOKUP_TARGETS.items()}
_ARGUMENTS = {
    "regexp": "regexp_for_validation",
    "options": "custom_field_options",
    "lookup_target": "relationship_target_type",
}


class Kind:
    """The user fields' or the organization fields' endpoints: same rules, their own names."""

    def __init__(
        self, object_type: str, singular: str, tag: str, body: type, envelope: type, listing: type, order: type
    ):
        self.object_type, self.singular, self.plural = object_type, singular, f"{singular}s"
        self.body, self.envelope, self.listing, self.order = body, envelope, listing, order
        base = self.plural
        self.fields = Resource(base, self.plural, tag)
        self.field = Resource(f"{base}/<id:field_id>", singular, tag)
        self.reorder = Resource(f"{base}/reorder", f"{self.plural}_reorder", tag)
        self.options = Resource(f"{base}/<id:field_id>/options", f"{singular}_options", tag)
        self.option = Resource(f"{base}/<id:field_id>/options/<id:option_id>", f"{singular}_option", tag)
        self._declare()

    def _find(self, request, field_id: int):
        found = custom_field_get(account=request.account, object_type=self.object_type, field_id=field_id)
        if found is None:
            raise not_found()
        return found

    def _one(self, request, found, status: int = 200):
        return reply(self.envelope(**{self.singular: custom_field_shape(request, found)}), status=status)

    def _write(self, request):
        return getattr(read(request, self.body), self.singular)

    def _arguments(self, write: shapes.CustomFieldWrite, errors: dict) -> dict:
        arguments = {}
        if write.type is not shapes.UNSET:
            arguments["type"] = write.type
        for name in ("key", "title"):
            if getattr(write, name) is not shapes.UNSET:
                arguments[name] = getattr(write, name)
        if write.description is not shapes.UNSET:
            arguments["description"] = write.description or ""
        if write.regexp_for_validation is not shapes.UNSET:
            arguments["regexp"] = write.regexp_for_validation or ""
        if write.custom_field_options is not shapes.UNSET:
            arguments["options"] = [{"name": o.name, "value": o.value or ""} for o in write.custom_field_options or []]
        if write.relationship_target_type not in (shapes.UNSET, None):
            arguments["lookup_target"] = _TARGETS.get(write.relationship_target_type, write.relationship_target_type)
            if arguments["lookup_target"] not in FieldObject.values:
                errors.update(
                    field_error(
                        f"{self.singular}.relationship_target_type",
                        "InvalidValue",
                        _("Must be zen:user, zen:organization or zen:ticket."),
                    )
                )
        if write.agent_access is not shapes.UNSET:
            arguments["agent_access"] = write.agent_access
        return arguments

    def _refused(self, error: ValidationError):
        details = {}
        for name, messages in error.message_dict.items():
            details.update(field_error(f"{self.singular}.{_ARGUMENTS.get(name, name)}", "InvalidValue", messages[0]))
        return invalid(details)

    def _declare(self):
        kind = self
        one = {200: self.envelope, 404: shapes.Error}
        writes = {403: shapes.Error, 404: shapes.Error, 422: shapes.Error}

        @self.fields.operation("GET", f"List {self.plural.replace('_', ' ')}", responses={200: self.listing})
        def listing(request):
            items = [
                custom_field_shape(request, f)
                for f in custom_fields_of(account=request.account, object_type=kind.object_type)
            ]
            return reply(
                kind.listing(**{kind.plural: items, "next_page": None, "previous_page": None, "count": len(items)})
            )

        @self.field.operation("GET", f"Show a {self.singular.replace('_', ' ')}", responses=one)
        def show(request, field_id: int):
            return kind._one(request, kind._find(request, field_id))

        @self.fields.operation(
            "POST",
            f"Create a {self.singular.replace('_', ' ')} (admins; 201)",
            body=self.body,
            responses={201: self.envelope, **writes},
            admin_only=True,
        )
        def create(request):
            write, errors = kind._write(request), {}
            arguments = kind._arguments(write, errors)
            for required in ("type", "title"):
                if required not in arguments:
                    errors.update(field_error(f"{kind.singular}.{required}", "Required", _("This field is required.")))
            if arguments.get("type") == "tagger":
                arguments["type"] = FieldType.DROPDOWN
            if errors:
                raise invalid(errors)
            with transaction.atomic():
                try:
                    created = custom_field_create(
                        account=request.account, actor=request.api_actor, object_type=kind.object_type, **arguments
                    )
                except ValidationError as error:
                    raise kind._refused(error) from None
                if write.active is False:
                    custom_field_set_active(field=created, actor=request.api_actor, active=False)
            return kind._one(request, created, status=201)

        @self.field.operation(
            "PUT",
            f"Update a {self.singular.replace('_', ' ')} (admins; its key never changes)",
            body=self.body,
            responses={**one, **writes},
            admin_only=True,
        )
        def update(request, field_id: int):
            found = kind._find(request, field_id)
            write, errors = kind._write(request), {}
            arguments = kind._arguments(write, errors)
            if arguments.pop("key", found.key) != found.key:
                errors.update(field_error(f"{kind.singular}.key", "ReadOnly", _("A field's key never changes.")))
            if errors:
                raise invalid(errors)
            with transaction.atomic():
                try:
                    custom_field_update(field=found, actor=request.api_actor, **arguments)
                except ValidationError as error:
                    raise kind._refused(error) from None
                if write.active is not shapes.UNSET:
                    custom_field_set_active(field=found, actor=request.api_actor, active=write.active)
            return kind._one(request, kind._find(request, field_id))

        @self.field.operation(
            "DELETE",
            f"Delete a {self.singular.replace('_', ' ')} and every value of it (admins)",
            responses={204: None, **writes},
            admin_only=True,
        )
        def delete(request, field_id: int):
            custom_field_delete(field=kind._find(request, field_id), actor=request.api_actor)
            return no_content()

        @self.reorder.operation(
            "PUT",
            f"Put every {self.singular.replace('_', ' ')} in this order (admins)",
            body=self.order,
            responses={200: self.listing, **writes},
            admin_only=True,
        )
        def reorder(request):
            order = getattr(read(request, kind.order), f"{kind.singular}_ids")
            try:
                custom_field_reorder(
                    account=request.account, actor=request.api_actor, object_type=kind.object_type, order=order
                )
            except ValidationError:
                raise invalid(
                    field_error(f"{kind.singular}_ids", "InvalidValue", _("Give every field's id, each once."))
                ) from None
            return listing(request)

        @self.options.operation("GET", "A field's options", responses={200: shapes.FieldOptionList, 404: shapes.Error})
        def options(request, field_id: int):
            items = option_shapes(kind._find(request, field_id))
            return reply(shapes.FieldOptionList(custom_field_options=items, count=len(items)))

        @self.option.operation("GET", "Show an option", responses={200: shapes.FieldOptionEnvelope, 404: shapes.Error})
        def option(request, field_id: int, option_id: int):
            found = next((o for o in option_shapes(kind._find(request, field_id)) if o.id == option_id), None)
            if found is None:
                raise not_found()
            return reply(shapes.FieldOptionEnvelope(custom_field_option=found))

        @self.options.operation(
            "POST",
            "Add an option, or rename the one whose id is given (admins; 201 when added)",
            body=shapes.FieldOptionBody,
            responses={200: shapes.FieldOptionEnvelope, 201: shapes.FieldOptionEnvelope, **writes},
            admin_only=True,
        )
        def option_save(request, field_id: int):
            found = kind._find(request, field_id)
            write = read(request, shapes.FieldOptionBody).custom_field_option
            if found.type not in (FieldType.DROPDOWN, FieldType.MULTISELECT):
                raise invalid(
                    field_error(
                        "custom_field_option", "InvalidValue", _("Only drop-down and multi-select fields have options.")
                    )
                )
            current = [dict(o) for o in found.options]
            index = next(
                (
                    n
                    for n, o in enumerate(current)
                    if write.id is not shapes.UNSET and option_id_of(found, o["value"]) == write.id
                ),
                None,
            )
            if write.id is not shapes.UNSET and index is None:
                raise not_found("custom_field_option.id")
            value = write.value if write.value is not shapes.UNSET else ""
            if index is None:
                current.append({"name": write.name, "value": value})
            else:
                current[index] = {"name": write.name, "value": value or current[index]["value"]}
            try:
                custom_field_update(field=found, actor=request.api_actor, options=current)
            except ValidationError as error:
                messages = error.message_dict.get("options") or next(iter(error.message_dict.values()))
                raise invalid(field_error("custom_field_option.value", "InvalidValue", messages[0])) from None
            saved = option_shapes(kind._find(request, field_id))[len(current) - 1 if index is None else index]
            return reply(shapes.FieldOptionEnvelope(custom_field_option=saved), status=201 if index is None else 200)

        @self.option.operation("DELETE", "Delete an option (admins)", responses={204: None, **writes}, admin_only=True)
        def option_delete(request, field_id: int, option_id: int):
            found = kind._find(request, field_id)
            kept = [o for o in found.options if option_id_of(found, o["value"]) != option_id]
            if len(kept) == len(found.options):
                raise not_found()
            try:
                custom_field_update(field=found, actor=request.api_actor, options=kept)
            except ValidationError as error:
                raise invalid(field_error("id", "InvalidValue", next(iter(error.message_dict.values()))[0])) from None
            return no_content()


users = Kind(
    "user",
    "user_field",
    "User fields",
    shapes.UserFieldBody,
    shapes.UserFieldEnvelope,
    shapes.UserFieldList,
    shapes.UserFieldOrder,
)
organizations = Kind(
    "organization",
    "organization_field",
    "Organization fields",
    shapes.OrganizationFieldBody,
    shapes.OrganizationFieldEnvelope,
    shapes.OrganizationFieldList,
    shapes.OrganizationFieldOrder,
)
