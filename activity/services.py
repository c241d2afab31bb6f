"""Recording activity events. Domain services call `event_record` inside their own transaction."""

import datetime

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from activity.ingest import event_kinds_add
from activity.models import SUPPORT_SOURCE, Event, EventKind


def event_record(
    *,
    customer,
    type: str,
    description: str = "",
    properties: dict | None = None,
    source: str = SUPPORT_SOURCE,
    occurred_at: datetime.datetime | None = None,
    client_id: str | None = None,
) -> Event:
    """Store one event on a customer's timeline and count it in the customer's (source, type) tally."""
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        event = Event.objects.create(
            account_id=customer.account_id,
            customer=customer,
            source=source,
            type=type,
            description=description[:255],
            properties=properties or {},
            occurred_at=occurred_at,
            client_id=client_id,
        )
        _tally(customer_id=customer.pk, source=source, type=type, count=1, last=occurred_at)
    return event


def _tally(*, customer_id: int, source: str, type: str, count: int, last: datetime.datetime) -> None:
    # One upsert, so two first events of a kind arriving at once both count instead of one failing.
    event_kinds_add([(customer_id, source, type, count, last)])


@transaction.atomic
def event_kinds_rebuild(*, customer_ids: list[int]) -> None:
    """Recount the (source, type) tallies of these customers from their events (after bulk loads)."""
    EventKind.objects.filter(customer_id__in=customer_ids).delete()
    rows = (
        Event.objects.filter(customer_id__in=customer_ids)
        .values("customer_id", "source", "type")
        .annotate(n=Count("id"), last=Max("occurred_at"))
        .order_by()
    )
    EventKind.objects.bulk_create(
        [
            EventKind(
                customer_id=r["customer_id"],
                source=r["source"],
                type=r["type"],
                count=r["n"],
                last_occurred_at=r["last"],
            )
            for r in rows
        ],
        batch_size=1000,
    )
