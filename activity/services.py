"""Recording activity events. Domain services call `event_record` inside their own transaction."""

import datetime
import json

from django.db import connection, transaction
from django.utils import timezone

from activity.ingest import event_kind_ids
from activity.models import SUPPORT_SOURCE, Event, EventClientId
from activity.partitions import event_partitions_ensure

# On PostgreSQL one statement counts the event in its kind (created if new, race-free), stores it and
# claims its client id if it has one (a second claim fails the caller's transaction): every domain write
# records events, and each round trip saved is one per changed field.
_RECORD = """
WITH kind AS (
    INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at) VALUES (%s, %s, %s, 1, %s)
    ON CONFLICT (customer_id, source, type) DO UPDATE
    SET count = activity_eventkind.count + 1,
        last_occurred_at = GREATEST(activity_eventkind.last_occurred_at, EXCLUDED.last_occurred_at)
    RETURNING id
), stored AS (
    INSERT INTO activity_event
        (account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at, client_id)
    SELECT %s, %s, kind.id, %s, %s, %s, %s::jsonb, %s, %s, %s FROM kind
    RETURNING id, kind_id, account_id, client_id, occurred_at
), claimed AS (
    INSERT INTO activity_eventclientid (account_id, client_id, event_id, occurred_at)
    SELECT account_id, client_id, id, occurred_at FROM stored WHERE client_id IS NOT NULL
)
SELECT id, kind_id FROM stored
"""


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
    """Store one event on a customer's timeline and count it in its kind, in the caller's transaction. A
    deleted customer's timeline stays empty: the event is returned unsaved."""
    event = Event(
        account_id=customer.account_id,
        customer=customer,
        source=source,
        type=type,
        description=description[:255],
        properties=properties or {},
        occurred_at=occurred_at or timezone.now(),
        received_at=timezone.now(),
        client_id=client_id,
    )
    # A deleted customer keeps a row only for their tickets' sake (profiles.deletion); the check reads the
    # row as loaded, never the database.
    if customer.__dict__.get("deleted_at") is not None:
        return event
    event_partitions_ensure((event.occurred_at,))
    # All rows or none; the caller's transaction (when there is one) is enough, no savepoint needed.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            _record_in_one_statement(event)
        else:
            # One upsert, so two first events of a kind arriving at once both count instead of one failing.
            kinds = event_kind_ids([(customer.pk, source, type, 1, event.occurred_at)])
            event.kind_id = kinds[(customer.pk, source, type)]
            event.save(force_insert=True)
            if client_id is not None:
                EventClientId.objects.create(
                    account_id=event.account_id, client_id=client_id, event_id=event.pk, occurred_at=event.occurred_at
                )
    return event


def _record_in_one_statement(event: Event) -> None:
    params = [event.customer_id, event.source, event.type, event.occurred_at]
    params += [event.account_id, event.customer_id, event.source, event.type, event.description]
    params += [json.dumps(event.properties), event.occurred_at, event.received_at]
    params += [event.client_id]
    with connection.cursor() as cursor:
        cursor.execute(_RECORD, params)
        event.pk, event.kind_id = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias
