"""Recording activity events. Domain services call `event_record` inside their own transaction."""

import datetime

from django.db import transaction
from django.utils import timezone

from activity.ingest import event_kind_ids
from activity.models import SUPPORT_SOURCE, Event


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
    """Store one event on a customer's timeline and count it in its kind, in the caller's transaction."""
    occurred_at = occurred_at or timezone.now()
    with transaction.atomic():
        # One upsert, so two first events of a kind arriving at once both count instead of one failing.
        kinds = event_kind_ids([(customer.pk, source, type, 1, occurred_at)])
        return Event.objects.create(
            account_id=customer.account_id,
            customer=customer,
            kind_id=kinds[(customer.pk, source, type)],
            source=source,
            type=type,
            description=description[:255],
            properties=properties or {},
            occurred_at=occurred_at,
            client_id=client_id,
        )
