"""Export data (B7): one JSON document with everything stored about a customer, for a data-subject request.

The document is written as it is read, piece by piece: the profile, emails and phone numbers,
organizations, custom fields, CC'd tickets, then the tickets they requested with their comments (read in
chunks) and every event of their timeline (read in keyset chunks, `activity.selectors.events_for_export`).
However many events a customer has, only one chunk of them is ever in memory, and the first bytes leave
before the last event is read.
"""

from collections.abc import Iterator

import msgspec
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import audit_record
from activity.selectors import events_for_export
from custom_fields.models import AgentAccess, FieldObject
from custom_fields.values import custom_fields_of
from profiles.models import Identity, OrganizationMembership
from tickets.models import Comment, Ticket, TicketCC

FORMAT = "helpdesk.customer-export/1"
TICKET_CHUNK_SIZE = 200
PROFILE_FIELDS = (
    "id",
    "name",
    "email",
    "external_id",
    "locale",
    "time_zone",
    "details",
    "notes",
    "tags",
    "suspended",
    "created_at",
    "updated_at",
    "last_login",
)


@transaction.atomic
def customer_export_record(*, customer: User, actor: User) -> None:
    """Put an export of the customer's data in the audit log (the export itself writes nothing)."""
    audit_record(account=customer.account, actor=actor, action="customer.exported", target=customer)


def export_filename(customer: User) -> str:
    return f"customer-{customer.pk}-{timezone.now():%Y%m%d}.json"


def customer_export(*, customer: User, role: str, event_chunk_size: int | None = None) -> Iterator[bytes]:
    """The export document of a customer of the account, as it is read, in pieces of JSON. An agent's leaves
    out the custom fields hidden from agents (B3); an admin's holds them all."""
    encode = msgspec.json.Encoder().encode
    yield b'{"format":' + encode(FORMAT) + b',"exported_at":' + encode(timezone.now())
    yield b',"customer":' + encode({f: getattr(customer, f) for f in PROFILE_FIELDS} | {"tags": customer.tag_list})
    identities = Identity.objects.filter(user_id=customer.pk).order_by("type", "-primary", "id")
    yield b',"identities":' + encode(
        [
            {"id": i.pk, "type": i.type, "value": i.value, "primary": i.primary, "verified": i.verified}
            for i in identities
        ]
    )
    memberships = OrganizationMembership.objects.filter(user_id=customer.pk).select_related("organization")
    yield b',"organizations":' + encode(
        [
            {"id": m.organization_id, "name": m.organization.name, "default": m.default}
            for m in memberships.order_by("-default", "organization__name", "id")
        ]
    )
    fields = custom_fields_of(account=customer.account, object_type=FieldObject.USER)
    if role != Role.ADMIN:
        fields = [f for f in fields if f.agent_access != AgentAccess.HIDDEN]
    yield b',"custom_fields":' + encode(
        [
            {"key": f.key, "title": f.title, "type": f.type, "value": customer.custom_fields[f.key]}
            for f in fields
            if f.key in customer.custom_fields
        ]
    )
    ccd = TicketCC.objects.filter(user_id=customer.pk).order_by("ticket_id").values_list("ticket_id", flat=True)
    yield b',"ccd_ticket_ids":' + encode(list(ccd))
    yield b',"tickets":['
    yield from _joined(encode(_ticket(t)) for t in _tickets(customer))
    yield b'],"events":['
    yield from _joined(
        b",".join(encode(event) for event in chunk)
        for chunk in events_for_export(customer=customer, chunk_size=event_chunk_size)
    )
    yield b"]}"


def _tickets(customer: User):
    comments = Comment.objects.select_related("author").order_by("created_at", "id")
    tickets = Ticket.objects.filter(requester_id=customer.pk).order_by("created_at", "id")
    return tickets.prefetch_related(Prefetch("comments", queryset=comments)).iterator(chunk_size=TICKET_CHUNK_SIZE)


def _ticket(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "tags": ticket.tag_list,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "solved_at": ticket.solved_at,
        "comments": [
            {
                "id": c.pk,
                "author": c.author.display_name,
                "by_customer": c.author_id == ticket.requester_id,
                "public": c.public,
                "body": c.body,
                "created_at": c.created_at,
            }
            for c in ticket.comments.all()
        ],
    }


def _joined(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """JSON array items, comma-separated, one piece at a time."""
    first = True
    for piece in pieces:
        yield piece if first else b"," + piece
        first = False
