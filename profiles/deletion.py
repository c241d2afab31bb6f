"""Deleting a customer (B7: "deletion that really removes it"), the same from the profile page and the API.

What is only theirs goes: emails and phone numbers, organization memberships, custom field values (and
the lookup values of other records that named them), CCs, and every event of their timeline (those of the
customers merged into them too), with the tallies and integration ids that indexed them.

Their tickets stay, for the team's history and the other people on them: a customer who requested,
submitted or commented on any keeps a row emptied of everything personal (name, email, external id,
password, details, notes, tags, custom fields), marked `deleted_at`. Tickets show that requester as
"Deleted user"; no search, page, form or API finds the row. A customer with no ticket is deleted outright.
The audit entry keeps what was removed, counted, and nothing personal.
"""

from dataclasses import asdict, dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Locale, User
from accounts.services import audit_record
from activity.models import Event, EventClientId, EventKind
from activity.selectors import timeline_event_count
from custom_fields.models import CustomField, FieldObject, FieldType
from custom_fields.relations import lookup_links_update, lookup_references_count, lookup_references_repoint
from profiles.locking import customer_lock
from profiles.models import Identity, OrganizationMembership
from tickets.models import Comment, Ticket, TicketCC


@dataclass(frozen=True)
class DeletionPreview:
    """What deleting the customer removes, counted, and how many of their tickets are kept."""

    identities: int
    events: int
    custom_fields: int
    memberships: int
    ccs: int
    references: int
    tickets_kept: int


def deletion_preview(*, customer: User) -> DeletionPreview:
    """What `customer_delete` would remove for this customer now."""
    return DeletionPreview(
        identities=Identity.objects.filter(user_id=customer.pk).count(),
        events=timeline_event_count(customer=customer),
        custom_fields=sum(1 for value in customer.custom_fields.values() if value not in (None, "", [])),
        memberships=OrganizationMembership.objects.filter(user_id=customer.pk).count(),
        ccs=TicketCC.objects.filter(user_id=customer.pk).count(),
        references=lookup_references_count(account=customer.account, target=FieldObject.USER, record_id=customer.pk),
        tickets_kept=Ticket.objects.filter(requester_id=customer.pk).count(),
    )


@transaction.atomic
def customer_delete(*, customer: User, actor: User) -> DeletionPreview:
    """Delete the customer and their personal data, keeping their tickets with an anonymized requester (see
    the module's docstring); returns what was removed. Raises RecordGone when they are not a customer of
    the actor's account (any more)."""
    locked = customer_lock(customer=customer, actor=actor)
    removed = deletion_preview(customer=locked)
    owners = [locked.pk, *User.objects.filter(merged_into_id=locked.pk).values_list("pk", flat=True)]

    user_lookups = CustomField.objects.filter(
        account_id=locked.account_id, object_type=FieldObject.USER, type=FieldType.LOOKUP
    )
    lookup_links_update(source_id=locked.pk, fields=user_lookups, values={})
    lookup_references_repoint(account=locked.account, target=FieldObject.USER, from_id=locked.pk, to_id=None)
    Identity.objects.filter(user_id__in=owners).delete()
    OrganizationMembership.objects.filter(user_id__in=owners).delete()
    TicketCC.objects.filter(user_id__in=owners).delete()
    # The integration ids first: they name events by id only.
    events = Event.objects.filter(customer_id__in=owners)
    EventClientId.objects.filter(
        account_id=locked.account_id, event_id__in=events.exclude(client_id=None).values("pk")
    ).delete()
    events.delete()
    EventKind.objects.filter(customer_id__in=owners).delete()

    audit_record(
        account=locked.account,
        actor=actor,
        action="customer.deleted",
        target=locked,
        before={"removed": asdict(removed)},
    )
    kept = (
        Ticket.objects.filter(Q(requester_id__in=owners) | Q(submitter_id__in=owners)).exists()
        or Comment.objects.filter(author_id__in=owners).exists()
    )
    if kept:
        User.objects.filter(pk__in=owners).update(
            name="",
            email="",
            external_id="",
            password=make_password(None),
            details="",
            notes="",
            tags="",
            custom_fields={},
            locale=Locale.EN,
            time_zone="UTC",
            last_login=None,
            deleted_at=timezone.now(),
            updated_at=timezone.now(),
        )
    else:
        User.objects.filter(pk=locked.pk).delete()  # those merged into them go with them
    return removed
