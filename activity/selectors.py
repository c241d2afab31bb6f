"""Reads on the event store: a customer's timeline, newest first, and what it can be filtered by."""

from dataclasses import dataclass

from activity.models import Event, EventKind
from common.keyset import KeysetPage, paginate

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


def events_for_customer(
    *, customer, event_filter: EventFilter = EventFilter(), after: str | None = None, size: int = TIMELINE_PAGE_SIZE
) -> KeysetPage:
    """One page of a customer's events, newest first, continuing after the `after` cursor."""
    events = Event.objects.filter(customer_id=customer.pk)
    if event_filter.source:
        events = events.filter(source=event_filter.source)
        if event_filter.type:
            events = events.filter(type=event_filter.type)
    return paginate(events, keys=TIMELINE_KEYS, after=after, size=size)


def event_kinds_for_customer(*, customer) -> list[EventKind]:
    """The (source, type) pairs this customer has events of, with counts: read from the tally, never
    from the events themselves, so it costs the same at ten events or ten million."""
    return list(EventKind.objects.filter(customer_id=customer.pk, count__gt=0).order_by("source", "type"))
