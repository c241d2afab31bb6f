"""Keyset ("seek") pagination: each page starts after the last row of the previous one, never at an OFFSET."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, models
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


def _reject_constant(name: str):
    raise ValueError(f"{name} is not in a cursor")


# A cursor holds no NaN or Infinity: encode_cursor never writes them.
_CURSOR_JSON = json.JSONDecoder(parse_constant=_reject_constant)
_BIGINT = 2**63  # every integer key is a 64-bit column


def decode_cursor(cursor: str | None, length: int) -> list | None:
    """The cursor's raw values, or None when it is missing or malformed. Prefer `cursor_values`, which also
    checks each value against the type of its key."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = _CURSOR_JSON.decode(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
        return None
    return values


def cursor_values(cursor: str | None, types: list[type]) -> list | None:
    """The cursor's values as `types` (datetime: aware, in UTC's range; int: 64-bit; str: no NUL, valid
    UTF-8), or None when it is missing or could not have been made by this list: a crafted cursor is
    never handed to the database (where it would fail), the caller starts at the top or refuses it."""
    values = decode_cursor(cursor, len(types))
    if values is None:
        return None
    try:
        return [_typed(value, kind) for value, kind in zip(values, types, strict=True)]
    except (ValueError, TypeError, OverflowError):
        return None


def _typed(value, kind: type):
    if kind is datetime.datetime:
        if not isinstance(value, str):
            raise TypeError
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC)  # OverflowError past year 1 or 9999 in UTC
    if kind is int:
        if type(value) is not int or not -_BIGINT <= value < _BIGINT:
            raise TypeError
        return value
    if kind is str:
        if not isinstance(value, str) or "\x00" in value:
            raise TypeError
        value.encode()  # UnicodeEncodeError (a ValueError) on a lone surrogate
        return value
    raise TypeError(f"no cursor type {kind}")


def _key_type(queryset: QuerySet, name: str) -> type:
    """The Python type of a key's values: of the model's column (across relations: "user__name"), or of an
    annotation (a computed sort key)."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        field = annotation.output_field
    else:
        model, *path, last = [queryset.model, *name.split("__")]
        for part in path:
            model = model._meta.get_field(part).related_model
        field = model._meta.get_field(last)
        if field.is_relation and not field.many_to_many:  # "user_id" or "user": the key is its id
            field = field.target_field
    if isinstance(field, models.DateTimeField):
        return datetime.datetime
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return int
    if isinstance(field, (models.CharField, models.TextField)):
        return str
    raise TypeError(f"{name}: keyset pagination has no cursor type for {type(field).__name__}")


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
    types = [_key_type(querysets[0], name) for name in names]
    before_values = cursor_values(before, types)
    after_values = cursor_values(after, types) if before_values is None else None
    backward = before_values is not None
    walk = [(n, not d) for n, d in keys] if backward else keys
    start_values = before_values if backward else after_values
    if start_values is not None:
        querysets = [qs.filter(_beyond(walk, start_values)) for qs in querysets]
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
