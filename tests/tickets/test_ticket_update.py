"""ticket_update: subject, priority, type, assignee and tags, with the requester's timeline and the audit log."""

import pytest

from accounts.models import AuditEntry
from activity.models import Event
from demo.factories import TicketFactory
from tickets.services import TicketInvalid, ticket_update


def test_a_ticket_update_saves_what_changed_and_records_it_on_the_requesters_timeline(carol, bob):
    ticket = TicketFactory(requester=carol, subject="Old", priority="low", tags="")

    changed = ticket_update(
        ticket=ticket, actor=bob, changes={"subject": "New", "priority": "low", "assignee": bob, "tags": ["A", "b"]}
    )

    ticket.refresh_from_db()
    assert changed == ["subject", "assignee", "tags"]
    assert (ticket.subject, ticket.assignee, ticket.tags) == ("New", bob, "a b")
    event = Event.objects.get(customer=carol, type="ticket_updated")
    assert event.properties["current"] == {"subject": "New", "assignee": bob.pk, "tags": "a b"}
    assert AuditEntry.objects.get(action="ticket.updated").before["subject"] == "Old"


def test_a_customer_cant_be_assigned_and_nothing_is_written(carol, bob):
    ticket = TicketFactory(requester=carol, subject="Old")

    with pytest.raises(TicketInvalid) as refused:
        ticket_update(ticket=ticket, actor=bob, changes={"subject": "New", "assignee": carol, "priority": "huge"})

    ticket.refresh_from_db()
    assert set(refused.value.errors) == {"assignee", "priority"}
    assert ticket.subject == "Old"
    assert not Event.objects.filter(type="ticket_updated").exists()
