"""Records as the API answers them (the shapes of `api.shapes`), in the original's words: times in UTC to the
second, tags as lists, custom field values by key. Each `*_shape` reads only what its caller loaded."""

import datetime
import zlib

from django.urls import reverse

from accounts.models import User
from api import shapes
from custom_fields.models import CustomField as FieldDefinition
from custom_fields.models import FieldType
from profiles.models import Identity, IdentityType, Organization, OrganizationMembership, PhoneLine
from tickets.models import Ticket

LOOKUP_TARGETS = {"user": "zen:user", "organization": "zen:organization", "ticket": "zen:ticket"}
FIELD_TYPES = {FieldType.DROPDOWN: "dropdown", FieldType.MULTISELECT: "multiselect"}


def utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """To the second, in UTC: the original writes 2026-12-02T16:34:08Z."""
    return moment and moment.astimezone(datetime.UTC).replace(microsecond=0)


def absolute(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}_json", args=args))


def field_values(stored: dict, fields: list[FieldDefinition]) -> dict:
    """Every field the caller sees, by key, with its value (None when unset), in the admins' order."""
    return {f.key: stored.get(f.key, False if f.type == FieldType.CHECKBOX else None) for f in fields}


def user_shape(request, user: User, fields: list[FieldDefinition]) -> shapes.User:
    """`user` with its identities and memberships prefetched (`identities`, `memberships`)."""
    identities = list(user.identities.all())
    emails = [i for i in identities if i.type == IdentityType.EMAIL]
    phones = [i for i in identities if i.type == IdentityType.PHONE]
    email = next((i for i in emails if i.primary), None)
    phone = next((i for i in phones if i.primary), phones[0] if phones else None)
    memberships = list(user.memberships.all())
    default = next((m for m in memberships if m.default), memberships[0] if memberships else None)
    return shapes.User(
        id=user.pk,
        url=absolute(request, "user", user.pk),
        name=user.name,
        email=user.email or None,
        phone=phone.value if phone else None,
        shared_phone_number=(phone.phone_line == PhoneLine.SHARED) if phone else None,
        role=user.role,
        active=not user.suspended,
        verified=bool(email and email.verified),
        suspended=user.suspended,
        locale=user.locale,
        time_zone=user.time_zone,
        iana_time_zone=user.time_zone,
        details=user.details,
        notes=user.notes,
        tags=user.tag_list,
        external_id=user.external_id or None,
        organization_id=default.organization_id if default else None,
        user_fields=field_values(user.custom_fields or {}, fields),
        last_login_at=utc(user.last_login),
        created_at=utc(user.created_at),
        updated_at=utc(user.updated_at),
    )


def identity_shape(request, identity: Identity) -> shapes.Identity:
    return shapes.Identity(
        id=identity.pk,
        url=absolute(request, "identity", identity.user_id, identity.pk),
        user_id=identity.user_id,
        type=identity.type,
        value=identity.value,
        verified=identity.verified,
        primary=identity.primary,
        created_at=utc(identity.created_at),
        updated_at=utc(identity.updated_at),
    )


def organization_shape(request, organization: Organization, fields: list[FieldDefinition]) -> shapes.Organization:
    return shapes.Organization(
        id=organization.pk,
        url=absolute(request, "organization", organization.pk),
        name=organization.name,
        domain_names=organization.domain_list,
        details=organization.details,
        notes=organization.notes,
        tags=organization.tags.split(),
        organization_fields=field_values(organization.custom_fields or {}, fields),
        created_at=utc(organization.created_at),
        updated_at=utc(organization.updated_at),
    )


def membership_shape(request, membership: OrganizationMembership) -> shapes.Membership:
    """`membership` with its organization loaded."""
    return shapes.Membership(
        id=membership.pk,
        url=absolute(request, "membership", membership.pk),
        user_id=membership.user_id,
        organization_id=membership.organization_id,
        organization_name=membership.organization.name,
        default=membership.default,
        created_at=utc(membership.created_at),
        updated_at=utc(membership.created_at),
    )


def ticket_shape(request, ticket: Ticket, fields: list[FieldDefinition]) -> shapes.Ticket:
    """`ticket` with its CC links prefetched (`cc_links`)."""
    stored = ticket.custom_fields or {}
    return shapes.Ticket(
        id=ticket.pk,
        url=absolute(request, "ticket", ticket.pk),
        subject=ticket.subject,
        raw_subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority or None,
        type=ticket.type or None,
        requester_id=ticket.requester_id,
        submitter_id=ticket.submitter_id,
        assignee_id=ticket.assignee_id,
        organization_id=ticket.organization_id,
        collaborator_ids=sorted(link.user_id for link in ticket.cc_links.all()),
        tags=ticket.tag_list,
        custom_fields=[shapes.TicketFieldValue(id=f.pk, value=stored.get(f.key)) for f in fields],
        created_at=utc(ticket.created_at),
        updated_at=utc(ticket.updated_at),
    )


def option_id(field: FieldDefinition, value: str) -> int:
    """An option's id: stable for as long as the option keeps its value (options are stored without ids)."""
    return zlib.crc32(f"{field.pk}:{value}".encode()) or 1


def option_shapes(field: FieldDefinition) -> list[shapes.FieldOption]:
    return [
        shapes.FieldOption(id=option_id(field, o["value"]), name=o["name"], value=o["value"], position=position)
        for position, o in enumerate(field.options)
    ]


def custom_field_shape(request, field: FieldDefinition) -> shapes.CustomField:
    kind = "user_field" if field.object_type == "user" else "organization_field"
    return shapes.CustomField(
        id=field.pk,
        url=absolute(request, kind, field.pk),
        key=field.key,
        type=FIELD_TYPES.get(field.type, field.type),
        title=field.title,
        raw_title=field.title,
        description=field.description,
        raw_description=field.description,
        position=field.position,
        active=field.active,
        system=False,
        regexp_for_validation=field.regexp or None,
        relationship_target_type=LOOKUP_TARGETS.get(field.lookup_target),
        custom_field_options=option_shapes(field) if field.options else shapes.UNSET,
        agent_access=field.agent_access,
        created_at=utc(field.created_at),
        updated_at=utc(field.created_at),
    )
