"""An event's own fields as integrated apps send them (Zendesk's event object), checked and put in the
form the event store keeps: every bad field named, nothing that PostgreSQL would refuse let through.

Each field has one rule below. Imports run them a million times, so each rule does the usual, valid
case in a few cheap checks and only then looks for what exactly is wrong.

Two ways in, one set of rules: `event_clean` checks an event parsed in full (Python's json) and names every
field at fault; `event_fields_clean` takes an event as msgspec reads it (`EventFields`, its properties left
as the JSON text that was sent) and stores it straight away when it is valid beyond doubt — else it says so,
and the caller parses the event in full for `event_clean` to judge.
"""

import datetime
import json
from typing import Any

import msgspec
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.text import text_is_storable

MAX_NAME_LENGTH = 64  # source and type
MAX_DESCRIPTION_LENGTH = 255
MAX_CLIENT_ID_LENGTH = 128
MAX_PROPERTIES_BYTES = 32 * 1024
# Deeper than any real payload, and well within what every store can read (SQLite's JSON stops at 1,000).
MAX_PROPERTIES_DEPTH = 100
# The times an event may carry: from the Unix epoch to a day ahead of the server's clock (a client's clock
# may run a little fast). Anything else is a mistake, and far-off years can't even be shown in every
# time zone.
EARLIEST_TIME = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST_AHEAD = datetime.timedelta(days=1)

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class EventInvalid(ValueError):
    """The event's fields are unusable; `errors` maps each field (`source`, `properties`…) to (code, message)."""

    def __init__(self, errors: dict[str, tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, (_code, message) in errors.items()))
        self.errors = errors


class _Refused(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = message


def _name(value) -> str:
    if value.__class__ is str:
        name = value.strip()
        if 0 < len(value) <= MAX_NAME_LENGTH and name and text_is_storable(value):
            return name
    if value is None:
        raise _Refused("Required", _("This field is required."))
    if not isinstance(value, str):
        raise _Refused("InvalidType", _("Must be a string."))
    if not value.strip():
        raise _Refused("Blank", _("Can't be blank."))
    if len(value) > MAX_NAME_LENGTH:
        raise _Refused("TooLong", _("Must be at most 64 characters."))
    raise _Refused("InvalidValue", _("Contains characters that can't be stored."))


def _description(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Refused("InvalidType", _("Must be a string."))
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise _Refused("TooLong", _("Must be at most 255 characters."))
    if not text_is_storable(value):
        raise _Refused("InvalidValue", _("Contains characters that can't be stored."))
    return value


def _properties(value) -> str:
    """The properties as the JSON text the store keeps."""
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        raise _Refused("InvalidType", _("Must be a JSON object."))
    try:
        text = _ENCODER.encode(value)
        # A character takes at most 4 bytes: only long texts need counting in bytes.
        too_large = len(text) > MAX_PROPERTIES_BYTES // 4 and len(text.encode()) > MAX_PROPERTIES_BYTES
    except (ValueError, RecursionError, UnicodeEncodeError):
        raise _Refused("InvalidValue", _("Contains values that can't be stored.")) from None
    if too_large:
        raise _Refused("TooLarge", _("Must be at most 32 KB once encoded as JSON."))
    if _brackets_exceed_depth(text) and _depth(value) > MAX_PROPERTIES_DEPTH:
        raise _Refused("TooDeep", _("Must be nested at most 100 levels deep."))
    # The encoder writes a NUL as \u0000 (which jsonb refuses) and leaves a lone surrogate as it is.
    if ("\\u0000" in text and _has_nul(value)) or not text_is_storable(text):
        raise _Refused("InvalidValue", _("Contains values that can't be stored."))
    return text


def _brackets_exceed_depth(text: str) -> bool:
    """Whether the text holds more brackets than the deepest nesting allowed (only then can it be deeper)."""
    return len(text) > 2 * MAX_PROPERTIES_DEPTH and text.count("[") + text.count("{") > MAX_PROPERTIES_DEPTH


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def event_time(text: str) -> datetime.datetime | None:
    """An ISO-8601 time in UTC (a time without a zone is UTC), or None when it isn't one."""
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


def retention_start(now: datetime.datetime, months: int | None) -> datetime.datetime | None:
    """The first instant (UTC) of the oldest month kept when the store keeps this month and the `months`
    before it (EVENT_RETENTION_MONTHS); None when it keeps everything."""
    if not months:
        return None
    index = now.year * 12 + now.month - 1 - months
    return datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=datetime.UTC)


def earliest_time(now: datetime.datetime) -> datetime.datetime:
    """The oldest time an event may carry: the Unix epoch, or the start of the retention window (an older
    event would belong to a month already dropped)."""
    start = retention_start(now, settings.EVENT_RETENTION_MONTHS)
    return EARLIEST_TIME if start is None else max(EARLIEST_TIME, start)


def _occurred_at(value, now: datetime.datetime) -> datetime.datetime:
    if value is None:
        return now
    moment = event_time(value) if isinstance(value, str) else None
    if moment is None:
        raise _Refused("InvalidValue", _("Must be an ISO-8601 date and time, like 2024-05-17T09:30:00Z."))
    earliest = earliest_time(now)
    if not earliest <= moment <= now + LATEST_AHEAD:
        raise _Refused(
            "OutOfRange",
            _("Must be after %(earliest)s and at most a day ahead of now (UTC).")
            % {"earliest": earliest.date().isoformat()},
        )
    return moment


def _client_id(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Refused("InvalidType", _("Must be a non-empty string."))
    if len(value) > MAX_CLIENT_ID_LENGTH:
        raise _Refused("TooLong", _("Must be at most 128 characters."))
    if not text_is_storable(value):
        raise _Refused("InvalidValue", _("Contains characters that can't be stored."))
    return value


class EventFields(msgspec.Struct):
    """An event object as msgspec reads it: each field as the JSON value sent (None when absent), to be
    judged by the rules, except the properties, kept as their JSON text."""

    source: Any = None
    type: Any = None
    description: Any = None
    properties: msgspec.Raw = msgspec.Raw(b"null")
    created_at: Any = None
    id: Any = None


# Text that Python's json may read differently from the text as sent, or refuse where PostgreSQL would
# not, is judged the long way: a \\u0000 escaped (jsonb refuses it; `_properties` names it), a number
# too large for Python (msgspec, reading it, refuses the same ones), or an exponent in a text long enough
# that writing its numbers out (1e15 is 1000000000000000.0 to Python) could take it over the size limit.
_DECODE = msgspec.json.decode
_SAFE_FROM_EXPONENTS = MAX_PROPERTIES_BYTES * 2 // 9


def _raw_properties(raw: msgspec.Raw) -> str | None:
    """The properties' JSON text as sent, when it is an object that `_properties` would accept as it
    stands (null: none); None when only the full check can tell. Its compact form, which `_properties`
    measures, is never longer than the text sent but for exponents; with no more brackets than the depth
    allowed, it can't be nested too deep."""
    try:
        text = str(raw, "utf-8")
    except UnicodeDecodeError:
        return None
    if text == "null":
        return "{}"
    if (
        not text.startswith("{")
        or (len(raw) > _SAFE_FROM_EXPONENTS and (len(raw) > MAX_PROPERTIES_BYTES or "e" in text or "E" in text))
        or _brackets_exceed_depth(text)
        or ("\\u0000" in text)
    ):
        return None
    try:
        _DECODE(raw)  # refuses lone surrogates, numbers Python can't hold, and bytes that aren't UTF-8
    except msgspec.MsgspecError:
        return None
    return text


def event_fields_clean(
    fields: EventFields, *, now: datetime.datetime
) -> tuple[str, str, str, str, datetime.datetime, str | None] | None:
    """The stored form of an event read by msgspec, the same as `event_clean` gives for it, when the event is
    valid beyond doubt (the usual case, in a couple of microseconds); None otherwise: the caller then parses
    it in full and `event_clean` judges it, naming every field at fault."""
    properties = _raw_properties(fields.properties)
    if properties is None:
        return None
    try:
        return (
            _name(fields.source),
            _name(fields.type),
            _description(fields.description),
            properties,
            _occurred_at(fields.created_at, now),
            _client_id(fields.id),
        )
    except _Refused:
        return None


def event_clean(raw: dict, *, now: datetime.datetime) -> tuple[str, str, str, str, datetime.datetime, str | None]:
    """The stored form of an API event object (source, type, description, properties JSON, occurred_at,
    client id); raises EventInvalid naming every bad field."""
    try:
        return (
            _name(raw.get("source")),
            _name(raw.get("type")),
            _description(raw.get("description")),
            _properties(raw.get("properties")),
            _occurred_at(raw.get("created_at"), now),
            _client_id(raw.get("id")),
        )
    except _Refused:
        pass
    # Something is wrong: check every field, to name each one at fault.
    errors = {}
    for field, rule in (
        ("source", _name),
        ("type", _name),
        ("description", _description),
        ("properties", _properties),
        ("created_at", lambda value: _occurred_at(value, now)),
        ("id", _client_id),
    ):
        try:
            rule(raw.get(field))
        except _Refused as refused:
            errors[field] = (refused.code, refused.message)
    raise EventInvalid(errors)
