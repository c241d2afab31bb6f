"""What a ticket puts on its requester's timeline: each moment's event (the same whether recorded live or
backfilled, with a client id derived from the ticket so it is never stored twice) and how each reads on
the profile page, in the reader's language."""

import datetime
from collections.abc import Callable
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Status


def ticket_event_client_id(ticket_id: int, kind: str, at: datetime.datetime | None = None) -> str:
    """The client id of a ticket's "requested" event, or of its "solved" event at `at` (a ticket may be
    solved, reopened and solved again: each solve is its own event)."""
    if kind == "solved":
        return f"ticket-{ticket_id}-solved-{int(at.timestamp())}"
    return f"ticket-{ticket_id}-{kind}"


class TicketEvent(NamedTuple):
    """What a ticket moment puts on its requester's timeline, the same whether recorded live or backfilled."""

    type: str
    description: str
    properties: dict
    client_id: str


def ticket_requested_event(*, ticket_id: int, subject: str) -> TicketEvent:
    return TicketEvent(
        "ticket_requested",
        f"Requested ticket #{ticket_id}: {subject}"[:255],
        {"ticket_id": ticket_id, "subject": subject},
        ticket_event_client_id(ticket_id, "requested"),
    )


def ticket_solved_event(*, ticket_id: int, solved_at: datetime.datetime) -> TicketEvent:
    return TicketEvent(
        "ticket_solved",
        f"Ticket #{ticket_id} solved",
        {"ticket_id": ticket_id},
        ticket_event_client_id(ticket_id, "solved", solved_at),
    )


# How each ticket event reads: its type's label and a sentence from its properties (the timeline falls back
# to the stored English description when the properties lack what the sentence needs).
TICKET_EVENTS: dict[str, tuple[str, Callable[[dict], str]]] = {
    "ticket_requested": (
        gettext_lazy("Ticket requested"),
        lambda p: _("Requested ticket #%(ticket_id)s: %(subject)s") % p,
    ),
    "ticket_status_changed": (
        gettext_lazy("Ticket status changed"),
        lambda p: _("Ticket #%(ticket_id)s changed from %(previous)s to %(current)s") % _status_names(p),
    ),
    "ticket_solved": (gettext_lazy("Ticket solved"), lambda p: _("Ticket #%(ticket_id)s solved") % p),
    "ticket_field_changed": (gettext_lazy("Ticket field changed"), lambda p: _ticket_field_changed(p)),
    "comment_added": (
        gettext_lazy("Comment added"),
        lambda p: (
            (
                _("Internal note on ticket #%(ticket_id)s")
                if p["public"] is False
                else _("Comment on ticket #%(ticket_id)s")
            )
            % p
        ),
    ),
}


def _ticket_field_changed(p: dict) -> str:
    if len(str(p["previous"]) + str(p["current"])) <= 120:
        return _("%(title)s changed on ticket #%(ticket_id)s from “%(previous)s” to “%(current)s”") % {
            **p,
            "previous": p["previous"] or "—",
            "current": p["current"] or "—",
        }
    return _("%(title)s changed on ticket #%(ticket_id)s") % p


def _status_names(p: dict) -> dict:
    names = dict(Status.choices)
    return {**p, "previous": names.get(p["previous"], p["previous"]), "current": names.get(p["current"], p["current"])}
