"""The original's two ways of paging a list.

Cursor pages, when the client sends `page[size]` (or a `page[after]`/`page[before]` cursor):
`{"users": […], "meta": {"has_more", "after_cursor", "before_cursor"}, "links": {"next", "prev"}}`; each page
starts after the last row of the previous one (an index seek, flat cost at any depth).

Offset pages otherwise: `{"users": […], "next_page", "previous_page", "count"}` with `page` and `per_page`.
Like the original, they stop at the first 10,000 records (so neither the OFFSET nor the count ever walks
more than that): beyond, clients use cursor pages.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import msgspec
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from api.routing import Param, bad_parameter
from common.keyset import KeysetPage, decode_cursor, paginate

PAGE_SIZE_MAX = 100
OFFSET_RECORDS_MAX = 10_000

QUERY = (
    Param(
        "page[size]", "Cursor pages of this many records (1–100).", {"type": "integer", "minimum": 1, "maximum": 100}
    ),
    Param("page[after]", "The `meta.after_cursor` of the previous page."),
    Param("page[before]", "The `meta.before_cursor` of the next page."),
    Param("page", "Offset page number (offset pages stop at 10,000 records).", {"type": "integer", "minimum": 1}),
    Param("per_page", "Records per offset page (1–100).", {"type": "integer", "minimum": 1, "maximum": 100}),
)


class CursorMeta(msgspec.Struct):
    has_more: bool
    after_cursor: str | None
    before_cursor: str | None


class CursorLinks(msgspec.Struct):
    next: str | None
    prev: str | None


@dataclass
class Page:
    """One page of records and how to reach its neighbours, in either style."""

    items: list
    envelope: dict


def page_of(request, queryset: QuerySet, *, keys: list[tuple[str, bool]]) -> Page:
    """One page of `queryset` (ordered by `keys`, the last one unique) in the style the request asks for."""
    params = request.GET
    if any(params.get(name) for name in ("page[size]", "page[after]", "page[before]")):
        return _cursor_page(request, queryset, keys)
    return _offset_page(request, queryset, keys)


def _number(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_parameter(name, _("Must be a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(raw)


def cursor_params(request, keys: int) -> tuple[int, str | None, str | None]:
    """The cursor page a request asks for: (size, after, before); a 400 naming a bad parameter."""
    size = _number(request, "page[size]", PAGE_SIZE_MAX, 1, PAGE_SIZE_MAX)
    cursors = []
    for name in ("page[after]", "page[before]"):
        raw = request.GET.get(name) or None
        if raw is not None and decode_cursor(raw, keys) is None:
            raise bad_parameter(name, _("Must be a cursor from a previous page's links or meta."))
        cursors.append(raw)
    return size, cursors[0], cursors[1]


def cursor_envelope(request, page: KeysetPage, size: int) -> dict:
    """`meta` and `links` for a keyset page; the links keep the request's other parameters."""
    kept = {k: v for k, v in request.GET.items() if not k.startswith("page")}

    def link(name: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = urlencode({**kept, "page[size]": size, name: cursor}, safe="[],:")
        return request.build_absolute_uri(f"{request.path}?{query}")

    next_link, prev_link = link("page[after]", page.next_cursor), link("page[before]", page.prev_cursor)
    return {
        "meta": CursorMeta(has_more=page.has_next, after_cursor=page.next_cursor, before_cursor=page.prev_cursor),
        "links": CursorLinks(next=next_link, prev=prev_link),
    }


def _cursor_page(request, queryset, keys) -> Page:
    size, after, before = cursor_params(request, len(keys))
    page = paginate(queryset, keys=keys, after=after, before=before, size=size)
    return Page(page.items, cursor_envelope(request, page, size))


def _offset_page(request, queryset, keys) -> Page:
    per_page = _number(request, "per_page", PAGE_SIZE_MAX, 1, PAGE_SIZE_MAX)
    number = _number(request, "page", 1, 1, OFFSET_RECORDS_MAX)
    start = (number - 1) * per_page
    if start >= OFFSET_RECORDS_MAX:
        raise bad_parameter("page", _("Offset pages stop at 10,000 records: use cursor pages (page[size]) beyond."))
    ordered = queryset.order_by(*[f"-{name}" if descending else name for name, descending in keys])
    rows = list(ordered[start : start + per_page + 1])
    count = queryset.order_by()[:OFFSET_RECORDS_MAX].count()
    kept = {k: v for k, v in request.GET.items() if k not in ("page", "per_page")}

    def link(to: int) -> str:
        query = urlencode({**kept, "page": to, "per_page": per_page}, safe="[],")
        return request.build_absolute_uri(f"{request.path}?{query}")

    more = len(rows) > per_page and start + per_page < OFFSET_RECORDS_MAX
    return Page(
        rows[:per_page],
        {
            "next_page": link(number + 1) if more else None,
            "previous_page": link(number - 1) if number > 1 else None,
            "count": count,
        },
    )


def page_fields() -> list[tuple]:
    """The envelope's fields, for a list shape (msgspec.defstruct): either style's, absent when unused."""
    return [
        ("next_page", str | None | msgspec.UnsetType, msgspec.UNSET),
        ("previous_page", str | None | msgspec.UnsetType, msgspec.UNSET),
        ("count", int | None | msgspec.UnsetType, msgspec.UNSET),
        ("meta", CursorMeta | msgspec.UnsetType, msgspec.UNSET),
        ("links", CursorLinks | msgspec.UnsetType, msgspec.UNSET),
    ]


def list_shape(name: str, key: str, item: type, **sideloads: type) -> type:
    """A list response: `{key: [item…]}`, the page envelope and optional side-loaded lists."""
    fields = [(key, list[item]), *page_fields()]
    fields += [(extra, list[shape] | msgspec.UnsetType, msgspec.UNSET) for extra, shape in sideloads.items()]
    return msgspec.defstruct(name, fields, kw_only=True)
