"""New ticket on the customer's behalf (F9): the header's button on both profile pages, the form in place or
on its own page, what the ticket carries, inline errors that keep what was typed, and who may use it."""

import re

import pytest
from django.test import Client

from accounts.models import AuditEntry
from accounts.services import account_set_customer_profile
from activity.models import Event
from demo.factories import CustomFieldFactory, UserFactory
from profiles.merge import customer_merge
from tests.conftest import client_for
from tickets.models import Comment, Ticket

IN_PLACE = {"HX-Request": "true", "HX-Target": "profile-action"}


@pytest.fixture
def enabled(acme, alice):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    return acme


@pytest.fixture
def new_page(enabled, bob):
    bob.prefers_new_profile = True
    bob.save(update_fields=["prefers_new_profile"])
    return client_for(bob)


@pytest.fixture
def erin(acme):
    return UserFactory(account=acme, name="Erin Example", email="erin@example.com")


@pytest.fixture
def ticket_fields(acme):
    return {
        "product": CustomFieldFactory(
            account=acme,
            object_type="ticket",
            key="product",
            title="Product",
            type="dropdown",
            options=[{"name": "Widget", "value": "widget"}, {"name": "Gadget", "value": "gadget"}],
        ),
        "order": CustomFieldFactory(
            account=acme, object_type="ticket", key="order", title="Order number", type="regexp", regexp=r"\d{5}"
        ),
        "escalation": CustomFieldFactory(
            account=acme, object_type="ticket", key="escalation", title="Escalation", agent_access="hidden"
        ),
    }


def _url(customer) -> str:
    return f"/agent/users/{customer.pk}/tickets/new/"


def _valid(**extra) -> dict:
    return {"subject": "  Widget   broken ", "description": "It stopped working on Monday.", **extra}


def test_both_profile_pages_offer_new_ticket_merge_and_the_actions_menu(new_page, as_alice, carol):
    new = new_page.get(f"/agent/users/{carol.pk}/").content.decode()
    legacy = as_alice.get(f"/agent/users/{carol.pk}/").content.decode()

    for page, in_place in ((new, True), (legacy, False)):
        assert f'href="/agent/users/{carol.pk}/tickets/new/"' in page
        assert f'href="/agent/users/{carol.pk}/merge/"' in page
        assert ">Actions" in page, "Bob (agent) and Alice (admin) may both suspend: the menu has an item"
        assert f"/agent/users/{carol.pk}/export/" in page, "the Actions menu holds the record actions"
        assert ('hx-target="#profile-action"' in page) is in_place
    assert '<div id="profile-action" class="profile-action"></div>' in new


def test_the_form_opens_in_place_as_a_fragment(new_page, carol):
    response = new_page.get(_url(carol), headers=IN_PLACE)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert '<h2 class="card__title" id="new-ticket-heading">New ticket for Carol Customer</h2>' in page
    assert f'hx-post="/agent/users/{carol.pk}/tickets/new/"' in page
    assert "Their tags are added to the ticket:" in page and ">vip<" in page


def test_the_form_is_a_page_of_its_own_without_javascript(as_bob, carol):
    response = as_bob.get(_url(carol))

    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert "<h1>New ticket for Carol Customer</h1>" in page and "hx-post" not in page


def test_creating_a_ticket_lands_on_it_with_everything_the_agent_chose(
    as_bob, acme, alice, bob, carol, erin, ticket_fields
):
    response = as_bob.post(
        _url(carol),
        _valid(
            priority="high",
            type="incident",
            assignee=str(alice.pk),
            cc=[f"Erin Example <erin@example.com> (#{erin.pk})", "bob@acme.test", ""],
            cf_product="gadget",
            cf_order="12345",
            cf_escalation="sneaky",
        ),
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == f"/agent/tickets/{ticket.pk}/"
    assert (ticket.requester, ticket.submitter, ticket.assignee) == (carol, bob, alice)
    assert (ticket.subject, ticket.priority, ticket.type) == ("Widget broken", "high", "incident")
    assert ticket.status == "open", "assigned on creation"
    assert ticket.tags == "vip beta"
    assert ticket.custom_fields == {"product": "gadget", "order": "12345"}, "hidden fields aren't the agent's"
    assert set(ticket.ccs.all()) == {erin, bob}
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", "public", "author")) == [
        ("It stopped working on Monday.", True, bob.pk)
    ]
    event = Event.objects.get(customer=carol, type="ticket_requested")
    assert event.properties == {"ticket_id": ticket.pk, "subject": "Widget broken", "submitter_id": bob.pk}
    audit = AuditEntry.objects.get(action="ticket.created")
    assert audit.after["cc_ids"] == [erin.pk, bob.pk] and audit.actor == bob
    landed = as_bob.get(response.url).content.decode()
    assert f"Ticket #{ticket.pk} was created for Carol Customer." in landed


def test_the_new_ticket_shows_in_the_tickets_tab_key_details_and_timeline(new_page, carol):
    new_page.post(_url(carol), _valid())

    tickets = new_page.get(f"/agent/users/{carol.pk}/?tab=tickets").content.decode()
    activity = new_page.get(f"/agent/users/{carol.pk}/?tab=activity").content.decode()

    assert "Widget broken" in tickets and "1 open of 1" in tickets
    assert "Requested ticket #" in activity and "Widget broken" in activity


def test_with_htmx_the_answer_sends_the_browser_to_the_ticket(new_page, carol):
    response = new_page.post(_url(carol), _valid(), headers=IN_PLACE)

    ticket = Ticket.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"] == f"/agent/tickets/{ticket.pk}/"


def test_bad_input_is_shown_next_to_each_field_and_nothing_typed_is_lost(new_page, carol, ticket_fields):
    response = new_page.post(
        _url(carol),
        {
            "subject": "   ",
            "description": "Typed with care <b>and markup</b>",
            "priority": "urgent",
            "cc": ["nobody@nowhere.example", "Carol Customer"],
            "cf_order": "12",
        },
        headers=IN_PLACE,
    )

    page = response.content.decode()
    assert response.status_code == 400 and "<html" not in page
    assert not Ticket.objects.exists()
    assert "Some fields need your attention. No ticket was created." in page
    assert "Enter a subject." in page
    assert "Typed with care &lt;b&gt;and markup&lt;/b&gt;" in page
    assert '<option value="urgent" selected>' in page
    assert 'value="nobody@nowhere.example"' in page and "No person of this account matches" in page
    assert "Carol Customer is the requester" in page
    assert "in the format this field expects" in page and 'value="12"' in page


def test_add_another_cc_keeps_what_was_typed_and_adds_a_focused_row(new_page, carol, erin):
    typed = {"subject": "Half done", "description": "", "cc": ["erin@example.com"], "add_cc": "1"}

    response = new_page.post(_url(carol), typed, headers=IN_PLACE)

    page = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert 'value="Half done"' in page and 'value="erin@example.com"' in page
    new_row = re.search(r'<input[^>]*id="id_cc_1"[^>]*>', page).group(0)
    assert "autofocus" in new_row
    assert "autofocus" not in re.search(r'<input[^>]*id="id_cc_0"[^>]*>', page).group(0)
    assert "Enter a subject." not in page, "asking for a row is not a submission"


def test_an_assignee_must_be_a_team_member_of_the_account(as_bob, carol, erin, charlie):
    for assignee in (erin, charlie):
        response = as_bob.post(_url(carol), _valid(assignee=str(assignee.pk)))

        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_merged_away_customers_form_leads_to_the_kept_customer(as_bob, bob, carol, erin):
    customer_merge(source=carol, target=erin, actor=bob)

    response = as_bob.get(_url(carol))

    assert response.status_code == 302 and response.url == f"/agent/users/{erin.pk}/"


def test_another_accounts_customer_is_a_404(as_bob, dave):
    assert as_bob.get(_url(dave)).status_code == 404
    assert as_bob.post(_url(dave), _valid()).status_code == 404


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [("alice", 200, 302), ("bob", 200, 302), ("carol", 403, 403), ("charlie", 404, 404), (None, 302, 302)],
)
def test_who_may_open_a_ticket_on_a_customers_behalf(request, acme, carol, who, get_status, post_status):
    client = Client(HTTP_HOST="acme.localhost") if who is None else client_for(request.getfixturevalue(who))

    assert client.get(_url(carol)).status_code == get_status
    assert client.post(_url(carol), _valid()).status_code == post_status
    assert Ticket.objects.count() == (1 if post_status == 302 and who else 0)


# Query counts. Why these numbers: session + user + account (3); the customer, with the ticket counts a whole
# page shows (1); the team members the assignee list offers (1); the ticket field definitions (1, then kept
# by the process until one changes). Nothing of the customer's history is read: it may be long.
NEW_TICKET_FORM_QUERIES = 6


@pytest.mark.parametrize("tickets", [0, 20])
def test_the_form_takes_constant_queries(new_page, carol, ticket_fields, tickets, django_assert_num_queries):
    from demo.factories import TicketFactory

    TicketFactory.create_batch(tickets, requester=carol)

    with django_assert_num_queries(NEW_TICKET_FORM_QUERIES):
        assert new_page.get(_url(carol), headers=IN_PLACE).status_code == 200


def test_the_ticket_page_shows_its_fields_and_the_description_once(as_bob, carol, ticket_fields):
    response = as_bob.post(_url(carol), _valid(cf_product="gadget", cf_order="12345"), follow=True)

    page = response.content.decode()
    fields = response.context["fields_form"]  # the ticket fields card, editable, holding what was filed
    assert (fields["cf_product"].value(), fields["cf_order"].value()) == ("gadget", "12345")
    assert "Product" in page and "Order number" in page
    assert page.count("It stopped working on Monday.") == 1, "the description is the first comment"
