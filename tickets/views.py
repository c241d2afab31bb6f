from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import team_member_required
from common.http import or_404
from tickets.forms import ReplyForm
from tickets.models import Status
from tickets.selectors import ticket_for_team_member
from tickets.services import StaleTicket, ticket_reply


@team_member_required
@require_http_methods(["GET", "POST"])
def ticket_page(request, ticket_id: int):
    """A ticket with its conversation, and the agent's reply form ("submit as" a status)."""
    ticket = or_404(ticket_for_team_member(account=request.account, ticket_id=ticket_id))
    form = ReplyForm(request.POST or None, ticket=ticket)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket_reply(
                    ticket=ticket,
                    author=request.user,
                    body=data["body"].strip(),
                    public=data["public"],
                    status=data["status"],
                    status_seen=data["status_seen"],
                )
            except StaleTicket as stale:
                form.add_error(
                    "status",
                    _(
                        "Another agent set this ticket to “%(status)s” while you were writing. Nothing was sent: "
                        "check the status and submit again."
                    )
                    % {"status": Status(stale.current_status).label},
                )
                form.rebase(stale.current_status)
            else:
                messages.success(request, _("Ticket updated."))
                return redirect("tickets:ticket", ticket_id=ticket.pk)
        status = 400
    return render(
        request, "tickets/ticket_page.html", {"ticket": ticket, "form": form, "nav": "customers"}, status=status
    )
