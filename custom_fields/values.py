"""Custom field values: what each type accepts, who sees and writes which field, how values read.

Values live in each record's `custom_fields` JSON, keyed by the field's key; a value is never written
without going through `custom_field_clean`. Access (B3): admins see and edit every active field.
Agents never see a hidden field (it isn't rendered, and a value posted for it is refused) and can't
change a read-only one. End users get none.
"""

import datetime
import functools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import re2
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import Account, Role
from common.replicas import primary_reads
from common.text import text_is_storable
from custom_fields.lookups import lookup_labels, lookup_resolve
from custom_fields.models import AgentAccess, CustomField, FieldObject, FieldType

# Form field names are the key behind this prefix, so custom fields never collide with a page's own.
FORM_PREFIX = "cf_"
TEXT_MAX_LENGTH = 255
TEXTAREA_MAX_LENGTH = 10_000
# A regular expression runs against at most this much text, which bounds how long any match can take.
REGEXP_VALUE_MAX_LENGTH = 255
LOOKUP_TEXT_MAX_LENGTH = 600  # a suggestion's label: a name, an email address and an id
PATTERN_MAX_LENGTH = 200
DECIMAL_MAX_DIGITS = 30
DECIMAL_MAX_PLACES = 10
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # what a 64-bit integer column or API client can hold
OPTION_TYPES = (FieldType.DROPDOWN, FieldType.MULTISELECT)
# The records that hold values, by model name (those apps use this one, so it never imports them).
RECORD_MODELS = {
    FieldObject.USER: "accounts.User",
    FieldObject.ORGANIZATION: "profiles.Organization",
    FieldObject.TICKET: "tickets.Ticket",
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_INTEGER = re.compile(r"[+-]?\d{1,25}")
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


# Reads ---------------------------------------------------------------------------------------------


def custom_fields_of(*, account: Account, object_type: str) -> list[CustomField]:
    """Every field the admins defined for one kind of record, active or not, in their order."""
    return list(CustomField.objects.filter(account=account, object_type=object_type).order_by("position", "id"))


def custom_field_get(*, account: Account, object_type: str, field_id: int) -> CustomField | None:
    """One field of the account for one kind of record; None for another account's or kind's id."""
    return CustomField.objects.filter(account=account, object_type=object_type, pk=field_id).first()


def custom_fields_visible(*, account: Account, object_type: str, role: str) -> list[CustomField]:
    """The active fields someone of `role` sees on one kind of record, in the admins' order."""
    return _visible(_active_fields(account, object_type), role)


def lookup_fields_visible(*, account: Account, role: str) -> list[CustomField]:
    """The active lookup fields someone of `role` sees, on every kind of record (organizations', tickets',
    then users'), each kind in the admins' order: who may point at whom. Read with one query at most."""
    return [f for f in _visible(_active_fields(account, None), role) if f.type == FieldType.LOOKUP]


def _visible(fields: list[CustomField], role: str) -> list[CustomField]:
    if role not in (Role.AGENT, Role.ADMIN):
        return []
    if role == Role.AGENT:
        return [f for f in fields if f.agent_access != AgentAccess.HIDDEN]
    return fields


# Definitions change rarely and are read on every page that shows a record: each process keeps them, under
# the account's custom_fields_version (read with the account on every request), which every change of a
# definition bumps in its own transaction (`custom_fields_changed`).
_DEFINITIONS_KEPT_FOR = 3600  # seconds


def _active_fields(account: Account, object_type: str | None) -> list[CustomField]:
    """The account's active fields of one kind of record, or of every kind (None), kind by kind."""
    key = f"custom-fields:{account.pk}:{account.custom_fields_version}:{object_type or '*'}"
    rows = cache.get(key)
    if rows is None:
        active = CustomField.objects.filter(account=account, active=True)
        if object_type is not None:
            active = active.filter(object_type=object_type)
        # From the primary, as the version was: a replica a moment behind would keep old definitions under it.
        with primary_reads():
            rows = list(active.order_by("object_type", "position", "id").values())
        cache.set(key, rows, _DEFINITIONS_KEPT_FOR)
    return [CustomField(**row) for row in rows]


def custom_field_usage_count(field: CustomField) -> int:
    """How many records of the field's account hold a value under its key."""
    model = apps.get_model(RECORD_MODELS[field.object_type])
    return model.objects.filter(account_id=field.account_id, custom_fields__has_key=field.key).count()


def custom_field_visible_to(field: CustomField, role: str) -> bool:
    return field.active and (role == Role.ADMIN or (role == Role.AGENT and field.agent_access != AgentAccess.HIDDEN))


def custom_field_writable_by(field: CustomField, role: str) -> bool:
    return custom_field_visible_to(field, role) and (role == Role.ADMIN or field.agent_access == AgentAccess.EDITABLE)


# Values --------------------------------------------------------------------------------------------


def storable_text(text: str) -> None:
    """A form validator: refuse NUL characters and lone surrogates, which no database keeps."""
    if not text_is_storable(text):
        raise ValidationError(_("Remove the invisible control characters from this text."), code="unstorable")


def _text(raw: Any, max_length: int) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ValidationError(_("Enter text."), code="invalid")
    text = str(raw).replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")
    storable_text(text)
    if len(text) > max_length:
        raise ValidationError(
            _("Keep this under %(max)s characters (it has %(count)s).") % {"max": max_length, "count": len(text)},
            code="max_length",
        )
    return text


def _integer(raw: Any) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        number = int(raw.strip())
    else:
        raise ValidationError(_("Enter a whole number."), code="invalid")
    low, high = INTEGER_RANGE
    if not low <= number <= high:
        raise ValidationError(_("This number is too large."), code="max_value")
    return number


def _decimal(raw: Any) -> str:
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        raw = str(raw)
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > DECIMAL_MAX_DIGITS + 2 and _DECIMAL.fullmatch(text):
        raise ValidationError(_("This number is too large."), code="max_digits")
    if not _DECIMAL.fullmatch(text):
        raise ValidationError(_("Enter a number such as 1234.56."), code="invalid")
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_("Enter a number such as 1234.56."), code="invalid") from None
    sign, digits, exponent = number.as_tuple()
    if -exponent > DECIMAL_MAX_PLACES:
        raise ValidationError(
            _("Use at most %(places)s digits after the decimal point.") % {"places": DECIMAL_MAX_PLACES},
            code="max_decimal_places",
        )
    if len(digits) > DECIMAL_MAX_DIGITS:
        raise ValidationError(_("This number is too large."), code="max_digits")
    return format(number, "f")


def _checkbox(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValidationError(_("Choose yes or no."), code="invalid")


def _date(raw: Any) -> str:
    if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
        return raw.isoformat()
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(_("Enter a real date as yyyy-mm-dd, e.g. 2025-03-31."), code="invalid") from None


def _option(field: CustomField, raw: Any) -> str:
    values = [o["value"] for o in field.options]
    if not isinstance(raw, str) or raw.strip() not in values:
        shown = str(raw)[:100] if isinstance(raw, (str, int, float)) else "?"
        raise ValidationError(
            _("“%(value)s” is not one of this field's options.") % {"value": shown}, code="invalid_choice"
        )
    return raw.strip()


def _options(field: CustomField, raw: Any) -> list[str] | None:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ValidationError(_("Choose from this field's options."), code="invalid_list")
    chosen = {_option(field, item) for item in items if not (isinstance(item, str) and not item.strip())}
    return [o["value"] for o in field.options if o["value"] in chosen] or None


class PatternError(ValueError):
    """An admin's pattern that the matching engine refuses; the message says why."""


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is an answer to the admin, not a line in the server's log


@functools.lru_cache(maxsize=256)
def compiled_pattern(pattern: str):
    """An admin's pattern, compiled for RE2: it matches in time linear in the text whatever the pattern
    (no backtracking), so no pattern can stall a worker. Raises PatternError for a pattern RE2 refuses
    (a syntax error, or a back-reference or look-around, which RE2 doesn't do)."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        raise PatternError(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None


def _regexp(field: CustomField, raw: Any) -> str:
    text = _text(raw, REGEXP_VALUE_MAX_LENGTH)
    try:
        matches = compiled_pattern(field.regexp).fullmatch(text)
    except PatternError:
        raise ValidationError(_("This field's pattern is broken; ask an admin to fix it."), code="invalid") from None
    if not matches:
        if field.format_hint:
            message = _("This value isn't in the format this field expects. %(hint)s") % {"hint": field.format_hint}
        else:
            message = _("This value isn't in the format this field expects.")
        raise ValidationError(message, code="invalid")
    return text


def custom_field_clean(field: CustomField, raw: Any, *, account: Account) -> Any:
    """The value to store for what was typed or sent for `field`; None when empty (a checkbox is False).
    Raises ValidationError with a message for the person who typed it."""
    if field.type == FieldType.CHECKBOX:
        return False if raw is None else _checkbox(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw):
        return None
    match field.type:
        case FieldType.TEXT:
            return _text(raw, TEXT_MAX_LENGTH)
        case FieldType.TEXTAREA:
            return _text(raw, TEXTAREA_MAX_LENGTH)
        case FieldType.INTEGER:
            return _integer(raw)
        case FieldType.DECIMAL:
            return _decimal(raw)
        case FieldType.DATE:
            return _date(raw)
        case FieldType.DROPDOWN:
            return _option(field, raw)
        case FieldType.MULTISELECT:
            return _options(field, raw)
        case FieldType.REGEXP:
            return _regexp(field, raw)
        case FieldType.LOOKUP:
            if isinstance(raw, str):
                _text(raw, LOOKUP_TEXT_MAX_LENGTH)
            return lookup_resolve(account=account, target=field.lookup_target, text=raw)
    raise ValidationError(_("This field's type is unknown."), code="invalid")


def custom_field_values_apply(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with `changes` laid over it; a None change removes the key (an emptied field)."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def custom_field_values_clean(
    *, account: Account, object_type: str, submitted: Mapping[str, Any], role: str
) -> dict[str, Any]:
    """Clean values sent by key (an API body or a hand-made POST): keys the role may not write are refused,
    hidden and inactive ones as if they didn't exist. Raises ValidationError({key: [messages]})."""
    fields = {f.key: f for f in CustomField.objects.filter(account=account, object_type=object_type)}
    cleaned, errors = {}, {}
    for key, raw in submitted.items():
        field = fields.get(key)
        if field is None or not custom_field_visible_to(field, role):
            errors[key] = [_("There is no field with this key.")]
        elif not custom_field_writable_by(field, role):
            errors[key] = [_("This field is read-only.")]
        else:
            try:
                cleaned[key] = custom_field_clean(field, raw, account=account)
            except ValidationError as error:
                errors[key] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def custom_field_values_writable(
    *, fields: Iterable[CustomField], cleaned_data: Mapping[str, Any], role: str
) -> dict[str, Any]:
    """From a form's cleaned data, the values `role` may write, by key; everything else is dropped."""
    return {
        f.key: cleaned_data[FORM_PREFIX + f.key]
        for f in fields
        if custom_field_writable_by(f, role) and FORM_PREFIX + f.key in cleaned_data
    }


# Display -------------------------------------------------------------------------------------------


def custom_field_lookup_labels(
    *,
    account: Account,
    fields: Iterable[CustomField],
    values: Iterable[Mapping[str, Any]],
    known: Mapping[str, Mapping[int, str]] | None = None,
) -> dict[str, dict[int, str]]:
    """Labels for every lookup value of `fields` found in `values` (one dict per record): one query per
    target kind, however many records and fields; none for the labels `known` already (by target, by id)."""
    known = known or {}
    lookups = [f for f in fields if f.type == FieldType.LOOKUP]
    wanted: dict[str, set] = {}
    for record_values in values:
        for f in lookups:
            value = record_values.get(f.key)
            if value is not None and value not in known.get(f.lookup_target, {}):
                wanted.setdefault(f.lookup_target, set()).add(value)
    found = lookup_labels(account=account, ids_by_target=wanted)
    return {target: {**known.get(target, {}), **found.get(target, {})} for target in {*known, *found}}


def custom_field_display(
    field: CustomField, value: Any, *, labels: Mapping[str, Mapping[int, str]] | None = None
) -> str:
    """A stored value as a person reads it; "" when there is none."""
    if field.type == FieldType.CHECKBOX:
        return _("Yes") if value is True else _("No")
    if value is None or value == "" or value == []:
        return ""
    names = {o["value"]: o["name"] for o in field.options}
    if field.type == FieldType.DROPDOWN:
        return names.get(value, str(value))
    if field.type == FieldType.MULTISELECT and isinstance(value, list):
        return ", ".join(names.get(v, str(v)) for v in value)
    if field.type == FieldType.DATE:
        try:
            return formats.date_format(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field.type == FieldType.LOOKUP:
        return (labels or {}).get(field.lookup_target, {}).get(value) or f"#{value}"
    return str(value)
