"""Saving custom field values on any record, the way every service does it: merged three ways with what
someone else saved meanwhile (`common.merge`), written with their lookup links kept in step, and each
change described for the record's event and audit entry."""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from accounts.models import Account
from accounts.selectors import latest_changes
from common.merge import CONFLICT, SAVE, EditConflict, FieldConflict, merge_field, merge_fields
from custom_fields.models import CustomField, FieldType
from custom_fields.relations import lookup_links_update
from custom_fields.values import (
    FORM_PREFIX,
    custom_field_display,
    custom_field_lookup_labels,
    custom_field_values_apply,
)


def custom_value_token(value: Any) -> str:
    """A custom field value as one comparable string (also what a form carries as the value it loaded)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def custom_value_loaded(token: str) -> Any:
    """The value a form's token stands for; None for a token that isn't one."""
    try:
        return json.loads(token)
    except ValueError:
        return None


def custom_values_same(definition: CustomField, a: Any, b: Any) -> bool:
    """Whether two values of a field mean the same (an unticked box and no value at all do)."""
    if definition.type == FieldType.CHECKBOX:
        return bool(a) == bool(b)
    return custom_value_token(a) == custom_value_token(b)


@dataclass
class CustomMerge:
    """What a save does with custom values: those to write (by key), the conflicts (by form name), the
    values saved now as tokens (by form name, for the next attempt), and the definitions it used (by key)."""

    touched: dict
    conflicts: list[FieldConflict]
    current: dict
    definitions: dict


def custom_values_merge(
    *,
    account: Account,
    object_type: str,
    stored: Mapping[str, Any],
    changes: Mapping[str, Any],
    originals: Mapping[str, str],
    definitions: Iterable[CustomField] | None = None,
) -> CustomMerge:
    """Merge the `changes` made to a record's custom values (by key) with its `stored` values as saved now,
    against the tokens the form was loaded with (`originals`; a key missing there: no conflict check).
    `definitions` are the fields the caller already read (else those changed are read here); a key that
    isn't one of the kind's fields is ignored."""
    if definitions is None and changes:
        definitions = CustomField.objects.filter(account=account, object_type=object_type, key__in=list(changes))
    by_key = {f.key: f for f in definitions or () if f.object_type == object_type}
    touched, conflicts, clashing = {}, [], []
    for key, yours in changes.items():
        definition = by_key.get(key)
        if definition is None:
            continue
        original = custom_value_loaded(originals[key]) if key in originals else stored.get(key)
        merge = merge_field(original, stored.get(key), yours, lambda a, b, d=definition: custom_values_same(d, a, b))
        if merge == CONFLICT:
            clashing.append((definition, yours))
        elif merge == SAVE:
            touched[key] = yours
    if clashing:
        fields = [d for d, _yours in clashing]
        labels = custom_field_lookup_labels(
            account=account, fields=fields, values=[stored, {d.key: yours for d, yours in clashing}]
        )
        conflicts = [
            FieldConflict(
                field=FORM_PREFIX + d.key,
                theirs=custom_field_display(d, stored.get(d.key), labels=labels),
                yours=custom_field_display(d, yours, labels=labels),
            )
            for d, yours in clashing
        ]
    current = {FORM_PREFIX + key: custom_value_token(stored.get(key)) for key in changes}
    return CustomMerge(touched=touched, conflicts=conflicts, current=current, definitions=by_key)


@dataclass
class RecordMerge:
    """A save of one record, merged: its own fields as saved now (`current`) and those to write (`touched`),
    its custom values as saved now (`stored`) and what to do with them (`custom`)."""

    current: dict
    touched: dict
    stored: dict
    custom: CustomMerge


def record_merge(
    *,
    record,
    account: Account,
    object_type: str,
    fields: Iterable[str] = (),
    normalize: Callable[[str, Any], Any] = lambda name, value: value,
    changes: Mapping[str, Any] | None = None,
    originals: Mapping[str, Any] | None = None,
    custom_changes: Mapping[str, Any] | None = None,
    custom_originals: Mapping[str, str] | None = None,
    definitions: Iterable[CustomField] | None = None,
) -> RecordMerge:
    """Merge what someone changed on `record` (read as saved now, its row locked) since their form was
    loaded: its own `fields` (compared once `normalize`d) and its custom values. Raises EditConflict, having
    written nothing, when a field was changed differently by someone else meanwhile."""
    current = {f: normalize(f, getattr(record, f)) for f in fields}
    touched, conflicts = merge_fields(
        current=current, changes=changes or {}, originals=originals or {}, normalize=normalize
    )
    stored = dict(record.custom_fields or {})
    custom = custom_values_merge(
        account=account,
        object_type=object_type,
        stored=stored,
        changes=custom_changes or {},
        originals=custom_originals or {},
        definitions=definitions,
    )
    if conflicts or custom.conflicts:
        clashes = conflicts + custom.conflicts
        _name_who_saved(record, clashes)
        raise EditConflict(clashes, {**current, **custom.current})
    return RecordMerge(current=current, touched=touched, stored=stored, custom=custom)


@dataclass(frozen=True)
class CustomValueChange:
    """One custom value a save changed, as stored and as people read it."""

    field: CustomField
    previous: Any
    current: Any
    previous_display: str
    current_display: str

    def properties(self) -> dict:
        """What an event about this change records."""
        return {
            "field": self.field.key,
            "title": self.field.title,
            "previous": self.previous_display,
            "current": self.current_display,
            "previous_value": self.previous,
            "current_value": self.current,
        }


def custom_values_write(
    *, account: Account, source_id: int, stored: Mapping[str, Any], touched: Mapping[str, Any], definitions: Mapping
) -> tuple[dict, list[CustomValueChange]]:
    """The record's values with `touched` laid over `stored` (for the caller to save), its lookup links
    and counts kept in step (in the caller's transaction, with the record locked), and each change as
    people read it (lookup labels: one query per target kind)."""
    values = custom_field_values_apply(stored, touched)
    fields = [definitions[key] for key in touched]
    lookup_links_update(source_id=source_id, fields=fields, values=values)
    labels = custom_field_lookup_labels(account=account, fields=fields, values=[stored, touched])
    changes = [
        CustomValueChange(
            field=f,
            previous=stored.get(f.key),
            current=touched[f.key],
            previous_display=custom_field_display(f, stored.get(f.key), labels=labels),
            current_display=custom_field_display(f, touched[f.key], labels=labels),
        )
        for f in fields
    ]
    return values, changes


def _name_who_saved(record, conflicts: list[FieldConflict]) -> None:
    """Say, on each conflict, which team member saved the other value and when (from the audit log)."""
    changes = latest_changes(record=record, fields=[c.field for c in conflicts])
    for conflict in conflicts:
        if entry := changes.get(conflict.field):
            conflict.by = entry.actor.name if entry.actor else ""
            conflict.at = entry.created_at
