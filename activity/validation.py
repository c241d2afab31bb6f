"""An event's own fields as integrated apps send them (Zendesk's event object), checked and put in the
form the event store keeps: every bad field named, nothing that PostgreSQL would refuse let through.

Each field has one rule below. Imports run them a million times, so each rule does the usual, valid
case in a few cheap checks and only then looks for what exactly is wrong.
"""

import datetime
import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.text import text_is_storable

MAX_NAME_LENGTH = 64  # source and type
MAX_DESCRIPTION_LENGTH = 255
MAX_CLIENT_ID_LENGTH = 128
MAX_PROPERTIES_BYTES = 32 * 1024
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
    # The encoder writes a NUL as \u0000 (which jsonb refuses) and leaves a lone surrogate as it is.
    if ("\\u0000" in text and _has_nul(value)) or not text_is_storable(text):
        raise _Refused("InvalidValue", _("Contains values that can't be stored."))
    return text


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
