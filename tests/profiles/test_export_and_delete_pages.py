"""Export data (B7) and Delete from the Actions menu: who may use them, what the JSON holds, that it is
streamed in chunks, and that a deleted customer's page answers 404 while their tickets keep working."""

import datetime
import json
import tracemalloc
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, Role, User
from activity import selectors as activity_selectors
from activity.ingest import NewEvent, events_ingest
from activity.models import Event
from activity.services import event_record
from custom_fields.models import AgentAccess
from demo.factories import (
    CommentFactory,
    CustomFieldFactory,
    IdentityFactory,
    MembershipFactory,
    TicketFactory,
    UserFactory,
)
from profiles.export import customer_export
from tests.conftest import client_for


@pytest.fixture
def carols_ticket(acme, bob, carol):
    ticket = TicketFactory(account=acme, requester=carol, submitter=carol, subject="Broken kettle")
    CommentFactory(ticket=ticket, author=carol, body="It still leaks")
    CommentFactory(ticket=ticket, author=bob, body="Sending a new one", public=True)
    return ticket


def _exported(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


# Export


def test_the_export_is_an_attachment_holding_profile_identities_tickets_comments_and_events(
    as_bob, acme, bob, carol, carols_ticket
):
    IdentityFactory(user=carol, value="carol.work@example.com")
    MembershipFactory(user=carol, organization__account=acme, organization__name="Kettles Ltd", default=True)
    CustomFieldFactory(account=acme, key="shoe_size", title="Shoe size")
    User.objects.filter(pk=carol.pk).update(custom_fields={"shoe_size": "38"})
    event_record(customer=carol, type="page_viewed", source="Shop", properties={"url": "/kettles"})

    response = as_bob.post(f"/agent/users/{carol.pk}/export/")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(f'attachment; filename="customer-{carol.pk}-')
    document = _exported(response)
    assert document["customer"]["email"] == "carol@example.com"
    assert document["customer"]["tags"] == ["vip", "beta"]
    assert {i["value"] for i in document["identities"]} == {"carol@example.com", "carol.work@example.com"}
    assert document["organizations"] == [
        {"id": document["organizations"][0]["id"], "name": "Kettles Ltd", "default": True}
    ]
    assert document["custom_fields"] == [{"key": "shoe_size", "title": "Shoe size", "type": "text", "value": "38"}]
    [ticket] = document["tickets"]
    assert ticket["subject"] == "Broken kettle"
    assert [(c["author"], c["body"], c["by_customer"]) for c in ticket["comments"]] == [
        ("Carol Customer", "It still leaks", True),
        ("Bob Agent", "Sending a new one", False),
    ]
    assert [e["properties"] for e in document["events"] if e["type"] == "page_viewed"] == [{"url": "/kettles"}]
    assert AuditEntry.objects.get(action="customer.exported").actor == bob


def test_events_are_read_in_chunks_and_the_document_is_written_as_they_are_read(carol):
    now = timezone.now()
    for n in range(7):  # over several months (partitions, on PostgreSQL), two at the same moment
        moment = now - datetime.timedelta(days=40 * (n // 2))
        event_record(customer=carol, type="page_viewed", source="Shop", properties={"n": n}, occurred_at=moment)
    total = Event.objects.filter(customer=carol).count()
    reads = []
    real = activity_selectors.events_for_export

    def counting(**kwargs):
        for chunk in real(**kwargs):
            reads.append(len(chunk))
            yield chunk

    with mock.patch("profiles.export.events_for_export", counting):
        pieces = customer_export(customer=carol, role=Role.AGENT, event_chunk_size=3)
        first = next(pieces)
        assert reads == []  # the document starts before any event is read
        rest = list(pieces)

    assert reads == [3] * (total // 3) + ([total % 3] if total % 3 else [])
    events = json.loads(first + b"".join(rest))["events"]
    assert [e["id"] for e in events] == list(
        Event.objects.filter(customer=carol).order_by("occurred_at", "id").values_list("id", flat=True)
    )


def test_an_export_of_many_events_costs_one_query_per_chunk(carol, django_assert_num_queries):
    for n in range(10):
        event_record(customer=carol, type="page_viewed", source="Shop", properties={"n": n})
    total = Event.objects.filter(customer=carol).count()
    carol.account  # noqa: B018 - read once, as the view's selector does

    # One query per chunk of events, however many there are (a count that is a multiple of the chunk size
    # needs one more, which finds the end); the rest of the document is 6 queries: who was merged into the
    # customer, identities, organizations, custom fields, CCs and tickets. A million events: 500 queries.
    chunks = -(-total // 4)
    with django_assert_num_queries(6 + chunks + (1 if total % 4 == 0 else 0)):
        b"".join(customer_export(customer=carol, role=Role.ADMIN, event_chunk_size=4))


def test_an_agents_export_leaves_out_the_fields_hidden_from_agents(acme, carol):
    CustomFieldFactory(account=acme, key="risk", title="Risk", agent_access=AgentAccess.HIDDEN)
    User.objects.filter(pk=carol.pk).update(custom_fields={"risk": "high"})
    carol.refresh_from_db()

    agents = json.loads(b"".join(customer_export(customer=carol, role=Role.AGENT)))
    admins = json.loads(b"".join(customer_export(customer=carol, role=Role.ADMIN)))

    assert agents["custom_fields"] == []
    assert admins["custom_fields"][0]["value"] == "high"


def test_export_is_for_team_members_of_the_account(as_carol, anonymous, as_charlie, carol):
    assert as_carol.post(f"/agent/users/{carol.pk}/export/").status_code == 403
    assert anonymous.post(f"/agent/users/{carol.pk}/export/").status_code == 302
    assert as_charlie.post(f"/agent/users/{carol.pk}/export/").status_code == 404
    assert not AuditEntry.objects.filter(action="customer.exported").exists()


# Delete


def test_the_confirmation_names_what_goes_and_what_stays(as_alice, carol, carols_ticket):
    IdentityFactory(user=carol, value="carol.work@example.com")

    page = as_alice.get(f"/agent/users/{carol.pk}/delete/").content.decode()

    assert "Delete Carol Customer?" in page
    assert "2 email addresses and phone numbers" in page
    assert "1 ticket they requested stays" in page
    assert User.objects.filter(pk=carol.pk, deleted_at=None).exists()


def test_an_admin_deletes_the_customer_and_the_page_answers_404_while_the_ticket_stays(as_alice, carol, carols_ticket):
    response = as_alice.post(f"/agent/users/{carol.pk}/delete/", follow=True)

    assert "Carol Customer was deleted." in response.content.decode()
    assert as_alice.get(f"/agent/users/{carol.pk}/").status_code == 404
    assert as_alice.get(f"/agent/users/{carol.pk}/delete/").status_code == 404
    ticket_page = as_alice.get(f"/agent/tickets/{carols_ticket.pk}/").content.decode()
    assert "Broken kettle" in ticket_page
    assert ticket_page.count("Deleted user") == 3  # requester, submitter and the comment's author
    assert "Carol Customer" not in ticket_page
    assert "Carol Customer" not in as_alice.get("/agent/users/?q=carol").content.decode()


def test_only_admins_of_the_account_delete(as_bob, as_carol, globex, carol):
    globex_admin = client_for(UserFactory(account=globex, role=Role.ADMIN, email="root@globex.test"))

    assert as_bob.get(f"/agent/users/{carol.pk}/delete/").status_code == 403
    assert as_bob.post(f"/agent/users/{carol.pk}/delete/").status_code == 403
    assert as_carol.post(f"/agent/users/{carol.pk}/delete/").status_code == 403
    assert globex_admin.post(f"/agent/users/{carol.pk}/delete/").status_code == 404
    assert User.objects.filter(pk=carol.pk, deleted_at=None).exists()


def test_a_team_member_is_no_customer_to_delete(as_alice, bob):
    assert as_alice.get(f"/agent/users/{bob.pk}/delete/").status_code == 404


def test_exporting_many_events_holds_only_a_chunk_of_them_in_memory(carol):
    now = timezone.now()
    padding = json.dumps({"page": "/catalogue/kettles/" + "x" * 200})
    events = [
        NewEvent(carol.pk, "Shop", "page_viewed", "Viewed kettles", padding, now - datetime.timedelta(seconds=n), None)
        for n in range(20_000)
    ]
    events_ingest(account_id=carol.account_id, events=events)
    del events

    tracemalloc.start()
    try:
        size = sum(len(piece) for piece in customer_export(customer=carol, role=Role.ADMIN, event_chunk_size=500))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # 20,000 events make a document of over 5 MB; exporting it never held more than a few chunks' worth.
    assert size > 5_000_000
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte document"
