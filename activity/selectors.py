"""Reads on the event store: a customer's timeline, newest first, and what it can be filtered by.

Every read seeks an index: all of a customer's events by (customer, occurred_at, id); one kind's by
(kind, occurred_at, id); a source's by merging the pages of its few kinds. A filter naming nothing the
customer has answers without touching the events at all.

A customer's timeline also holds the events of the customers merged into them (`User.merged_into`): a
merge moves no event (rewriting millions of rows would hold both customers for many seconds), the reads
follow it instead, merging one page per person as they merge a source's kinds.
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from activity.models import Event, EventClientId, EventKind
from common.keyset import KeysetPage, paginate_merged
from common.moments import utc_clamped

TIMELINE_PAGE_SIZE = 10
TIMELINE_KEYS = [("occurred_at", True), ("id", True)]


@dataclass(frozen=True)
class EventFilter:
    """All events (both empty), all of one source, or one type of one source."""

    source: str = ""
    type: str = ""

    @property
    def is_active(self) -> bool:
        return bool(self.source)

    def kind_ids(self, kinds: Iterable[EventKind]) -> list[int]:
        """The kinds, among `kinds`, that this filter keeps."""
        return [k.pk for k in kinds if k.source == self.source and (not self.type or k.type == self.type)]


def _timeline_owners(customer) -> QuerySet:
    """The ids of the people whose events make up the customer's timeline: theirs, and those merged into
    them (a merge points every earlier one at the kept customer, so one level is all there is)."""
    return User.objects.filter(Q(pk=customer.pk) | Q(merged_into_id=customer.pk)).values("pk")


def timeline_scope(
    *, customer, event_filter: EventFilter, kinds: list[EventKind] | None = None, owners: list[int] | None = None
) -> tuple[list[EventKind] | None, list[int] | None]:
    """(kinds, owners): what reading the timeline's events needs, each read only when not given. Filtered, the
    filter's kinds (`owners` None: events are read by kind); else the people whose events it shows, the
    customer first (from `kinds` when given, without a query)."""
    if event_filter.is_active:
        if kinds is None:
            kinds = list(
                EventKind.objects.filter(customer_id__in=_timeline_owners(customer), source=event_filter.source)
            )
        return kinds, None
    if owners is None and kinds is None:
        owners = [customer.pk, *User.objects.filter(merged_into_id=customer.pk).values_list("pk", flat=True)]
    elif owners is None:
        owners = sorted({customer.pk, *(kind.customer_id for kind in kinds)})
    return kinds, owners


def event_kinds_for_customer(*, customer) -> list[EventKind]:
    """The (source, type) pairs this customer has events of, with counts: read from the tally, never
    from the events themselves, so it costs the same at ten events or ten million. After a merge a pair
    may come twice (once per person merged), each with its own count."""
    kinds = EventKind.objects.filter(customer_id__in=_timeline_owners(customer), count__gt=0)
    return list(kinds.order_by("source", "type", "customer_id"))


def timeline_event_count(*, customer) -> int:
    """How many events the customer's timeline holds, from the tallies."""
    return sum(kind.count for kind in event_kinds_for_customer(customer=customer))


def events_for_customer(
    *,
    customer,
    event_filter: EventFilter = EventFilter(),
    kinds: list[EventKind] | None = None,
    owners: list[int] | None = None,
    after: str | None = None,
    before: str | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    end_inclusive: bool = True,
    size: int = TIMELINE_PAGE_SIZE,
) -> KeysetPage:
    """One page of a customer's events, newest first, after (or before) a cursor, within a time range.
    `kinds` (`event_kinds_for_customer`) and `owners` are what the caller has already: `timeline_scope`
    reads what's missing (one small query), so a caller reading several pages passes its result each time."""
    kinds, owners = timeline_scope(customer=customer, event_filter=event_filter, kinds=kinds, owners=owners)
    if owners is not None:
        pages = [Event.objects.filter(customer_id=owner) for owner in owners]
    else:
        pages = [Event.objects.filter(kind_id=kind_id) for kind_id in event_filter.kind_ids(kinds)]
        if not pages:
            return KeysetPage(items=[])
    if start is not None:
        pages = [events.filter(occurred_at__gte=utc_clamped(start)) for events in pages]
    if end is not None:
        lookup = "occurred_at__lte" if end_inclusive else "occurred_at__lt"
        pages = [events.filter(**{lookup: utc_clamped(end)}) for events in pages]
    return paginate_merged(pages, keys=TIMELINE_KEYS, after=after, before=before, size=size)


def event_for_client_id(*, account_id: int, client_id: str) -> Event | None:
    """The event an integrated app stored under its own id (`event.id`), found in the one partition of its
    month."""
    claim = EventClientId.objects.filter(account_id=account_id, client_id=client_id).first()
    if claim is None:
        return None
    return Event.objects.filter(account_id=account_id, pk=claim.event_id, occurred_at=claim.occurred_at).first()


# Events a chunk of an export reads at once: few enough to hold in memory, many enough that a million
# events cost 500 queries, each a seek on the timeline index.
EXPORT_CHUNK_SIZE = 2000
EXPORT_FIELDS = ("id", "source", "type", "description", "properties", "occurred_at", "received_at", "client_id")


def events_for_export(*, customer, chunk_size: int | None = None) -> Iterator[list[dict]]:
    """Every event of the customer's timeline (theirs, then each merged customer's), oldest first, in lists
    of at most `chunk_size`: each a keyset seek on (occurred_at, id), so however many events there are,
    only one chunk is in memory at a time."""
    size = chunk_size or EXPORT_CHUNK_SIZE
    owners = [customer.pk, *User.objects.filter(merged_into_id=customer.pk).order_by("pk").values_list("pk", flat=True)]
    for owner in owners:
        events = Event.objects.filter(customer_id=owner).order_by("occurred_at", "id").values(*EXPORT_FIELDS)
        chunk = list(events[:size])
        while chunk:
            yield chunk
            if len(chunk) < size:
                break
            last = chunk[-1]
            after = Q(occurred_at__gt=last["occurred_at"]) | Q(occurred_at=last["occurred_at"], id__gt=last["id"])
            # The redundant range lets the seek start at the last row (and skip older partitions).
            chunk = list(events.filter(after, occurred_at__gte=last["occurred_at"])[:size])
