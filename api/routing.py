"""How the API v2's resources are declared: one URL (answered with and without `.json`, as the original
does), its operations by HTTP method, and each operation's request and response shapes (msgspec Structs).
The same declarations route requests and generate the OpenAPI document (`api.openapi`), so the document
can't drift from what the views accept and answer.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Role, User
from api.auth import api_token_required
from api.http import ApiError, field_error, json_object, request_body
from common.errors import RecordGone
from common.text import text_is_storable

BODY_MAX_BYTES = 1024 * 1024  # one record and its custom fields, with room to spare
BULK_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Param:
    """A query parameter an operation reads (for the OpenAPI document; views read it themselves)."""

    name: str
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass
class Operation:
    method: str
    summary: str
    handler: Callable
    body: type | None
    responses: dict[int, type | None]
    query: tuple[Param, ...]
    tag: str
    admin_only: bool


class Resource:
    """One URL of the API and the operations it answers, by method."""

    registry: list["Resource"] = []

    def __init__(self, route: str, name: str, tag: str):
        self.route = route
        self.name = name
        self.tag = tag
        self.operations: dict[str, Operation] = {}
        Resource.registry.append(self)

    def operation(
        self,
        method: str,
        summary: str,
        *,
        body: type | None = None,
        responses: dict[int, type | None],
        query: tuple[Param, ...] = (),
        admin_only: bool = False,
    ):
        def decorator(handler):
            self.operations[method] = Operation(
                method, summary, handler, body, responses, query, self.tag, admin_only
            )  # fmt: skip
            return handler

        return decorator

    def urls(self) -> list:
        view = api_token_required(self._dispatch)
        return [path(self.route, view, name=self.name), path(f"{self.route}.json", view, name=f"{self.name}_json")]

    def _dispatch(self, request, **kwargs):
        operation = self.operations.get(request.method)
        if operation is None:
            allowed = ", ".join(self.operations)
            raise ApiError(
                405,
                "MethodNotAllowed",
                _("Use %(methods)s on this URL.") % {"methods": allowed},
                field_error("method", "InvalidValue", _("Must be one of %(methods)s.") % {"methods": allowed}),
                headers={"Allow": allowed},
            )
        request.api_actor = _actor(request)
        if operation.admin_only and request.api_actor.role != Role.ADMIN:
            raise forbidden(_("Only an admin's token may do this."))
        try:
            return operation.handler(request, **kwargs)
        except RecordGone:  # deleted by someone else between our read and the service's lock
            raise not_found() from None


def _actor(request) -> User:
    """The team member the token acts for: its creator, or the agent a Basic `{email}/token:` names."""
    actor_id = request.api_caller.actor_id
    actor = User.objects.filter(pk=actor_id, account=request.account).first() if actor_id else None
    if actor is None or not actor.is_team_member or actor.suspended:
        raise forbidden(
            _("This token acts for nobody: send it as Basic {email}/token:{token} with a team member's email.")
        )
    actor.account = request.account  # the same row, already read with the request
    return actor


def forbidden(message: str) -> ApiError:
    return ApiError(
        403,
        "Forbidden",
        _("You do not have access to this resource."),
        field_error("Authorization", "Forbidden", message),
    )


def not_found(what: str = "id") -> ApiError:
    return ApiError(
        404, "RecordNotFound", _("Not found"), field_error(what, "NotFound", _("No record with this id here."))
    )


def invalid(details: dict, description: str | None = None) -> ApiError:
    """A 422 in the original's words: `details` maps each field to [{"error", "description"}]."""
    return ApiError(422, "RecordInvalid", description or _("Record validation errors"), details)


# Bodies in, bodies out

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
_EXPECTED = re.compile(r"^Expected `(?P<type>[^`]+)`, got `(?P<got>[^`]+)`$")


def read(request, shape: type, *, max_bytes: int = BODY_MAX_BYTES) -> Any:
    """The request's body as `shape`; a 400/413/415 when it isn't JSON, a 422 naming the field when it
    doesn't fit the shape or holds text that can't be stored."""
    data = json_object(request_body(request, max_bytes=max_bytes))
    # No text a database can't keep gets further: a NUL or a lone surrogate fails an INSERT (and a JSON
    # column refuses the whole document for one of them).
    if found := unstorable_field(data, ""):
        raise invalid(field_error(found.lstrip("."), "InvalidValue", _("Contains characters that can't be stored.")))
    try:
        return msgspec.convert(data, type=shape)
    except msgspec.ValidationError as error:
        raise invalid(shape_error(str(error))) from None


def shape_error(text: str) -> dict:
    """Zendesk-style details for msgspec's message ("Expected `str`, got `int` - at `$.user.name`")."""
    match = _AT.match(text)
    message, at = match["message"], (match["path"] or "").lstrip(".")
    if missing := _MISSING.match(message):
        name = f"{at}.{missing['name']}" if at else missing["name"]
        return field_error(name, "Required", _("This field is required."))
    if expected := _EXPECTED.match(message):
        wanted = expected["type"].replace("| null", "or null")
        return field_error(at or "body", "InvalidType", _("Must be %(type)s.") % {"type": wanted})
    return field_error(at or "body", "InvalidValue", message)


_ENCODER = msgspec.json.Encoder()


def reply(data, *, status: int = 200) -> HttpResponse:
    """A JSON response of one of the declared shapes."""
    return HttpResponse(_ENCODER.encode(data), status=status, content_type="application/json")


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


# Query parameters

ID_LIST_MAX = 100


def ids_param(request, name: str = "ids") -> list[int]:
    """Comma-separated ids (at most 100), as `?ids=1,2,3`; a 400 naming the parameter otherwise."""
    raw = request.GET.get(name, "")
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not values or len(values) > ID_LIST_MAX or not all(v.isdigit() and len(v) < 19 for v in values):
        raise bad_parameter(name, _("Give 1 to 100 ids separated by commas."))
    return [int(v) for v in values]


def text_list_param(request, name: str) -> list[str]:
    values = [v.strip() for v in request.GET.get(name, "").split(",") if v.strip()]
    if not values or len(values) > ID_LIST_MAX:
        raise bad_parameter(name, _("Give 1 to 100 values separated by commas."))
    return values


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(
        400, "InvalidParameter", _("A query parameter is invalid."), field_error(name, "InvalidValue", message)
    )


def includes(request) -> set[str]:
    """What `include=` asks to side-load (unknown names are ignored, as the original does)."""
    return {name.strip() for name in request.GET.get("include", "").split(",") if name.strip()}


@csrf_exempt
def unknown_endpoint(request, *args, **kwargs):
    """Any other URL under /api/v2/: a JSON 404 naming the path, not an HTML page."""
    return ApiError(
        404, "InvalidEndpoint", _("Not found"), field_error("path", "NotFound", _("No such endpoint."))
    ).response()


def unstorable_field(value, path: str) -> str | None:
    """The path of the first text in `value` (keys included) that no database keeps (a NUL, a lone
    surrogate), or None: a JSON column refuses the whole document for one of them."""
    if isinstance(value, str):
        return None if text_is_storable(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_field(key, path) or unstorable_field(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_field(item, f"{path}[{index}]")
            if found:
                return found
    return None
