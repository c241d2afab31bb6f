"""Tickets, Zendesk's way: list, show, create, update, and a user's requested and CC'd tickets. Writes go
through tickets.services (ticket_create, ticket_update, and ticket_reply for a comment or a status)."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import User
from api import shapes
from api.http import field_error
from api.paging import QUERY as PAGE_QUERY
from api.paging import page_of
from api.present import organization_shape, ticket_shape, user_shape
from api.routing import Param, Resource, forbidden, includes, invalid, not_found, read, reply
from api.user_writes import email_owner
from api.users import find_user, user_fields, user_rows
from custom_fields.values import custom_fields_visible
from profiles.identities import IdentityError, email_normalize
from profiles.models import Organization
from profiles.services import customer_create
from tickets.models import Priority, Status, Ticket, TicketCC, TicketType
from tickets.services import TicketInvalid, ticket_create, ticket_reply, ticket_update

TICKET_QUERY = (Param("include", "Side-load `users` and/or `organizations` (comma-separated)."),)

tickets = Resource("tickets", "tickets", "Tickets")
ticket = Resource("tickets/<id:ticket_id>", "ticket", "Tickets")
user_requested = Resource("users/<id:user_id>/tickets/requested", "user_requested", "Tickets")
user_ccd = Resource("users/<id:user_id>/tickets/ccd", "user_ccd", "Tickets")


def _rows(request):
    return Ticket.objects.filter(account=request.account).prefetch_related(
        Prefetch("cc_links", queryset=TicketCC.objects.order_by("user_id"))
    )


def _fields(request) -> list:
    return custom_fields_visible(account=request.account, object_type="ticket", role=request.api_actor.role)


def _sideloads(request, rows: list[Ticket]) -> dict:
    wanted, extra = includes(request), {}
    if "users" in wanted:
        ids = {i for t in rows for i in (t.requester_id, t.submitter_id, t.assignee_id) if i}
        ids |= {link.user_id for t in rows for link in t.cc_links.all()}
        fields = user_fields(request)
        extra["users"] = [
            user_shape(request, p, fields) for p in user_rows(request.account).filter(pk__in=ids).order_by("id")
        ]
    if "organizations" in wanted:
        ids = {t.organization_id for t in rows if t.organization_id}
        fields = custom_fields_visible(account=request.account, object_type="organization", role=request.api_actor.role)
        orgs = Organization.objects.filter(account=request.account, pk__in=ids).order_by("id")
        extra["organizations"] = [organization_shape(request, o, fields) for o in orgs]
    return extra


def _list(request, rows):
    page = page_of(request, rows, keys=[("id", False)])
    fields = _fields(request)
    items = [ticket_shape(request, t, fields) for t in page.items]
    return reply(shapes.TicketList(tickets=items, **page.envelope, **_sideloads(request, page.items)))


def _find(request, ticket_id: int) -> Ticket:
    found = _rows(request).select_related("requester").filter(pk=ticket_id).first()
    if found is None:
        raise not_found()
    return found


def _one(request, ticket_id: int, status: int = 200):
    found = _find(request, ticket_id)
    envelope = shapes.TicketEnvelope(
        ticket=ticket_shape(request, found, _fields(request)), **_sideloads(request, [found])
    )
    return reply(envelope, status=status)


@tickets.operation(
    "GET",
    "List tickets; offset or cursor pages",
    responses={200: shapes.TicketList},
    query=(*TICKET_QUERY, *PAGE_QUERY),
)
def tickets_list(request):
    return _list(request, _rows(request))


@ticket.operation("GET", "Show a ticket", responses={200: shapes.TicketEnvelope, 404: shapes.Error}, query=TICKET_QUERY)
def ticket_show(request, ticket_id: int):
    return _one(request, ticket_id)


@user_requested.operation(
    "GET",
    "The tickets a user requested",
    responses={200: shapes.TicketList, 404: shapes.Error},
    query=(*TICKET_QUERY, *PAGE_QUERY),
)
def user_requested_list(request, user_id: int):
    return _list(request, _rows(request).filter(requester=find_user(request, user_id)))


@user_ccd.operation(
    "GET",
    "The tickets a user is CC'd on",
    responses={200: shapes.TicketList, 404: shapes.Error},
    query=(*TICKET_QUERY, *PAGE_QUERY),
)
def user_ccd_list(request, user_id: int):
    return _list(request, _rows(request).filter(cc_links__user=find_user(request, user_id)))


def _check(write: shapes.TicketWrite, errors: dict) -> dict:
    """The simple fields' values, checked (a 422 later names each one at fault)."""
    values = {}
    if write.priority is not shapes.UNSET:
        if (write.priority or "") not in ("", *Priority.values):
            errors.update(
                field_error("ticket.priority", "InvalidValue", _("Must be one of low, normal, high or urgent."))
            )
        values["priority"] = write.priority or ""
    if write.type is not shapes.UNSET:
        if (write.type or "") not in ("", *TicketType.values):
            errors.update(
                field_error("ticket.type", "InvalidValue", _("Must be one of question, incident, problem or task."))
            )
        values["type"] = write.type or ""
    if write.status is not shapes.UNSET and write.status not in Status.values:
        errors.update(
            field_error(
                "ticket.status", "InvalidValue", _("Must be one of new, open, pending, hold, solved or closed.")
            )
        )
    return values


def _assignee(request, write, errors: dict):
    if write.assignee_id in (shapes.UNSET, None):
        return write.assignee_id
    found = User.objects.filter(account=request.account, pk=write.assignee_id).first()
    if found is None or not found.is_team_member:
        errors.update(
            field_error("ticket.assignee_id", "InvalidValue", _("Only a team member of this helpdesk can be assigned."))
        )
    return found


def _requester(request, write, errors: dict) -> User | None:
    if write.requester_id is not shapes.UNSET:
        found = User.objects.filter(account=request.account, pk=write.requester_id).first()
        if found is None:
            errors.update(field_error("ticket.requester_id", "NotFound", _("No user with this id here.")))
        return found
    if write.requester is not shapes.UNSET:
        try:
            email = email_normalize(write.requester.email)
        except IdentityError as error:
            errors.update(field_error("ticket.requester.email", "InvalidValue", error.message))
            return None
        found = email_owner(request.account, email)
        if found is None:
            name = write.requester.name if write.requester.name is not shapes.UNSET else ""
            found = customer_create(
                account=request.account, actor=request.api_actor, name=name.strip() or email.split("@")[0], email=email
            )
        return found
    errors.update(
        field_error("ticket.requester_id", "Required", _("Give a requester_id or a requester {name, email}."))
    )
    return None


def _text(write) -> str:
    if write.comment is not shapes.UNSET:
        return (write.comment.body if write.comment.body is not shapes.UNSET else "").strip()
    return (write.description if write.description is not shapes.UNSET else "").strip()


def _refused(error: TicketInvalid):
    return invalid(
        {
            f"ticket.{'assignee_id' if k == 'assignee' else k}": [{"error": "InvalidValue", "description": str(v)}]
            for k, v in error.errors.items()
        }
    )


@tickets.operation(
    "POST",
    "Create a ticket: subject, comment.body, requester_id or requester {name, email}, priority, type, assignee_id, "
    "tags (201)",
    body=shapes.TicketBody,
    responses={201: shapes.TicketEnvelope, 422: shapes.Error},
)
def ticket_create_view(request):
    write = read(request, shapes.TicketBody).ticket
    errors = {}
    values = _check(write, errors)
    assignee = _assignee(request, write, errors)
    subject = " ".join((write.subject if write.subject is not shapes.UNSET else "").split())
    description = _text(write)
    if not subject:
        subject = description.split("\n", 1)[0][:255]
    if not subject:
        errors.update(field_error("ticket.subject", "Required", _("Give a subject or a comment.")))
    with transaction.atomic():
        requester = _requester(request, write, errors)
        if errors:  # a requester created just now goes too
            raise invalid(errors)
        requester.account = request.account
        created = ticket_create(
            requester=requester,
            submitter=request.api_actor,
            subject=subject,
            description=description,
            priority=values.get("priority", ""),
            type=values.get("type", ""),
            assignee=assignee if assignee is not shapes.UNSET else None,
        )
        if write.tags not in (shapes.UNSET, None):
            tags = write.tags if isinstance(write.tags, list) else write.tags.split()
            try:
                ticket_update(ticket=created, actor=request.api_actor, changes={"tags": created.tag_list + list(tags)})
            except TicketInvalid as error:
                raise _refused(error) from None
        if write.status not in (shapes.UNSET, created.status):
            ticket_reply(ticket=created, author=request.api_actor, body="", public=True, status=write.status)
    return _one(request, created.pk, status=201)


@ticket.operation(
    "PUT",
    "Update a ticket: subject, priority, type, assignee_id, tags, status, and a comment {body, public}",
    body=shapes.TicketBody,
    responses={200: shapes.TicketEnvelope, 404: shapes.Error, 422: shapes.Error},
)
def ticket_update_view(request, ticket_id: int):
    found = _find(request, ticket_id)
    write = read(request, shapes.TicketBody).ticket
    errors = {}
    changes = _check(write, errors)
    assignee = _assignee(request, write, errors)
    if assignee is not shapes.UNSET:
        changes["assignee"] = assignee
    if write.subject is not shapes.UNSET:
        changes["subject"] = write.subject
    if write.tags is not shapes.UNSET:
        changes["tags"] = write.tags or ""
    if errors:
        raise invalid(errors)
    if write.requester_id is not shapes.UNSET and write.requester_id != found.requester_id:
        raise forbidden(_("A ticket's requester doesn't change through the API."))
    with transaction.atomic():
        try:
            ticket_update(ticket=found, actor=request.api_actor, changes=changes)
        except TicketInvalid as error:
            raise _refused(error) from None
        body = _text(write) if write.comment is not shapes.UNSET else ""
        status = write.status if write.status is not shapes.UNSET else found.status
        if body or status != found.status:
            public = write.comment.public if write.comment is not shapes.UNSET else True
            ticket_reply(ticket=found, author=request.api_actor, body=body, public=public, status=status)
    return _one(request, ticket_id)
