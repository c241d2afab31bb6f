"""An event's own fields as integrated apps send them (Zendesk's event object), checked and put in the
form the event store keeps: every bad field named, nothing that PostgreSQL would refuse let through."""

import datetime
import json
import re

from django.utils.translation import gettext_lazy as _

MAX_NAME_LENGTH = 64  # source and type
MAX_DESCRIPTION_LENGTH = 255
MAX_CLIENT_ID_LENGTH = 128
MAX_PROPERTIES_BYTES = 32 * 1024

# NUL and lone surrogates can't be stored in PostgreSQL text (nor encoded as UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class EventInvalid(ValueError):
    """The event's fields are unusable; `errors` maps each field (`source`, `properties`…) to (code, message)."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, (_code, message) in errors.items()))
        self.errors = errors


def event_clean(raw: dict, *, now: datetime.datetime) -> tuple[str, str, str, str, datetime.datetime, str | None]:
    """The stored form of an API event object (source, type, description, properties JSON, occurred_at,
    client id); raises EventInvalid naming every bad field."""
    cleaned = _clean_quickly(raw, now)
    if cleaned is not None:
        return cleaned
    errors: dict[str, tuple[str, str]] = {}
    source = _name(raw.get("source"), "source", errors)
    type = _name(raw.get("type"), "type", errors)

    description = raw.get("description")
    if description is None:
        description = ""
    elif not isinstance(description, str):
        errors["description"] = ("InvalidType", _("Must be a string."))
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = ("TooLong", _("Must be at most 255 characters."))
    elif _UNSTORABLE.search(description):
        errors["description"] = ("InvalidValue", _("Contains characters that can't be stored."))

    properties = _properties(raw.get("properties"), errors)
    occurred_at = _timestamp(raw.get("created_at"), now, errors)

    client_id = raw.get("id")
    if client_id is not None:
        if isinstance(client_id, int) and not isinstance(client_id, bool):
            client_id = str(client_id)
        if not isinstance(client_id, str) or not client_id.strip():
            errors["id"] = ("InvalidType", _("Must be a non-empty string."))
        elif len(client_id) > MAX_CLIENT_ID_LENGTH:
            errors["id"] = ("TooLong", _("Must be at most 128 characters."))
        elif _UNSTORABLE.search(client_id):
            errors["id"] = ("InvalidValue", _("Contains characters that can't be stored."))

    if errors:
        raise EventInvalid(errors)
    return source, type, description, properties, occurred_at, client_id


def _clean_quickly(raw: dict, now: datetime.datetime):
    """The usual, valid event in a few checks (imports run this a million times); None sends anything
    unusual to the thorough checks, which name what is wrong."""
    source, type, description = raw.get("source"), raw.get("type"), raw.get("description", "")
    client_id, properties, created_at = raw.get("id"), raw.get("properties"), raw.get("created_at")
    if not (
        source.__class__ is str
        and type.__class__ is str
        and description.__class__ is str
        and (client_id is None or client_id.__class__ is str)
        and (properties is None or properties.__class__ is dict)
        and (created_at is None or created_at.__class__ is str)
    ):
        return None
    source, type = source.strip(), type.strip()
    if not (
        0 < len(source) <= MAX_NAME_LENGTH
        and 0 < len(type) <= MAX_NAME_LENGTH
        and len(description) <= MAX_DESCRIPTION_LENGTH
        and (client_id is None or (client_id.strip() and len(client_id) <= MAX_CLIENT_ID_LENGTH))
    ):
        return None
    if properties is None:
        text = "{}"
    else:
        try:
            text = _ENCODER.encode(properties)
        except (ValueError, RecursionError):
            return None
        # A character takes at most 4 bytes: only long texts need counting in bytes.
        if len(text) > MAX_PROPERTIES_BYTES // 4 and len(text.encode(errors="surrogatepass")) > MAX_PROPERTIES_BYTES:
            return None
        if "\\u0000" in text:
            return None
    if _UNSTORABLE.search(f"{source}{type}{description}{client_id or ''}{text}"):
        return None
    occurred_at = now if created_at is None else _moment(created_at)
    if occurred_at is None:
        return None
    return source, type, description, text, occurred_at, client_id


def _name(value, field: str, errors: dict) -> str:
    if value is None:
        errors[field] = ("Required", _("This field is required."))
    elif not isinstance(value, str):
        errors[field] = ("InvalidType", _("Must be a string."))
    elif not value.strip():
        errors[field] = ("Blank", _("Can't be blank."))
    elif len(value) > MAX_NAME_LENGTH:
        errors[field] = ("TooLong", _("Must be at most 64 characters."))
    elif _UNSTORABLE.search(value):
        errors[field] = ("InvalidValue", _("Contains characters that can't be stored."))
    else:
        return value.strip()
    return ""


def _properties(value, errors: dict) -> str:
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        errors["properties"] = ("InvalidType", _("Must be a JSON object."))
        return ""
    try:
        text = _ENCODER.encode(value)
        size = len(text.encode())
    except (ValueError, RecursionError, UnicodeEncodeError):
        errors["properties"] = ("InvalidValue", _("Contains values that can't be stored."))
        return ""
    if size > MAX_PROPERTIES_BYTES:
        errors["properties"] = ("TooLarge", _("Must be at most 32 KB once encoded as JSON."))
    elif "\\u0000" in text and _has_nul(value):
        errors["properties"] = ("InvalidValue", _("Contains values that can't be stored."))
    return text


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _moment(text: str) -> datetime.datetime | None:
    """An ISO-8601 time in UTC (a time without a zone is UTC), or None when it isn't one."""
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


def _timestamp(value, now: datetime.datetime, errors: dict) -> datetime.datetime:
    if value is None:
        return now
    moment = _moment(value) if isinstance(value, str) else None
    if moment is not None:
        return moment
    errors["created_at"] = ("InvalidValue", _("Must be an ISO-8601 date and time, like 2024-05-17T09:30:00Z."))
    return now
