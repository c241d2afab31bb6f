"""The OpenAPI 3.1 document of the API v2 at /api/v2/openapi.json, generated from the declared resources
(`api.routing.Resource`) and their msgspec shapes: never written by hand, so it can't drift."""

import functools
import re

import msgspec
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from api import resources, shapes  # noqa: F401 - resources fills Resource.registry
from api.routing import Resource

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_PATH_SCHEMAS = {
    "id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
    "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
}
_EVENTS = """The events API (`/user_profiles/events`, `/user_profiles/events/create_many`, `/users/{id}/events`)
is described in the README; its validation lives with the event store (activity/validation.py)."""


def _operation(resource: Resource, operation, refs: dict) -> dict:
    parameters = [
        {
            "name": m["name"],
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS.get(m["converter"], {"type": "string"}),
        }
        for m in _PARAM.finditer(resource.route)
    ]
    parameters += [
        {"name": p.name, "in": "query", "required": p.required, "description": p.description, "schema": p.schema}
        for p in operation.query
    ]
    document = {
        "summary": operation.summary,
        "operationId": f"{operation.method.lower()}_{resource.name}",
        "tags": [operation.tag],
        "parameters": parameters,
        "responses": {},
    }
    if operation.admin_only:
        document["description"] = "Admins' tokens only."
    if operation.body is not None:
        document["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[operation.body]}}}
    # Any operation may meet a bad query parameter (a NUL in one is a 422 naming it, before any view), a
    # missing token, a token whose member may not act, an unknown id and the rate limit.
    responses = {**operation.responses, 400: shapes.Error, 401: shapes.Error, 403: shapes.Error, 404: shapes.Error}
    responses.update({422: shapes.Error, 429: shapes.Error})
    if operation.body is not None:
        responses.update({400: shapes.Error, 413: shapes.Error, 415: shapes.Error, 422: shapes.Error})
    for status, shape in sorted(responses.items()):
        response = {"description": _DESCRIPTIONS.get(status, "OK")}
        if shape is not None:
            response["content"] = {"application/json": {"schema": refs[shape]}}
        document["responses"][str(status)] = response
    return document


_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "A query parameter or the body can't be read (the field is named)",
    401: "No valid token of this account",
    403: "The token's team member may not do this",
    404: "RecordNotFound",
    413: "Body too large",
    415: "Body not JSON",
    422: "RecordInvalid: every field at fault is named",
    429: "Rate limited: retry after Retry-After seconds",
}


@functools.cache
def openapi_document() -> bytes:
    """The whole document, built once per process."""
    operations = [(r, o) for r in Resource.registry for o in r.operations.values()]
    types = {shapes.Error}
    for _resource, operation in operations:
        types.update(t for t in (operation.body, *operation.responses.values()) if t is not None)
    ordered = sorted(types, key=lambda t: t.__name__)
    schemas, components = msgspec.json.schema_components(ordered, ref_template="#/components/schemas/{name}")
    refs = dict(zip(ordered, schemas))
    paths: dict[str, dict] = {}
    for resource, operation in operations:
        url = "/api/v2/" + _PARAM.sub(lambda m: "{" + m["name"] + "}", resource.route)
        paths.setdefault(url, {})[operation.method.lower()] = _operation(resource, operation, refs)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Helpdesk API v2",
            "version": "2",
            "description": "Zendesk's API v2 shapes and paths: existing clients work by changing the base URL. Every "
            "path also answers with `.json` appended. " + _EVENTS,
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic", "description": "`{email}/token:{token}`"},
            },
        },
    }
    return msgspec.json.encode(document)


@require_GET
def document(request):
    """The OpenAPI document; public, like the original's reference."""
    return HttpResponse(openapi_document(), content_type="application/json")
