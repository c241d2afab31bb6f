"""JSON in and out for the API's views: bodies read defensively, errors shaped like Zendesk's, always
naming the field (or header) at fault, so a client never gets a 500 or an HTML page for bad input."""

import datetime
import json
from functools import wraps

import msgspec
from django.http import HttpResponse
from django.utils.translation import gettext as _


class ApiError(Exception):
    """An error response: `details` maps each field at fault to [{"error": code, "description": text}]."""

    def __init__(self, status: int, error: str, description: str, details: dict | None = None, headers=None):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.details = details or {}
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        body = {"error": self.error, "description": self.description}
        if self.details:
            body["details"] = self.details
        response = json_response(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def field_error(field: str, code: str, description: str) -> dict:
    return {field: [{"error": code, "description": str(description)}]}


def field_errors(errors: dict[str, tuple[str, str]], prefix: str = "") -> dict:
    """Zendesk-style details from {field: (code, message)}, each field under `prefix` ("event.source")."""
    return {
        f"{prefix}{field}": [{"error": code, "description": str(message)}] for field, (code, message) in errors.items()
    }


_ENCODE = msgspec.json.encode


def json_response(data, *, status: int = 200) -> HttpResponse:
    """`data` as JSON (UTF-8, not escaped); an msgspec.Raw in it goes in as the JSON text it holds."""
    return HttpResponse(_ENCODE(data), status=status, content_type="application/json")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


# NaN and Infinity are not JSON, and PostgreSQL refuses them in jsonb.
JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def json_object(raw: bytes) -> dict:
    """A JSON object read in full by Python's json; raises ApiError (400) saying what is wrong."""
    data = json_parse(raw)
    if not isinstance(data, dict):
        raise _bad_body(_("Must be a JSON object."))
    return data


def request_body(request, *, max_bytes: int) -> bytes:
    """The request's body, declared as JSON and at most `max_bytes` long; raises ApiError (415 or 413)."""
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            _("Send the body as JSON."),
            field_error("Content-Type", "InvalidValue", _("Must be application/json.")),
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    raw = b"" if declared > max_bytes else request.read(max_bytes + 1)
    if declared > max_bytes or len(raw) > max_bytes:
        raise ApiError(
            413,
            "PayloadTooLarge",
            _("The body is too large."),
            field_error("body", "TooLarge", _("Must be at most %(size)s KB.") % {"size": max_bytes // 1024}),
        )
    return raw


def json_parse(raw: bytes):
    """JSON text read in full by Python's json; raises ApiError (400) when it is not UTF-8 or not JSON."""
    try:
        return JSON_DECODER.decode(raw.decode())
    except UnicodeDecodeError:
        raise _bad_body(_("Must be encoded as UTF-8.")) from None
    except (ValueError, RecursionError):
        raise _bad_body(_("Must be valid JSON.")) from None


def _bad_body(description: str) -> ApiError:
    return ApiError(
        400, "InvalidBody", _("The body could not be read."), field_error("body", "InvalidValue", description)
    )


def api_methods(*methods: str):
    """Refuse other HTTP methods with a JSON 405 that lists the allowed ones."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return ApiError(
                    405,
                    "MethodNotAllowed",
                    _("Use %(methods)s on this URL.") % {"methods": ", ".join(methods)},
                    field_error(
                        "method", "InvalidValue", _("Must be one of %(methods)s.") % {"methods": ", ".join(methods)}
                    ),
                    headers={"Allow": ", ".join(methods)},
                ).response()
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def iso_time(moment: datetime.datetime) -> str:
    """ISO-8601 in UTC with a Z, as Zendesk writes times."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
