"""Keyset ("seek") pagination: each page starts after the last row of the previous one, never at an OFFSET."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None = None
    prev_cursor: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


def _jsonable(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(values: list) -> str:
    raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, length: int) -> list | None:
    """The cursor's values, or None when it is missing or malformed (callers then start at the top)."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    if not all(isinstance(v, (str, int, float)) for v in values):
        return None
    return values


def _beyond(keys: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after `values` in the order given by `keys` (name, descending)."""
    condition = Q()
    for i, (name, descending) in enumerate(keys):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{keys[j][0]: values[j]})
        condition |= step
    # Redundant, but it gives the planner a range on the leading key, so an index seek starts at the
    # cursor instead of filtering every row before it (flat cost at any depth).
    first, descending = keys[0]
    return Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]}) & condition


def paginate(
    queryset: QuerySet,
    *,
    keys: list[tuple[str, bool]],
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
) -> KeysetPage:
    """One page of `queryset` ordered by `keys` (each key non-null; the last one unique, e.g. the id)."""
    names = [name for name, _ in keys]
    forward_order = [f"-{n}" if d else n for n, d in keys]
    backward_order = [n if d else f"-{n}" for n, d in keys]
    before_values = decode_cursor(before, len(keys))
    after_values = decode_cursor(after, len(keys)) if before_values is None else None

    if before_values is not None:
        reversed_keys = [(n, not d) for n, d in keys]
        rows = list(queryset.filter(_beyond(reversed_keys, before_values)).order_by(*backward_order)[: size + 1])
        has_more_before = len(rows) > size
        items = list(reversed(rows[:size]))
        page = KeysetPage(items=items)
        if items:
            page.next_cursor = encode_cursor(_values(items[-1], names))
            if has_more_before:
                page.prev_cursor = encode_cursor(_values(items[0], names))
        return page

    if after_values is not None:
        queryset = queryset.filter(_beyond(keys, after_values))
    rows = list(queryset.order_by(*forward_order)[: size + 1])
    items = rows[:size]
    page = KeysetPage(items=items)
    if len(rows) > size:
        page.next_cursor = encode_cursor(_values(items[-1], names))
    if after_values is not None and items:
        page.prev_cursor = encode_cursor(_values(items[0], names))
    return page


def _values(obj, names: list[str]) -> list:
    values = []
    for name in names:
        value = obj
        for part in name.split("__"):
            value = getattr(value, part)
        values.append(value)
    return values
