"""Writes on tickets. Each records the requester's timeline event and an audit entry in one transaction."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from common.tags import merge_tags, normalize_tags
from custom_fields.merge import CustomValueChange, custom_values_write, record_merge
from custom_fields.models import CustomField, FieldObject
from custom_fields.relations import lookup_links_update
from custom_fields.values import FORM_PREFIX
from tickets.events import ticket_requested_event, ticket_solved_event
from tickets.models import Comment, Priority, Status, Ticket, TicketCC, TicketType


class StaleTicket(Exception):
    """Someone changed the ticket's status after this agent loaded it; nothing was written."""

    def __init__(self, current_status: str):
        super().__init__(current_status)
        self.current_status = current_status


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    submitter: User,
    subject: str,
    description: str,
    priority: str = "",
    type: str = "",
    assignee: User | None = None,
    ccs: Sequence[User] = (),
    custom_fields: dict[str, Any] | None = None,
    organization=None,
) -> Ticket:
    """Open a ticket for `requester` (submitted by them or on their behalf); their tags carry over, the
    description is its first public comment. `ccs` are people of the account to copy (the requester and
    repeats are skipped), `custom_fields` values already cleaned by the custom field rules, `organization`
    the requester's (their default one). Raises RecordGone when the requester was merged into someone else
    or deleted meanwhile: nothing is written."""
    if assignee is not None and (assignee.account_id != requester.account_id or not assignee.is_team_member):
        raise ValueError("Only a team member of the requester's account can be assigned.")
    if any(person.account_id != requester.account_id for person in ccs):
        raise ValueError("Only people of the requester's account can be CC'd.")
    # Held until the ticket is in: a merge of the requester or of someone CC'd (which locks them) waits for
    # it and moves it, or has happened and this ticket is refused rather than left on someone nobody can
    # open. Locked in id order, as merges lock, so the two never wait for each other in a circle.
    people = [requester.pk, *(person.pk for person in ccs)]
    live = (
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=people, merged_into__isnull=True, deleted_at__isnull=True)
        .order_by("pk")
    )
    if set(live.values_list("pk", flat=True)) != set(people):
        raise RecordGone(f"one of users {people} was merged or deleted")
    now = timezone.now()
    ticket = Ticket.objects.create(
        account_id=requester.account_id,
        requester=requester,
        submitter=submitter,
        assignee=assignee,
        assignee_name=assignee.name if assignee else "",
        organization=organization,
        subject=subject,
        description=description,
        status=Status.OPEN if assignee else Status.NEW,
        priority=priority,
        type=type,
        tags=merge_tags(requester.tags),
        custom_fields={k: v for k, v in (custom_fields or {}).items() if v is not None},
        created_at=now,
        updated_at=now,
    )
    if ticket.custom_fields:  # the Related tab reads lookup values through their links
        fields = CustomField.objects.filter(
            account_id=requester.account_id, object_type=FieldObject.TICKET, key__in=list(ticket.custom_fields)
        )
        lookup_links_update(source_id=ticket.pk, fields=fields, values=ticket.custom_fields)
    copied = list({person.pk: person for person in ccs if person.pk != requester.pk}.values())
    TicketCC.objects.bulk_create([TicketCC(ticket=ticket, user=person) for person in copied])
    if description:
        Comment.objects.create(ticket=ticket, author=submitter, body=description, public=True, created_at=now)
    # The backfill's own words and client id: a later backfill then skips this ticket.
    requested = ticket_requested_event(ticket_id=ticket.pk, subject=subject)
    event_record(
        customer=requester,
        type=requested.type,
        description=requested.description,
        properties={**requested.properties, "submitter_id": submitter.pk},
        occurred_at=now,
        client_id=requested.client_id,
    )
    audit_record(
        account=requester.account,
        actor=submitter,
        action="ticket.created",
        target=ticket,
        after={
            "subject": subject,
            "requester_id": requester.pk,
            "status": ticket.status,
            "priority": priority,
            "type": type,
            "assignee_id": assignee.pk if assignee else None,
            "cc_ids": [person.pk for person in copied],
            "custom_fields": ticket.custom_fields,
        },
    )
    return ticket


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, author: User, body: str, public: bool, status: str, status_seen: str | None = None
) -> Comment | None:
    """Add a comment and/or move the ticket to `status` ("submit as"). When `status_seen` is given and the
    ticket's status moved on since, nothing is written: the agent decides again, knowing the new status."""
    locked = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    previous = locked.status
    if status_seen is not None and status_seen != previous and status != previous:
        raise StaleTicket(previous)
    now = timezone.now()
    comment = None
    if body:
        comment = Comment.objects.create(ticket=locked, author=author, body=body, public=public, created_at=now)
        event_record(
            customer=locked.requester,
            type="comment_added",
            description=f"{'Comment' if public else 'Internal note'} on ticket #{locked.pk}",
            properties={"ticket_id": locked.pk, "public": public, "author_id": author.pk},
            occurred_at=now,
        )
    changes = {"updated_at": now}
    if status != previous:
        changes["status"] = status
        if status == Status.SOLVED:
            changes["solved_at"] = now
        moved = {"previous": previous, "current": status, "actor_id": author.pk}
        if status == Status.SOLVED:
            solved = ticket_solved_event(ticket_id=locked.pk, solved_at=now)
            event_record(
                customer=locked.requester,
                type=solved.type,
                description=solved.description,
                properties={**solved.properties, **moved},
                occurred_at=now,
                client_id=solved.client_id,
            )
        else:
            event_record(
                customer=locked.requester,
                type="ticket_status_changed",
                description=f"Ticket #{locked.pk} changed from {previous} to {status}",
                properties={"ticket_id": locked.pk, **moved},
                occurred_at=now,
            )
    if comment is None and "status" not in changes:
        return None
    Ticket.objects.filter(pk=locked.pk).update(**changes)
    for name, value in changes.items():
        setattr(ticket, name, value)
    audit_record(
        account=locked.requester.account,
        actor=author,
        action="ticket.updated",
        target=locked,
        before={"status": previous},
        after={"status": status, "comment_id": comment.pk if comment else None, "public": public},
    )
    return comment


class RequestClosed(Exception):
    """A closed request takes no more comments (a new request follows it up); nothing was written."""


# A customer writing back asks the team to look again: a request that waited on them, or was solved, opens.
REOPENED_BY_CUSTOMER = (Status.PENDING, Status.SOLVED)


@transaction.atomic
def ticket_comment_from_customer(*, ticket: Ticket, author: User, body: str) -> Comment:
    """A public comment from the portal by the requester or someone CC'd: a pending or solved request opens
    again, a closed one raises RequestClosed. Recorded like an agent's reply (`ticket_reply`): the comment
    on the requester's timeline, the status change if any, one audit entry."""
    body = body.strip()
    if not body:
        raise ValueError("A comment needs a body.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.requester_id != author.pk and not TicketCC.objects.filter(ticket=locked, user=author).exists():
        raise PermissionError("Only the requester or someone CC'd comments on a request.")
    if locked.status == Status.CLOSED:
        raise RequestClosed
    status = Status.OPEN if locked.status in REOPENED_BY_CUSTOMER else locked.status
    return ticket_reply(ticket=ticket, author=author, body=body, public=True, status=status)


@transaction.atomic
def ticket_fields_update(
    *,
    ticket: Ticket,
    actor: User,
    custom_changes: dict,
    custom_originals: dict,
    definitions: list[CustomField] | None = None,
) -> list[CustomValueChange]:
    """Save the ticket fields this agent changed since loading them, merged with what another agent saved
    meanwhile: a field both changed differently raises EditConflict and nothing is written. Each change
    goes on the requester's timeline; one audit entry. Returns the changes."""
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester")
        .filter(pk=ticket.pk, account_id=actor.account_id)
        .first()
    )
    if locked is None:
        raise RecordGone(f"ticket {ticket.pk} is not in account {actor.account_id}")
    account = ticket.account if Ticket._meta.get_field("account").is_cached(ticket) else actor.account
    merged = record_merge(
        record=locked,
        account=account,
        object_type=FieldObject.TICKET,
        custom_changes=custom_changes,
        custom_originals=custom_originals,
        definitions=definitions,
    )
    stored, custom = merged.stored, merged.custom
    if not custom.touched:
        return []
    values, changes = custom_values_write(
        account=account, source_id=locked.pk, stored=stored, touched=custom.touched, definitions=custom.definitions
    )
    now = timezone.now()
    Ticket.objects.filter(pk=locked.pk).update(custom_fields=values, updated_at=now)
    ticket.custom_fields, ticket.updated_at = values, now
    for change in changes:
        event_record(
            customer=locked.requester,
            type="ticket_field_changed",
            description=f"{change.field.title} changed on ticket #{locked.pk}"[:255],
            properties={**change.properties(), "ticket_id": locked.pk, "actor_id": actor.pk},
            occurred_at=now,
        )
    audit_record(
        account=account,
        actor=actor,
        action="ticket.fields_updated",
        target=locked,
        before={FORM_PREFIX + k: stored.get(k) for k in custom.touched},
        after={FORM_PREFIX + k: v for k, v in custom.touched.items()},
    )
    return changes


def tickets_move(*, source: User, target: User) -> dict[str, int]:
    """Give `target` every ticket part `source` had — tickets requested and submitted, comments written,
    CCs — in the caller's transaction (a merge of two people into one, which records it). A CC is kept
    once per ticket, and none on a ticket the target now requests. Returns what moved, by kind."""
    moved = {
        "requested": Ticket.objects.filter(requester=source).update(requester=target),
        "submitted": Ticket.objects.filter(submitter=source).update(submitter=target),
        "comments": Comment.objects.filter(author=source).update(author=target),
    }
    source_ccs = TicketCC.objects.filter(user=source)
    doubled = source_ccs.filter(Q(ticket__requester=target) | Q(ticket__cc_links__user=target))
    TicketCC.objects.filter(pk__in=list(doubled.values_list("pk", flat=True))).delete()
    moved["ccs"] = source_ccs.update(user=target)
    # The target was CC'd on tickets the source requested, which are now the target's own.
    TicketCC.objects.filter(user=target, ticket__requester=target).delete()
    return moved


class TicketInvalid(Exception):
    """A change the rules refuse; `errors` maps each field to its message. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_TICKET_FIELDS = ("subject", "priority", "type", "assignee", "tags")


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User, changes: dict) -> list[str]:
    """Change a ticket's subject, priority, type, assignee (a team member of the account, or None) or tags
    (status and comments go through `ticket_reply`); returns the fields changed. Records
    `ticket_updated` on the requester's timeline and an audit entry. Raises TicketInvalid."""
    locked = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    errors, after = {}, {}
    for name, value in changes.items():
        if name not in _TICKET_FIELDS:
            continue
        if name == "subject":
            value = " ".join((value or "").split())
            if not value or len(value) > 255:
                errors[name] = _("Give the ticket a subject of at most 255 characters.")
        elif name == "priority" and (value or "") not in ("", *Priority.values):
            errors[name] = _("Choose one of low, normal, high or urgent.")
        elif name == "type" and (value or "") not in ("", *TicketType.values):
            errors[name] = _("Choose one of question, incident, problem or task.")
        elif name == "assignee" and value is not None:
            if value.account_id != locked.account_id or not value.is_team_member:
                errors[name] = _("Only a team member of this helpdesk can be assigned.")
        elif name == "tags":
            value = normalize_tags(value if isinstance(value, list) else (value or ""))
        after[name] = value if name == "assignee" else (value or "")
    if errors:
        raise TicketInvalid(errors)
    current = {name: getattr(locked, name) for name in after}
    changed = [name for name in after if current[name] != after[name]]
    if not changed:
        return []
    now = timezone.now()
    for name in changed:
        setattr(locked, name, after[name])
        setattr(ticket, name, after[name])
    if "assignee" in changed:  # the tickets tab sorts by the name kept beside the assignee
        locked.assignee_name = ticket.assignee_name = after["assignee"].name if after["assignee"] else ""
        changed_columns = [*changed, "assignee_name"]
    else:
        changed_columns = changed
    locked.updated_at = ticket.updated_at = now
    locked.save(update_fields=[*changed_columns, "updated_at"])

    def plain(name, value):
        return value.pk if name == "assignee" and value is not None else value

    before = {name: plain(name, current[name]) for name in changed}
    now_values = {name: plain(name, after[name]) for name in changed}
    event_record(
        customer=locked.requester,
        type="ticket_updated",
        description=f"Ticket #{locked.pk} updated",
        properties={"ticket_id": locked.pk, "previous": before, "current": now_values, "actor_id": actor.pk},
        occurred_at=now,
    )
    audit_record(
        account=locked.requester.account,
        actor=actor,
        action="ticket.updated",
        target=locked,
        before=before,
        after=now_values,
    )
    return changed


@transaction.atomic
def customer_password_change(*, customer: User, password: str) -> None:
    """A customer chooses a new password in the portal (already checked by Django's validators). Their other
    sessions end with the old hash (the view keeps the current one with `update_session_auth_hash`); their
    timeline records `password_changed`, never the password."""
    customer.set_password(password)
    customer.save(update_fields=["password", "updated_at"])
    event_record(
        customer=customer,
        type="password_changed",
        description="Password changed",
        properties={"actor_id": customer.pk, "by_self": True},
    )
    audit_record(
        account=customer.account,
        actor=customer,
        action="user.password_changed",
        target=customer,
        after={"by_self": True},
    )
