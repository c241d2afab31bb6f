"""Ticket writes put their event on the requester's timeline and an entry in the audit log."""

import pytest

from accounts.models import AuditEntry
from activity.models import Event, EventKind
from demo.factories import TicketFactory
from tickets.models import Comment, Ticket
from tickets.services import StaleTicket, ticket_create, ticket_reply


def test_a_new_ticket_carries_the_requesters_tags_and_records_ticket_requested(carol, bob):
    ticket = ticket_create(requester=carol, submitter=bob, subject="Broken widget", description="It broke.")

    assert (ticket.status, ticket.tags, ticket.submitter) == ("new", "vip beta", bob)
    assert list(ticket.comments.values_list("body", flat=True)) == ["It broke."]
    event = Event.objects.get(customer=carol)
    assert (event.source, event.type, event.properties["ticket_id"]) == ("Support", "ticket_requested", ticket.pk)
    assert EventKind.objects.get(customer=carol, type="ticket_requested").count == 1
    assert AuditEntry.objects.filter(action="ticket.created", target_id=str(ticket.pk), actor=bob).exists()


def test_an_assigned_ticket_keeps_its_assignees_name_for_sorting(carol, bob, alice):
    assigned = ticket_create(requester=carol, submitter=bob, subject="Mine", description="", assignee=alice)
    unassigned = ticket_create(requester=carol, submitter=bob, subject="Nobody's", description="")

    assert Ticket.objects.get(pk=assigned.pk).assignee_name == "Alice Admin"
    assert Ticket.objects.get(pk=unassigned.pk).assignee_name == ""


def test_a_reply_adds_a_comment_and_records_comment_added(carol, bob):
    ticket = TicketFactory(requester=carol, status="open")

    ticket_reply(ticket=ticket, author=bob, body="On it.", public=True, status="open", status_seen="open")

    assert Comment.objects.filter(ticket=ticket, author=bob, body="On it.", public=True).exists()
    assert list(Event.objects.filter(customer=carol).values_list("type", flat=True)) == ["comment_added"]


def test_submitting_as_solved_records_ticket_solved_with_previous_and_current(carol, bob):
    ticket = TicketFactory(requester=carol, status="pending")

    ticket_reply(ticket=ticket, author=bob, body="", public=True, status="solved", status_seen="pending")

    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.solved_at is not None
    event = Event.objects.get(customer=carol)
    assert (event.type, event.properties["previous"], event.properties["current"]) == (
        "ticket_solved",
        "pending",
        "solved",
    )
    assert AuditEntry.objects.get(action="ticket.updated").before == {"status": "pending"}


def test_another_status_change_records_ticket_status_changed(carol, bob):
    ticket = TicketFactory(requester=carol, status="new")

    ticket_reply(ticket=ticket, author=bob, body="", public=True, status="open")

    assert Event.objects.get(customer=carol).type == "ticket_status_changed"


def test_a_reply_based_on_a_stale_status_writes_nothing(carol, bob):
    ticket = TicketFactory(requester=carol, status="open")
    Ticket.objects.filter(pk=ticket.pk).update(status="solved")  # another agent, meanwhile

    with pytest.raises(StaleTicket) as stale:
        ticket_reply(ticket=ticket, author=bob, body="Reopening", public=True, status="open", status_seen="open")

    assert stale.value.current_status == "solved"
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not Event.objects.filter(customer=carol).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
