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
