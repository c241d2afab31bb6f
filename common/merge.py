"""Saving what one person changed in a form without silently overwriting what someone else saved meanwhile
(B9): each field is merged three ways, between the value the form was loaded with, the value saved now and
the value typed. Customers, organizations and tickets all save this way."""

import datetime
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

KEEP, SAVE, CONFLICT = "keep", "save", "conflict"


def merge_field(original: Any, theirs: Any, yours: Any, same: Callable[[Any, Any], bool] = operator.eq) -> str:
    """A three-way merge of one field. Untouched by this person: keep what is saved. Changed by them only
    (or to what someone else also chose): save it. Changed by both, differently: a conflict."""
    if same(yours, original) or same(yours, theirs):
        return KEEP
    return SAVE if same(theirs, original) else CONFLICT


@dataclass
class FieldConflict:
    """A field both people changed: its form name, the value saved meanwhile, and this person's (as read);
    who saved theirs and when, where the audit log knows."""

    field: str
    theirs: str
    yours: str
    by: str = ""
    at: datetime.datetime | None = None


class EditConflict(Exception):
    """Someone else saved a field this person also changed since the form was loaded; nothing was written.
    `current` holds each field's value as saved now, by form name, to compare the next attempt against."""

    def __init__(self, conflicts: list[FieldConflict], current: dict):
        super().__init__(", ".join(c.field for c in conflicts))
        self.conflicts = conflicts
        self.current = current


def merge_fields(
    *,
    current: Mapping[str, Any],
    changes: Mapping[str, Any],
    originals: Mapping[str, Any],
    normalize: Callable[[str, Any], Any] = lambda name, value: value,
) -> tuple[dict, list[FieldConflict]]:
    """A record's own fields, merged: the values to save by field name, and the conflicts. `current` holds
    the values saved now (already normalized), `originals` those the form was loaded with (a field missing
    there is compared with what is saved now: no conflict check). Fields not in `current` are ignored."""
    touched, conflicts = {}, []
    for name, value in changes.items():
        if name not in current:
            continue
        yours = normalize(name, value)
        original = normalize(name, originals[name]) if name in originals else current[name]
        merge = merge_field(original, current[name], yours)
        if merge == CONFLICT:
            conflicts.append(FieldConflict(field=name, theirs=str(current[name]), yours=str(yours)))
        elif merge == SAVE:
            touched[name] = yours
    return touched, conflicts
