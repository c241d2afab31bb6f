"""Ticket history on the timeline (B5): every existing ticket's "requested" and "solved" events, so a
customer's activity goes back as far as their tickets do, not only to the day events began.

Each event carries a client id derived from the ticket, so running the backfill again (or recording the
same moment live, with the same `ticket_requested_event` / `ticket_solved_event`) never stores it twice.
"""

import json
from collections.abc import Callable

from activity.ingest import NewEvent, events_ingest
from activity.models import SUPPORT_SOURCE
from tickets.events import ticket_requested_event, ticket_solved_event
from tickets.models import Ticket


def ticket_events_backfill(
    *, account, batch_size: int = 5000, on_batch: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Store the requested and solved events of all the account's tickets that aren't on the timeline
    yet, a batch per transaction; returns (stored, already there). `on_batch(stored, already)` follows
    progress."""
    stored = already = 0
    last_id = 0
    while True:
        tickets = list(
            Ticket.objects.filter(account=account, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "requester_id", "subject", "created_at", "solved_at")[: max(1, batch_size // 2)]
        )
        if not tickets:
            return stored, already
        last_id = tickets[-1][0]
        results = events_ingest(account_id=account.pk, events=[e for ticket in tickets for e in _events(*ticket)])
        new = sum(1 for r in results if r.created)
        stored += new
        already += len(results) - new
        if on_batch:
            on_batch(new, len(results) - new)


def _events(ticket_id, requester_id, subject, created_at, solved_at):
    moments = [(ticket_requested_event(ticket_id=ticket_id, subject=subject), created_at)]
    if solved_at is not None:
        moments.append((ticket_solved_event(ticket_id=ticket_id, solved_at=solved_at), solved_at))
    for event, at in moments:
        yield NewEvent(
            requester_id,
            SUPPORT_SOURCE,
            event.type,
            event.description,
            json.dumps(event.properties),
            at,
            event.client_id,
        )
