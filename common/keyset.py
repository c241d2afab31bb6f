"""Keyset ("seek") pagination: each page starts after the last row of the previous one, never at an OFFSET."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections
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
    return paginate_merged([queryset], keys=keys, after=after, before=before, size=size)


def paginate_merged(
    querysets: list[QuerySet],
    *,
    keys: list[tuple[str, bool]],
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
) -> KeysetPage:
    """One page of the union of several querysets of one model (disjoint, each able to seek an index of its
    own), ordered by `keys`: each contributes at most a page, one statement merges them and cuts the page.
    Keys are plain columns here."""
    names = [name for name, _ in keys]
    before_values = decode_cursor(before, len(keys))
    after_values = decode_cursor(after, len(keys)) if before_values is None else None
    backward = before_values is not None
    walk = [(n, not d) for n, d in keys] if backward else keys
    cursor_values = before_values if backward else after_values
    if cursor_values is not None:
        querysets = [qs.filter(_beyond(walk, cursor_values)) for qs in querysets]
    order = [f"-{n}" if d else n for n, d in walk]
    parts = [qs.order_by(*order)[: size + 1] for qs in querysets]
    rows = list(parts[0]) if len(parts) == 1 else _merged(parts, walk, size + 1)
    more = len(rows) > size
    items = rows[:size]
    if backward:
        items.reverse()
    page = KeysetPage(items=items)
    if not items:
        return page
    # Walking back, there is always a next page (the one we came from); walking on, a previous one.
    if more or backward:
        page.next_cursor = encode_cursor(_values(items[-1], names))
    if (backward and more) or (not backward and after_values is not None):
        page.prev_cursor = encode_cursor(_values(items[0], names))
    return page


def _merged(parts: list[QuerySet], keys: list[tuple[str, bool]], limit: int) -> list:
    """The first `limit` rows of the union of `parts` (each already ordered and sliced), in `keys` order."""
    model = parts[0].model
    sql, params = [], []
    for i, part in enumerate(parts):
        part_sql, part_params = part.query.sql_with_params()
        # Django compiled each part, values stay parameters: no text from a request reaches this string.
        sql.append(f"SELECT * FROM ({part_sql}) AS part{i}")  # noqa: S608
        params.extend(part_params)
    quote = connections[parts[0].db].ops.quote_name
    order = ", ".join(f"{quote(model._meta.get_field(n).column)} {'DESC' if d else 'ASC'}" for n, d in keys)
    union = f"{' UNION ALL '.join(sql)} ORDER BY {order} LIMIT {int(limit)}"
    return list(model.objects.db_manager(parts[0].db).raw(union, params))


def _values(obj, names: list[str]) -> list:
    values = []
    for name in names:
        value = obj
        for part in name.split("__"):
            value = getattr(value, part)
        values.append(value)
    return values
