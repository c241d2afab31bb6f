"""How a customer's events read on the profile page: descriptions in the agent's language, an icon per
source, property trees, and runs of high-volume events folded into one group (B6)."""

import datetime
import functools
import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote, unquote

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from accounts.models import Locale, Role
from activity.models import SUPPORT_SOURCE, Event, EventKind
from activity.selectors import TIMELINE_PAGE_SIZE, EventFilter, events_for_customer, timeline_scope
from common.keyset import KeysetPage, encode_cursor
from common.moments import localtime_total, time_ago
from profiles.identities import phone_format
from tickets.events import TICKET_EVENTS

# The filter drop-down's values are "source" or "source:type", each part with ":" and "%" escaped,
# so any source or type name round-trips and common names stay readable in the URL.
FILTER_SEPARATOR = ":"
_FILTER_SAFE = " !\"#$&'()*+,;<=>?@[\\]^`{|}/"
SOURCE_COLOURS = 8
# Nested properties deeper than this are shown as their JSON text, so a hostile payload cannot make
# the page arbitrarily deep.
MAX_PROPERTY_DEPTH = 6
# Consecutive high-volume events this close together are one burst (a visit, a session) and fold into one row.
BURST_GAP = datetime.timedelta(minutes=30)
# When a page's first events fold into fewer rows than a page shows, the rest of the page is read in at most
# this many more events; a burst longer than that continues on the next page. They are read a few first
# (this many per row of the page: enough for almost every page, and cheap), then the rest when a long burst
# needs them, so that a page of short bursts doesn't load and build hundreds of events it won't show.
TIMELINE_MORE_EVENTS = 500
TIMELINE_TOP_UP_PER_ROW = 4


def _changed(with_values, without_values, shown: Callable[[Any], Any] = lambda value: value) -> Callable[[dict], str]:
    """A field change: with both values (as `shown`) when they are short enough to read in one line."""

    def describe(p: dict) -> str:
        if "previous" in p and "current" in p and len(str(p["previous"]) + str(p["current"])) <= 120:
            return str(with_values) % {"previous": shown(p["previous"]) or "—", "current": shown(p["current"]) or "—"}
        return str(without_values)

    return describe


# Events this product records itself, described in the reader's language from their properties. The
# stored English description is the fallback when properties lack what a sentence needs.
SUPPORT_EVENTS: dict[str, tuple[str, Callable[[dict], str]]] = {
    **TICKET_EVENTS,
    "name_changed": (
        gettext_lazy("Name changed"),
        _changed(gettext_lazy("Name changed from “%(previous)s” to “%(current)s”"), gettext_lazy("Name changed")),
    ),
    "details_changed": (
        gettext_lazy("Details changed"),
        _changed(gettext_lazy("Details changed from “%(previous)s” to “%(current)s”"), gettext_lazy("Details changed")),
    ),
    "notes_changed": (
        gettext_lazy("Notes changed"),
        _changed(gettext_lazy("Notes changed from “%(previous)s” to “%(current)s”"), gettext_lazy("Notes changed")),
    ),
    "tags_changed": (
        gettext_lazy("Tags changed"),
        _changed(gettext_lazy("Tags changed from “%(previous)s” to “%(current)s”"), gettext_lazy("Tags changed")),
    ),
    "locale_changed": (
        gettext_lazy("Language changed"),
        _changed(
            gettext_lazy("Language changed from %(previous)s to %(current)s"),
            gettext_lazy("Language changed"),
            shown=lambda code: dict(Locale.choices).get(code, code),  # a language in its own name, as in the lists
        ),
    ),
    "time_zone_changed": (
        gettext_lazy("Time zone changed"),
        _changed(gettext_lazy("Time zone changed from %(previous)s to %(current)s"), gettext_lazy("Time zone changed")),
    ),
    "user_signed_in": (gettext_lazy("Signed in"), lambda p: _("Signed in")),
    "user_merged": (
        gettext_lazy("Customers merged"),
        lambda p: _("%(merged_user_name)s (#%(merged_user_id)s) was merged into this customer") % p,
    ),
    "identity_created": (
        gettext_lazy("Contact added"),
        lambda p: _contact(p, _("Email %(value)s added"), _("Phone number %(value)s added")),
    ),
    "identity_removed": (
        gettext_lazy("Contact removed"),
        lambda p: _contact(p, _("Email %(value)s removed"), _("Phone number %(value)s removed")),
    ),
    "identity_verified": (gettext_lazy("Email verified"), lambda p: _("Email %(value)s verified") % p),
    "identity_verification_sent": (
        gettext_lazy("Verification email sent"),
        lambda p: _("Verification email sent to %(value)s") % p,
    ),
    "identity_changed": (gettext_lazy("Contact changed"), lambda p: _identity_change(p)),
    "organization_added": (gettext_lazy("Organization added"), lambda p: _("Added to %(organization_name)s") % p),
    "organization_removed": (
        gettext_lazy("Organization removed"),
        lambda p: _("Removed from %(organization_name)s") % p,
    ),
    "identity_assumed": (
        gettext_lazy("Identity assumed"),
        lambda p: _("%(actor_name)s assumed this customer's identity") % p,
    ),
    "role_changed": (
        gettext_lazy("Role changed"),
        lambda p: (
            _("Role changed from %(previous)s to %(current)s")
            % {"previous": _role(p["previous"]), "current": _role(p["current"])}
        ),
    ),
    "user_suspension_changed": (
        gettext_lazy("Suspension changed"),
        lambda p: _("Suspended") if p["suspended"] else _("Suspension lifted"),
    ),
    # Recorded before user_suspension_changed replaced them: still on older timelines.
    "user_suspended": (gettext_lazy("Suspension changed"), lambda p: _("Suspended")),
    "user_unsuspended": (gettext_lazy("Suspension changed"), lambda p: _("Suspension lifted")),
    "organization_default_changed": (
        gettext_lazy("Default organization changed"),
        lambda p: _("Default organization set to %(organization_name)s") % p["current"],
    ),
    "password_changed": (
        gettext_lazy("Password changed"),
        lambda p: {
            "admin": _("Password set by a team member"),
            "reset": _("Password reset by the customer"),
        }.get(p.get("via"), _("Password changed by the customer")),
    ),
    "password_reset_requested": (
        gettext_lazy("Password reset email sent"),
        lambda p: _("Password reset email sent to %(to)s") % p,
    ),
    "custom_field_changed": (gettext_lazy("Custom field changed"), lambda p: _custom_field_changed(p)),
    "external_id_changed": (
        gettext_lazy("External id changed"),
        _changed(
            gettext_lazy("External id changed from “%(previous)s” to “%(current)s”"),
            gettext_lazy("External id changed"),
        ),
    ),
    "ticket_updated": (gettext_lazy("Ticket updated"), lambda p: _("Ticket #%(ticket_id)s updated") % p),
}


def _role(value: str) -> str:
    return str(Role(value).label) if value in Role.values else value


def _custom_field_changed(p: dict) -> str:
    """A custom field's change, named by the field's title as the admin wrote it (their words, not ours)."""
    if len(str(p["previous"]) + str(p["current"])) <= 120:
        return _("%(title)s changed from “%(previous)s” to “%(current)s”") % {
            "title": p["title"],
            "previous": p["previous"] or "—",
            "current": p["current"] or "—",
        }
    return _("%(title)s changed") % {"title": p["title"]}


def _contact(p: dict, email: str, phone: str) -> str:
    if p["identity_type"] == "email":
        return email % {"value": p["value"]}
    return phone % {"value": phone_format(p["value"])}


def _identity_change(p: dict) -> str:
    sentences = {
        "made_primary": _("%(value)s made primary"),
        "made_direct_line": _("%(value)s made a direct line"),
        "made_shared_line": _("%(value)s is now a shared line"),
    }
    value = p["value"] if p.get("identity_type", "email") == "email" else phone_format(p["value"])
    return sentences.get(p["change"], _("%(value)s changed")) % {"value": value}


def type_label(source: str, type: str) -> str:
    """A readable name for an event type: translated for our own, tidied up for integrated apps'."""
    if source == SUPPORT_SOURCE and type in SUPPORT_EVENTS:
        return str(SUPPORT_EVENTS[type][0])
    return type.replace("_", " ").strip().capitalize() or type


def describe(event: Event) -> str:
    """The event's one-line description, in the reader's language where we know the event."""
    if event.source == SUPPORT_SOURCE and event.type in SUPPORT_EVENTS:
        try:
            return SUPPORT_EVENTS[event.type][1](event.properties or {})
        except (KeyError, TypeError, ValueError):
            pass
    return event.description or type_label(event.source, event.type)


@functools.lru_cache(maxsize=1024)
def source_colour(source: str) -> int:
    """A stable colour slot for a source, so each app keeps its colour on every page."""
    return int(hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest(), 16) % SOURCE_COLOURS


def is_high_volume(type: str) -> bool:
    """Types that arrive in bursts (page views and the like) and read better folded together."""
    return type == "page_viewed" or type.endswith("_viewed")


@dataclass(frozen=True)
class ShownTime:
    """A moment as a row shows it, several times over (machine-readable, exact, in the details): formatted
    once, in the viewer's time zone and language, as the `date` filter's "c" and DATETIME_FORMAT would."""

    iso: str
    exact: str

    @classmethod
    def of(cls, moment: datetime.datetime) -> "ShownTime":
        return _shown_time(moment, timezone.get_current_timezone_name(), get_language())


# Formatting a date in the reader's language is the costliest step of a row, and a batch's events share
# their arrival time: each moment is formatted once per time zone and language.
@functools.lru_cache(maxsize=4096)
def _shown_time(moment: datetime.datetime, zone: str, language: str | None) -> ShownTime:
    local = localtime_total(moment)
    return ShownTime(local.isoformat(), formats.date_format(local, "DATETIME_FORMAT"))


@dataclass
class TimelineRow:
    """One event, or a run of consecutive same-kind high-volume events shown as one group."""

    events: list[Event]
    source: str
    type: str
    description: str
    colour: int
    members: list["TimelineRow"] = field(default_factory=list)
    # The ticket the event is about, for a link to it: (id, whether it still exists); None when it is about none.
    ticket: tuple[int, bool] | None = None

    @property
    def is_group(self) -> bool:
        return len(self.events) > 1

    @property
    def event(self) -> Event:
        return self.events[0]

    @property
    def newest(self) -> datetime.datetime:
        return self.events[0].occurred_at

    @property
    def oldest(self) -> datetime.datetime:
        return self.events[-1].occurred_at

    @property
    def is_recent(self) -> bool:
        return timezone.now() - self.newest < datetime.timedelta(days=7)

    @cached_property
    def newest_time(self) -> "ShownTime":
        return ShownTime.of(self.newest)

    @cached_property
    def received_time(self) -> "ShownTime":
        return ShownTime.of(self.event.received_at)

    @property
    def properties_html(self) -> str:
        return properties_html(self.event.properties)

    def html(self, *, first_of_page: bool = False) -> SafeString:
        """The row's <li>, escaped throughout (see `_row_html`)."""
        return mark_safe(_row_html(self, first_of_page, _row_labels(get_language())))  # noqa: S308 - escaped within


# A timeline row as HTML. The Activity tab shows ten of these (and their groups' members) on every page,
# fragment and "Show 10 more": written out here, a row costs a tenth of what the template engine took for
# the same markup (a lookup, a localisation and an escape for every one of its thirty-odd values). The
# output is the markup the row template gave, byte for byte (tests/profiles/test_timeline_html.py); every
# value from an event is escaped as it is put in.
_escape = html.escape  # what Django's `escape` and the templates' autoescaping apply
_SUPPORT_ICON = (
    '<span class="source-icon source-icon--support" aria-hidden="true"><svg viewBox="0 0 20 20" width="16" '
    'height="16" focusable="false"><path d="M10 2a7 7 0 0 0-7 7v4a2 2 0 0 0 2 2h1V9H4.1a6 6 0 0 1 11.8 0H14v6h1.5a3 '
    '3 0 0 1-2.8 2H11v1.5h1.7A4.5 4.5 0 0 0 17 15V9a7 7 0 0 0-7-7z" fill="currentColor"/></svg></span>'
)


@dataclass(frozen=True)
class RowLabels:
    """The words every row repeats, translated once per page."""

    when: str
    source: str
    type: str
    description: str
    received: str
    properties: str
    ticket: str
    deleted_ticket: str


@functools.lru_cache(maxsize=32)
def _row_labels(language: str | None) -> RowLabels:
    """The labels in the active language (its name is the cache's key), escaped."""
    words = (
        _("When"),
        _("Source"),
        _("Type"),
        _("Description"),
        _("Received"),
        _("Properties"),
        _("Ticket #%(id)s"),
        _("Ticket #%(id)s (deleted)"),
    )
    return RowLabels(*(_escape(word) for word in words))


def _row_html(row: TimelineRow, first_of_page: bool, labels: RowLabels) -> str:
    shown = row.newest_time
    iso, exact, source = _escape(shown.iso), _escape(shown.exact), _escape(row.source)
    if row.source == SUPPORT_SOURCE:
        icon = _SUPPORT_ICON
    else:
        letter = _escape(row.source[:1].upper())
        icon = f'<span class="source-icon source-icon--c{row.colour}" aria-hidden="true">{letter}</span>'
    if row.is_recent:
        when = (
            f'\n            <time datetime="{iso}" title="{exact}">{_escape(time_ago(row.newest))}</time>'
            f'<span class="event__exact"> ({exact})</span>\n          '
        )
    else:
        when = f'\n            <time datetime="{iso}">{exact}</time>\n          '
    # A ticket that still exists is a link beside the row (a link inside <summary> would be a control inside a
    # control); one that was deleted is said so in the row's line, as text.
    ticket, link = "", ""
    if row.ticket is not None:
        ticket_id, exists = row.ticket
        if exists:
            url = _escape(reverse("tickets:ticket", args=[ticket_id]))
            link = f'  <a class="event__ticket" href="{url}">{labels.ticket % {"id": ticket_id}}</a>\n'
        else:
            ticket = f' · <span class="event__ticket">{labels.deleted_ticket % {"id": ticket_id}}</span>'
    if row.is_group:
        members = "".join(_row_html(member, False, labels) for member in row.members)
        body = f'\n        <ol class="timeline timeline--nested">\n          {members}\n        </ol>\n      '
    else:
        event, received = row.event, row.received_time
        described = ""
        # Our own events store an English description for the API; the reader has it in their language above.
        ours = event.source == SUPPORT_SOURCE and event.type in SUPPORT_EVENTS
        if event.description and event.description != row.description and not ours:
            described = f"<div><dt>{labels.description}</dt><dd>{_escape(event.description)}</dd></div>"
        body = (
            '\n        <dl class="event__facts">\n'
            f'          <div><dt>{labels.when}</dt><dd><time datetime="{iso}">{exact}</time></dd></div>\n'
            f"          <div><dt>{labels.source}</dt><dd>{source}</dd></div>\n"
            f"          <div><dt>{labels.type}</dt><dd><code>{_escape(row.type)}</code></dd></div>\n"
            f"          {described}\n"
            f'          <div><dt>{labels.received}</dt><dd><time datetime="{_escape(received.iso)}">'
            f"{_escape(received.exact)}</time></dd></div>\n"
            "        </dl>\n"
            f'        <h3 class="event__props-title">{labels.properties}</h3>\n'
            f"        {row.properties_html}\n      "
        )
    return (
        "\n\n"
        f'<li class="event{" event--group" if row.is_group else ""}{" event--linked" if link else ""}"'
        f"{' data-page-start' if first_of_page else ''}>\n"
        "  <details>\n"
        '    <summary class="event__summary">\n'
        f"      {icon}\n"
        '      <span class="event__text">\n'
        f'        <span class="event__description">{_escape(row.description)}</span>\n'
        '        <span class="event__meta">\n'
        f"          {when}\n"
        f'          · <span class="event__source">{source}</span>{ticket}\n'
        "        </span>\n"
        "      </span>\n"
        "    </summary>\n"
        '    <div class="event__body">\n'
        f"      {body}\n"
        "    </div>\n"
        "  </details>\n"
        f"{link}"
        "</li>\n"
    )


def _row(event: Event) -> TimelineRow:
    return TimelineRow([event], event.source, event.type, describe(event), source_colour(event.source))


def _folds_into(newer: Event, event: Event) -> bool:
    """Whether `event` joins the burst whose oldest event so far is `newer` (the one just before it)."""
    return (
        is_high_volume(event.type)
        and (newer.source, newer.type) == (event.source, event.type)
        and newer.occurred_at - event.occurred_at <= BURST_GAP
    )


def _row_count(events: list[Event]) -> int:
    """How many rows `timeline_rows(events)` makes, without making them."""
    return sum(1 for i, event in enumerate(events) if not i or not _folds_into(events[i - 1], event))


def timeline_rows(events: list[Event]) -> list[TimelineRow]:
    """Events in order, with each burst of consecutive high-volume events of one kind grouped."""
    rows: list[TimelineRow] = []
    for i, event in enumerate(events):
        if i and _folds_into(events[i - 1], event):
            last = rows[-1]
            if not last.is_group:
                last.members = [_row(last.event)]
            last.events.append(event)
            last.members.append(_row(event))
        else:
            rows.append(_row(event))
    for row in rows:
        if row.is_group:
            row.description = _group_description(row)
    return rows


def timeline_page(
    *, customer, event_filter: EventFilter, kinds=None, after: str | None = None, size: int = TIMELINE_PAGE_SIZE
) -> tuple[KeysetPage, list[TimelineRow]]:
    """One page of the customer's timeline as it reads: `size` rows (a folded burst is one row) and the
    cursor after the last event of the last row. Keyset all the way: one query of `size` + 1 events, the one
    after the page telling whether the last row is complete; more only when bursts fold that into fewer rows
    than a page shows (a few per row first, then the rest of TIMELINE_MORE_EVENTS for a long burst)."""
    kinds, owners = timeline_scope(customer=customer, event_filter=event_filter, kinds=kinds)  # once for all reads
    scope = {"customer": customer, "event_filter": event_filter, "kinds": kinds, "owners": owners}
    top_up = TIMELINE_TOP_UP_PER_ROW * size
    # When the kinds shown include some that come in bursts, the first read brings the top-up too: one query.
    bursts = kinds is not None and _has_bursts(kinds, event_filter)
    page = events_for_customer(**scope, after=after, size=size + 1 + (top_up if bursts else 0))
    events = page.items
    rest = TIMELINE_MORE_EVENTS - top_up
    for take in [rest] if bursts else [top_up, rest]:
        if not page.has_next or _row_count(events) > size:
            break
        page = events_for_customer(**scope, after=page.next_cursor, size=take)
        events = events + page.items
    rows = timeline_rows(events)
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1].events[-1]
        return KeysetPage(items=events, next_cursor=encode_cursor([last.occurred_at, last.pk])), rows
    last = events[-1] if events else None
    cursor = encode_cursor([last.occurred_at, last.pk]) if page.has_next and last else None
    return KeysetPage(items=events, next_cursor=cursor), rows


def _has_bursts(kinds: list[EventKind], event_filter: EventFilter) -> bool:
    shown = set(event_filter.kind_ids(kinds)) if event_filter.is_active else None
    return any(is_high_volume(kind.type) for kind in kinds if shown is None or kind.pk in shown)


def ticket_ids(rows: list[TimelineRow]) -> set[int]:
    """The tickets the rows' events are about (our own events name them in their properties)."""
    return {ticket_id for row in rows if (ticket_id := _ticket_id(row)) is not None}


def rows_link_tickets(rows: list[TimelineRow], existing: set[int]) -> None:
    """Point each row about a ticket at it, or say it was deleted when it no longer exists."""
    for row in rows:
        ticket_id = _ticket_id(row)
        if ticket_id is not None:
            row.ticket = (ticket_id, ticket_id in existing)


def _ticket_id(row: TimelineRow) -> int | None:
    if row.is_group or row.source != SUPPORT_SOURCE or not isinstance(row.event.properties, dict):
        return None
    ticket_id = row.event.properties.get("ticket_id")
    if type(ticket_id) is not int or not 0 < ticket_id < 2**63:
        return None
    return ticket_id


def _group_description(row: TimelineRow) -> str:
    count = len(row.events)
    if row.type == "page_viewed":
        return ngettext("%(count)d page viewed", "%(count)d pages viewed", count) % {"count": count}
    return ngettext("%(count)d × %(kind)s", "%(count)d × %(kind)s", count) % {
        "count": count,
        "kind": type_label(row.source, row.type),
    }


def properties_html(value) -> SafeString:
    """Event properties as nested, escaped HTML lists: payloads come from outside and are never trusted."""
    return mark_safe(_properties_html(value, 0))  # noqa: S308 - every piece below is escaped as it is joined


def _properties_html(value, depth: int) -> str:
    # Plain strings and `escape` rather than format_html: a page renders hundreds of these pieces.
    if isinstance(value, dict) and value and depth < MAX_PROPERTY_DEPTH:
        items = "".join(
            f'<div class="props__item"><dt>{escape(key)}</dt><dd>{_properties_html(item, depth + 1)}</dd></div>'
            for key, item in value.items()
        )
        return f'<dl class="props">{items}</dl>'
    if isinstance(value, list) and value and depth < MAX_PROPERTY_DEPTH:
        items = "".join(f"<li>{_properties_html(item, depth + 1)}</li>" for item in value)
        return f'<ol class="props__list">{items}</ol>'
    if value is None or value == {} or value == []:
        return f'<span class="muted">{escape(_("empty"))}</span>'
    if isinstance(value, bool):
        return escape(_("yes") if value else _("no"))
    if isinstance(value, (dict, list)):
        return f'<code class="props__raw">{escape(json.dumps(value, ensure_ascii=False)[:2000])}</code>'
    return f'<span class="props__value">{escape(value)}</span>'


@dataclass
class FilterChoice:
    value: str
    label: str
    count: int


@dataclass
class FilterGroup:
    source: str
    choices: list[FilterChoice]


def filter_groups(kinds: list[EventKind], selected: EventFilter | None = None) -> list[FilterGroup]:
    """The filter drop-down: for each source, "all of it", then each of its types, with counts (a type
    that came from several people merged into one is counted once, with their counts added up). A
    `selected` filter that matches none of the customer's events is offered too, with a count of 0, so
    the drop-down shows what the timeline is filtered by instead of falling back to "All events"."""
    groups: dict[str, FilterGroup] = {}
    counts: dict[tuple[str, str], int] = {}
    for kind in kinds:
        counts[(kind.source, kind.type)] = counts.get((kind.source, kind.type), 0) + kind.count
    if selected and selected.is_active and selected.type:
        counts.setdefault((selected.source, selected.type), 0)
    elif selected and selected.is_active and not any(source == selected.source for source, _type in counts):
        groups[selected.source] = FilterGroup(selected.source, [])
    for (source, type), count in counts.items():
        group = groups.setdefault(source, FilterGroup(source, []))
        group.choices.append(FilterChoice(filter_value(source, type), type_label(source, type), count))
    for group in groups.values():
        total = sum(c.count for c in group.choices)
        everything = FilterChoice(
            filter_value(group.source), _("All %(source)s events") % {"source": group.source}, total
        )
        group.choices.insert(0, everything)
    return list(groups.values())


def filter_groups_html(groups: list[FilterGroup], selected: str) -> SafeString:
    """The filter drop-down's <optgroup>s, the markup its template loop gave (a customer may have dozens of
    kinds: written out here, as the rows are, it costs a tenth); every name is escaped as it is put in."""
    parts = []
    for group in groups:
        options = "".join(
            f'<option value="{_escape(c.value)}" {"selected" if c.value == selected else ""}>'
            f"{_escape(c.label)} ({_escape(str(formats.localize(c.count)))})</option>"
            for c in group.choices
        )
        parts.append(
            f'\n        <optgroup label="{_escape(group.source)}">\n          {options}\n        </optgroup>\n      '
        )
    return mark_safe("".join(parts))  # noqa: S308 - escaped above


def filter_label(event_filter: EventFilter) -> str:
    """The filter's name as the drop-down shows it."""
    if event_filter.type:
        return type_label(event_filter.source, event_filter.type)
    return _("All %(source)s events") % {"source": event_filter.source}


def filter_value(source: str, type: str = "") -> str:
    """The drop-down value naming all events of `source`, or only those of one `type`."""
    value = quote(source, safe=_FILTER_SAFE)
    return f"{value}{FILTER_SEPARATOR}{quote(type, safe=_FILTER_SAFE)}" if type else value


def parse_filter(raw: str) -> EventFilter:
    """The filter a drop-down value names; anything malformed means all events."""
    source, _sep, type = (raw or "")[:300].partition(FILTER_SEPARATOR)
    source, type = unquote(source), unquote(type)
    if not source.strip():
        return EventFilter()
    return EventFilter(source=source[:64], type=type[:64])
