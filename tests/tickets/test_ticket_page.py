from demo.factories import CommentFactory, TicketFactory


def test_an_agent_reads_a_ticket_with_its_conversation(as_bob, carol):
    ticket = TicketFactory(requester=carol, subject="Printer on fire", status="open")
    CommentFactory(ticket=ticket, body="It is <b>really</b> burning", public=True)
    CommentFactory(ticket=ticket, body="Internal: call the fire brigade", public=False)

    page = as_bob.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    assert "Printer on fire" in page and "Carol Customer" in page
    assert "It is &lt;b&gt;really&lt;/b&gt; burning" in page
    assert "Internal note" in page


def test_another_accounts_ticket_is_a_404(as_bob, dave):
    ticket = TicketFactory(requester=dave)

    assert as_bob.get(f"/agent/tickets/{ticket.pk}/").status_code == 404


def test_end_users_cannot_open_the_agent_ticket_page(as_carol, carol):
    ticket = TicketFactory(requester=carol)

    assert as_carol.get(f"/agent/tickets/{ticket.pk}/").status_code == 403


def test_the_portal_lists_only_the_customers_own_requests(as_carol, carol, acme):
    from demo.factories import UserFactory

    TicketFactory(requester=carol, subject="Mine")
    TicketFactory(requester=UserFactory(account=acme), subject="Someone else's")

    page = as_carol.get("/portal/").content.decode()

    assert "Mine" in page and "Someone else" not in page


def test_an_agent_replies_and_solves_from_the_ticket_page(as_bob, carol):
    ticket = TicketFactory(requester=carol, status="open")

    response = as_bob.post(
        f"/agent/tickets/{ticket.pk}/",
        {"body": "Fixed, <b>thanks</b>", "public": "true", "status": "solved", "status_seen": "open"},
        follow=True,
    )

    page = response.content.decode()
    assert "Ticket updated." in page and "Fixed, &lt;b&gt;thanks&lt;/b&gt;" in page
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_an_empty_reply_without_a_status_change_is_refused_next_to_the_form(as_bob, carol):
    ticket = TicketFactory(requester=carol, status="open")

    response = as_bob.post(
        f"/agent/tickets/{ticket.pk}/", {"body": "  ", "public": "true", "status": "open", "status_seen": "open"}
    )

    assert response.status_code == 400
    assert "Write a reply or choose another status." in response.content.decode()
    assert ticket.comments.count() == 0


def test_a_stale_status_keeps_the_typed_reply_and_explains(as_bob, carol):
    ticket = TicketFactory(requester=carol, status="pending")

    response = as_bob.post(
        f"/agent/tickets/{ticket.pk}/",
        {"body": "My long answer", "public": "false", "status": "open", "status_seen": "new"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Another agent set this ticket to “Pending”" in page
    assert "My long answer" in page and 'name="status_seen" value="pending"' in page


def test_a_bad_status_is_an_error_not_a_crash(as_bob, carol):
    ticket = TicketFactory(requester=carol, status="open")

    response = as_bob.post(
        f"/agent/tickets/{ticket.pk}/", {"body": "x", "public": "maybe", "status": "exploded", "status_seen": "open"}
    )

    assert response.status_code == 400
    assert ticket.comments.count() == 0


def test_nobody_replies_on_another_accounts_ticket(as_bob, dave):
    ticket = TicketFactory(requester=dave, status="open")

    response = as_bob.post(
        f"/agent/tickets/{ticket.pk}/", {"body": "hi", "public": "true", "status": "open", "status_seen": "open"}
    )

    assert response.status_code == 404
    assert ticket.comments.count() == 0


def test_a_customer_submits_a_request_from_the_portal(as_carol, carol):
    response = as_carol.post(
        "/portal/requests/new/", {"subject": "  Where is   my order? ", "description": "Late."}, follow=True
    )

    ticket = carol.tickets_requested.get()
    assert ticket.subject == "Where is my order?" and ticket.submitter == carol
    assert f"Request #{ticket.pk} was submitted." in response.content.decode()
    assert carol.events.filter(type="ticket_requested").count() == 1


def test_a_request_without_a_subject_shows_the_error_and_keeps_the_text(as_carol, carol):
    response = as_carol.post("/portal/requests/new/", {"subject": "", "description": "Keep me"})

    assert response.status_code == 400
    assert "Keep me" in response.content.decode()
    assert not carol.tickets_requested.exists()


def test_team_members_do_not_use_the_portal_form(as_bob):
    assert as_bob.get("/portal/requests/new/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_from_the_ticket_page_and_the_portal_form(anonymous, carol):
    ticket = TicketFactory(requester=carol, status="open")

    reply = anonymous.post(f"/agent/tickets/{ticket.pk}/", {"body": "x", "public": "true", "status": "solved"})
    request = anonymous.post("/portal/requests/new/", {"subject": "x", "description": "y"})

    assert reply.status_code == 302 and reply.url.startswith("/sign-in/")
    assert request.status_code == 302 and request.url.startswith("/sign-in/")
    assert ticket.comments.count() == 0 and not carol.tickets_requested.exclude(pk=ticket.pk).exists()


def test_a_customer_of_another_account_cannot_submit_a_request_here(dave, carol):
    from tests.conftest import client_for

    elsewhere = client_for(dave, host="acme.localhost")

    response = elsewhere.post("/portal/requests/new/", {"subject": "x", "description": "y"})

    assert response.status_code == 302 and response.url.startswith("/sign-in/")
    assert not dave.tickets_requested.exists()
