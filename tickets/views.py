from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import team_member_required
from common.http import or_404
from common.merge import EditConflict
from tickets.forms import ReplyForm, TicketFieldsForm
from tickets.models import Status
from tickets.selectors import ticket_for_team_member
from tickets.services import StaleTicket, ticket_fields_update, ticket_reply


def _page(request, ticket, *, form: ReplyForm, fields_form: TicketFieldsForm, status: int = 200):
    context = {"ticket": ticket, "form": form, "fields_form": fields_form, "nav": "customers"}
    return render(request, "tickets/ticket_page.html", context, status=status)


@team_member_required
@require_http_methods(["GET", "POST"])
def ticket_page(request, ticket_id: int):
    """A ticket with its conversation, its fields, and the agent's reply form ("submit as" a status)."""
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
    fields_form = TicketFieldsForm(record=ticket, role=request.user.role)
    return _page(request, ticket, form=form, fields_form=fields_form, status=status)


@team_member_required
@require_POST
def ticket_fields_save(request, ticket_id: int):
    """The ticket fields' one Save: merged with what another agent saved meanwhile, or a conflict to resolve.
    With htmx only the fields card is swapped, so a reply being written stays as it is."""
    ticket = or_404(ticket_for_team_member(account=request.account, ticket_id=ticket_id))
    fields_form = TicketFieldsForm(request.POST, account=request.account, role=request.user.role)
    fields_form.resolve()
    status = 400
    if not fields_form.is_valid():
        messages.error(request, _("Some fields need your attention. Nothing was saved."))
    else:
        try:
            changed = ticket_fields_update(ticket=ticket, actor=request.user, **fields_form.merge_arguments())
        except EditConflict as conflict:
            fields_form.show_conflicts(conflict)
            messages.error(request, _("Another agent saved these fields while you were editing. Nothing was saved."))
            status = 409
        else:
            messages.success(
                request, _("Ticket fields saved.") if changed else _("Nothing to save: no field was changed.")
            )
            if not request.htmx:
                return redirect("tickets:ticket", ticket_id=ticket.pk)
            fields_form = fields_form.after_save(ticket)
            status = 200
    if request.htmx:
        context = {"ticket": ticket, "fields_form": fields_form, "fields_messages": True}
        return render(request, "tickets/ticket_page.html#ticket-fields", context, status=status)
    return _page(request, ticket, form=ReplyForm(ticket=ticket), fields_form=fields_form, status=status)
