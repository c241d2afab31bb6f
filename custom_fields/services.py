"""Writes on custom field definitions (the admin center). Each records its audit entry in the same transaction.

A field's key never changes once created: every record's value is stored under it. Nor does its type
(or a lookup's target) once any record of the account holds a value, which would then stop making sense.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, User
from accounts.services import audit_record
from custom_fields.models import AgentAccess, CustomField, FieldObject, FieldType
from custom_fields.values import (
    OPTION_TYPES,
    PATTERN_MAX_LENGTH,
    RECORD_MODELS,
    PatternError,
    compiled_pattern,
    custom_field_usage_count,
)

KEY_MAX_LENGTH = 64
MAX_OPTIONS = 500
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_OPTION_VALUE = re.compile(r"[\w-]{1,64}")
_AUDITED = (
    "object_type",
    "key",
    "title",
    "description",
    "type",
    "options",
    "regexp",
    "format_hint",
    "lookup_target",
)
FORMAT_HINT_MAX_LENGTH = 200
_AUDITED += ("agent_access", "active", "position")


def custom_fields_changed(*, account: Account) -> None:
    """Mark the account's definitions as changed, in the caller's transaction: every process reads them
    afresh from then on (see `custom_fields_visible`)."""
    Account.objects.filter(pk=account.pk).update(custom_fields_version=F("custom_fields_version") + 1)
    account.refresh_from_db(fields=["custom_fields_version"])


def key_from_title(title: str) -> str:
    """A field key derived from its title: "Account manager" → "account_manager"."""
    key = slugify(title).replace("-", "_").strip("_")
    key = re.sub(r"^[\d_]+", "", key)
    return key[:KEY_MAX_LENGTH].rstrip("_")


def option_value_from_name(name: str) -> str:
    """The value stored for an option when the admin gives only its name: "Support plans" → "support_plans"."""
    return slugify(name, allow_unicode=True).replace("-", "_").strip("_")[:64]


def regexp_problem(pattern: str) -> str | None:
    """What is wrong with an admin's pattern for a regular-expression field, or None when it is usable."""
    if not pattern:
        return _("Enter the pattern values must match.")
    if len(pattern) > PATTERN_MAX_LENGTH:
        return _("Keep the pattern under %(max)s characters.") % {"max": PATTERN_MAX_LENGTH}
    try:
        compiled_pattern(pattern)
    except PatternError as error:
        return _(
            "This pattern can't be used: %(error)s. Use the usual syntax without back-references (\\1) or "
            "look-arounds ((?=…), (?<=…)), which can't be checked quickly."
        ) % {"error": error}
    return None


def _clean_options(options: Any) -> tuple[list[dict], str | None]:
    if not isinstance(options, (list, tuple)):
        return [], _("Add at least one option.")
    cleaned, values, names = [], set(), set()
    for option in options:
        if not isinstance(option, Mapping):
            return [], _("Each option needs a name and a value.")
        name = " ".join(str(option.get("name") or "").split())
        value = str(option.get("value") or "").strip() or option_value_from_name(name)
        if not name or len(name) > 255 or "\x00" in name:
            return [], _("Give every option a name of at most 255 characters.")
        if not _OPTION_VALUE.fullmatch(value):
            return [], _("Option “%(name)s” needs a value made of letters, digits, - or _ (at most 64).") % {
                "name": name
            }
        if value in values:
            return [], _("Two options have the value “%(value)s”; each needs its own.") % {"value": value}
        if name.casefold() in names:
            return [], _("Two options are called “%(name)s”.") % {"name": name}
        values.add(value)
        names.add(name.casefold())
        cleaned.append({"name": name, "value": value})
    if not cleaned:
        return [], _("Add at least one option.")
    if len(cleaned) > MAX_OPTIONS:
        return [], _("A field can have at most %(max)s options.") % {"max": MAX_OPTIONS}
    return cleaned, None


def _definition(
    *, type: str, options: Any, regexp: str, lookup_target: str, format_hint: str = ""
) -> tuple[dict, dict]:
    """The type-specific attributes, normalised (those that don't apply to the type are emptied), and
    what is wrong with them, by argument name."""
    errors = {}
    if type not in FieldType.values:
        errors["type"] = _("Choose one of the field types.")
    definition = {"type": type, "options": [], "regexp": "", "format_hint": "", "lookup_target": ""}
    if type in OPTION_TYPES:
        definition["options"], problem = _clean_options(options)
        if problem:
            errors["options"] = problem
    elif type == FieldType.REGEXP:
        definition["regexp"] = (regexp or "").strip()
        if problem := regexp_problem(definition["regexp"]):
            errors["regexp"] = problem
        definition["format_hint"] = _clean_text(
            errors, "format_hint", format_hint, FORMAT_HINT_MAX_LENGTH, required=False
        )
    elif type == FieldType.LOOKUP:
        definition["lookup_target"] = lookup_target or ""
        if definition["lookup_target"] not in FieldObject.values:
            errors["lookup_target"] = _("Choose what this field points to.")
    return definition, errors


def _clean_text(errors: dict, name: str, value: str, max_length: int, *, required: bool) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        errors[name] = _("This can't be empty.")
    elif len(text) > max_length or "\x00" in text:
        errors[name] = _("Keep this under %(max)s characters.") % {"max": max_length}
    return text


def _snapshot(field: CustomField, names: Iterable[str] = _AUDITED) -> dict:
    return {name: getattr(field, name) for name in names}


def _used_by_message(field: CustomField, count: int) -> str:
    messages = {
        FieldObject.USER: ngettext(
            "%(count)s user already has a value for this field, so its type can't change. Add a new field instead.",
            "%(count)s users already have a value for this field, so its type can't change. Add a new field instead.",
            count,
        ),
        FieldObject.ORGANIZATION: ngettext(
            "%(count)s organization already has a value for this field, so its type can't change. "
            "Add a new field instead.",
            "%(count)s organizations already have a value for this field, so its type can't change. "
            "Add a new field instead.",
            count,
        ),
        FieldObject.TICKET: ngettext(
            "%(count)s ticket already has a value for this field, so its type can't change. Add a new field instead.",
            "%(count)s tickets already have a value for this field, so its type can't change. Add a new field instead.",
            count,
        ),
    }
    return messages[field.object_type] % {"count": count}


@transaction.atomic
def custom_field_create(
    *,
    account: Account,
    actor: User,
    object_type: str,
    title: str,
    type: str,
    key: str = "",
    description: str = "",
    options: list[dict] | None = None,
    regexp: str = "",
    format_hint: str = "",
    lookup_target: str = "",
    agent_access: str = AgentAccess.EDITABLE,
) -> CustomField:
    """Define a new field, last in its kind's order. Raises ValidationError({argument: message})."""
    if object_type not in FieldObject.values:
        raise ValidationError({"object_type": _("Choose users, organizations or tickets.")})
    errors: dict[str, str] = {}
    title = _clean_text(errors, "title", title, 255, required=True)
    description = _clean_text(errors, "description", description, 500, required=False)
    key = (key or "").strip().lower() or key_from_title(title)
    if not _KEY.fullmatch(key):
        errors.setdefault("key", _("Use lowercase letters, digits and underscores, starting with a letter."))
    elif CustomField.objects.filter(account=account, object_type=object_type, key=key).exists():
        errors["key"] = _("Another field here already uses the key “%(key)s”.") % {"key": key}
    definition, problems = _definition(
        type=type, options=options, regexp=regexp, lookup_target=lookup_target, format_hint=format_hint
    )
    errors.update(problems)
    if agent_access not in AgentAccess.values:
        errors["agent_access"] = _("Choose what agents can do with this field.")
    if errors:
        raise ValidationError(errors)
    last = CustomField.objects.filter(account=account, object_type=object_type).aggregate(last=Max("position"))
    try:
        with transaction.atomic():
            field = CustomField.objects.create(
                account=account,
                object_type=object_type,
                key=key,
                title=title,
                description=description,
                agent_access=agent_access,
                position=0 if last["last"] is None else last["last"] + 1,
                **definition,
            )
    except IntegrityError:  # another admin took the key in the meantime
        raise ValidationError({"key": _("Another field here already uses the key “%(key)s”.") % {"key": key}}) from None
    custom_fields_changed(account=account)
    audit_record(account=account, actor=actor, action="custom_field.created", target=field, after=_snapshot(field))
    return field


@transaction.atomic
def custom_field_update(
    *,
    field: CustomField,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    type: str | None = None,
    options: list[dict] | None = None,
    regexp: str | None = None,
    format_hint: str | None = None,
    lookup_target: str | None = None,
    agent_access: str | None = None,
) -> list[str]:
    """Change a field's definition (None keeps an attribute); returns the attributes changed. The key
    never changes; the type and lookup target can't once values exist. Raises ValidationError."""
    locked = CustomField.objects.select_for_update().get(pk=field.pk, account_id=field.account_id)
    before = _snapshot(locked)
    errors: dict[str, str] = {}
    after = dict(before)
    after["title"] = _clean_text(errors, "title", locked.title if title is None else title, 255, required=True)
    after["description"] = _clean_text(
        errors, "description", locked.description if description is None else description, 500, required=False
    )
    definition, problems = _definition(
        type=locked.type if type is None else type,
        options=locked.options if options is None else options,
        regexp=locked.regexp if regexp is None else regexp,
        lookup_target=locked.lookup_target if lookup_target is None else lookup_target,
        format_hint=locked.format_hint if format_hint is None else format_hint,
    )
    after.update(definition)
    errors.update(problems)
    after["agent_access"] = locked.agent_access if agent_access is None else agent_access
    if after["agent_access"] not in AgentAccess.values:
        errors["agent_access"] = _("Choose what agents can do with this field.")
    reshaped = [name for name in ("type", "lookup_target") if after[name] != before[name] and name not in errors]
    if reshaped and (count := custom_field_usage_count(locked)):
        errors[reshaped[0]] = _used_by_message(locked, count)
    if errors:
        raise ValidationError(errors)
    changed = [name for name in _AUDITED if after[name] != before[name]]
    if not changed:
        return []
    for name in changed:
        setattr(locked, name, after[name])
        setattr(field, name, after[name])
    locked.save(update_fields=changed)
    custom_fields_changed(account=field.account)  # the caller's account object reads the new version too
    audit_record(
        account=locked.account,
        actor=actor,
        action="custom_field.updated",
        target=locked,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return changed


@transaction.atomic
def custom_field_set_active(*, field: CustomField, actor: User, active: bool) -> bool:
    """Deactivate a field (hidden everywhere, values kept) or bring it back; returns whether it changed."""
    locked = CustomField.objects.select_for_update().get(pk=field.pk, account_id=field.account_id)
    if locked.active == active:
        return False
    CustomField.objects.filter(pk=locked.pk).update(active=active)
    field.active = locked.active = active
    custom_fields_changed(account=field.account)  # the caller's account object reads the new version too
    audit_record(
        account=locked.account,
        actor=actor,
        action="custom_field.activated" if active else "custom_field.deactivated",
        target=locked,
        before={"active": not active},
        after={"active": active},
    )
    return True


@transaction.atomic
def custom_field_reorder(*, account: Account, actor: User, object_type: str, order: list[int]) -> bool:
    """Put one kind's fields (active or not) in the order of `order`, a list of all their ids; returns
    whether anything moved. Raises ValidationError when `order` isn't exactly those ids."""
    fields = list(
        CustomField.objects.select_for_update()
        .filter(account=account, object_type=object_type)
        .order_by("position", "id")
    )
    by_id = {f.pk: f for f in fields}
    if len(order) != len(fields) or set(order) != set(by_id):
        raise ValidationError({"order": _("The list of fields changed meanwhile; reload the page and try again.")})
    moved = [by_id[pk] for i, pk in enumerate(order) if by_id[pk].position != i]
    for i, pk in enumerate(order):
        by_id[pk].position = i
    CustomField.objects.bulk_update(moved, ["position"])
    if moved:
        custom_fields_changed(account=account)
    before, after = [f.key for f in fields], [by_id[pk].key for pk in order]
    if before == after:  # at most the positions were renumbered, nothing an admin would see
        return False
    audit_record(
        account=account,
        actor=actor,
        action="custom_field.reordered",
        target=account,
        before={"object_type": object_type, "order": before},
        after={"object_type": object_type, "order": after},
    )
    return True


@transaction.atomic
def custom_field_move(*, field: CustomField, actor: User, offset: int) -> bool:
    """Move a field `offset` places down (negative: up) among its kind's fields; returns whether it moved."""
    ids = list(
        CustomField.objects.select_for_update()
        .filter(account_id=field.account_id, object_type=field.object_type)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    here = ids.index(field.pk)
    there = max(0, min(len(ids) - 1, here + offset))
    if here == there:
        return False
    ids.insert(there, ids.pop(here))
    return custom_field_reorder(account=field.account, actor=actor, object_type=field.object_type, order=ids)


@transaction.atomic
def custom_field_delete(*, field: CustomField, actor: User) -> None:
    """Delete a field for good, with every record's value for it (so a later field reusing its key starts
    empty). Deactivate a field instead to hide it and keep its values."""
    locked = CustomField.objects.select_for_update().get(pk=field.pk, account_id=field.account_id)
    model = apps.get_model(RECORD_MODELS[locked.object_type])
    holders = model.objects.filter(account_id=locked.account_id, custom_fields__has_key=locked.key)
    while True:
        rows = list(holders.only("pk", "custom_fields").order_by("pk")[:1000])
        if not rows:
            break
        for row in rows:
            row.custom_fields.pop(locked.key, None)
        model.objects.bulk_update(rows, ["custom_fields"])
    custom_fields_changed(account=field.account)  # the caller's account object reads the new version too
    audit_record(
        account=locked.account, actor=actor, action="custom_field.deleted", target=locked, before=_snapshot(locked)
    )
    locked.delete()
