from django.shortcuts import render

from accounts.decorators import team_member_required
from tickets.selectors import ticket_for_team_member


@team_member_required
def ticket_page(request, ticket_id: int):
    ticket = ticket_for_team_member(account=request.account, ticket_id=ticket_id)
    return render(request, "tickets/ticket_page.html", {"ticket": ticket, "nav": "customers"})
