"""Every request and response shape of the API v2 (apart from the events API), as msgspec Structs: one
definition that validates what clients send, encodes what the API answers and gives the OpenAPI document.

Request shapes ignore fields they don't know (clients send back whole records, read-only fields included)
and mark what wasn't sent as UNSET, so an update changes only what it names.
"""

import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from api.paging import list_shape

Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]
Text = Annotated[str, Meta(max_length=10_000)]
Name = Annotated[str, Meta(max_length=255)]
Tags = list[Annotated[str, Meta(max_length=80)]] | Annotated[str, Meta(max_length=10_000)]
Time = datetime.datetime
Fields = dict[str, Any]


class Error(Struct):
    """Every error: `details` names each field at fault, e.g. {"email": [{"error": "DuplicateValue", …}]}."""

    error: str
    description: str
    details: dict[str, list[dict[str, str]]] | UnsetType = UNSET


# Users


class User(Struct, kw_only=True):
    id: int
    url: str
    name: str
    email: str | None
    phone: str | None
    shared_phone_number: bool | None
    role: str
    role_type: None = None
    active: bool
    verified: bool
    suspended: bool
    locale: str
    time_zone: str
    iana_time_zone: str
    details: str
    notes: str
    tags: list[str]
    external_id: str | None
    organization_id: int | None
    user_fields: Fields
    last_login_at: Time | None
    created_at: Time
    updated_at: Time
    shared: bool = False
    moderator: bool = False
    photo: None = None


class UserWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    """What a client may set on a user (create, update, create_or_update, bulk)."""

    id: Id | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=254)] | None | UnsetType = UNSET
    phone: Annotated[str, Meta(max_length=64)] | None | UnsetType = UNSET
    role: str | UnsetType = UNSET
    locale: Annotated[str, Meta(max_length=16)] | UnsetType = UNSET
    time_zone: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    details: Text | None | UnsetType = UNSET
    notes: Text | None | UnsetType = UNSET
    tags: Tags | None | UnsetType = UNSET
    external_id: Annotated[str, Meta(max_length=255)] | None | UnsetType = UNSET
    organization_id: Id | None | UnsetType = UNSET
    user_fields: Fields | None | UnsetType = UNSET
    suspended: bool | UnsetType = UNSET
    verified: bool | UnsetType = UNSET


class UserBody(Struct):
    user: UserWrite


class UsersBody(Struct):
    users: Annotated[list[UserWrite], Meta(min_length=1, max_length=100)]


class UserEnvelope(Struct, kw_only=True):
    user: User
    organizations: list["Organization"] | UnsetType = UNSET
    identities: list["Identity"] | UnsetType = UNSET


class UserRelated(Struct, kw_only=True):
    requested_tickets: int
    ccd_tickets: int
    assigned_tickets: int
    organization_subscriptions: int = 0
    topics: int = 0
    topic_comments: int = 0
    votes: int = 0
    subscriptions: int = 0
    entry_subscriptions: int = 0
    forum_subscriptions: int = 0


class UserRelatedEnvelope(Struct):
    user_related: UserRelated


class TagsBody(Struct):
    tags: Tags


class TagsEnvelope(Struct):
    tags: list[str]


class MergeBody(Struct):
    """PUT users/{id}/merge: `{"user": {"id": target}}` (the path's user merges into the target)."""

    user: "MergeTarget"


class MergeTarget(Struct, forbid_unknown_fields=False):
    id: Id


# Identities


class Identity(Struct, kw_only=True):
    id: int
    url: str
    user_id: int
    type: str
    value: str
    verified: bool
    primary: bool
    created_at: Time
    updated_at: Time
    undeliverable_count: int = 0
    deliverable_state: str = "deliverable"


class IdentityWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    type: str | UnsetType = UNSET
    value: Annotated[str, Meta(max_length=254)] | UnsetType = UNSET
    verified: bool | UnsetType = UNSET
    primary: bool | UnsetType = UNSET


class IdentityBody(Struct):
    identity: IdentityWrite


class IdentityEnvelope(Struct):
    identity: Identity


# Organizations and memberships


class Organization(Struct, kw_only=True):
    id: int
    url: str
    name: str
    domain_names: list[str]
    details: str
    notes: str
    tags: list[str]
    organization_fields: Fields
    created_at: Time
    updated_at: Time
    external_id: None = None
    group_id: None = None
    shared_tickets: bool = False
    shared_comments: bool = False


class OrganizationWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    id: Id | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    domain_names: list[Annotated[str, Meta(max_length=253)]] | None | UnsetType = UNSET
    details: Text | None | UnsetType = UNSET
    notes: Text | None | UnsetType = UNSET
    tags: Tags | None | UnsetType = UNSET
    organization_fields: Fields | None | UnsetType = UNSET


class OrganizationBody(Struct):
    organization: OrganizationWrite


class OrganizationEnvelope(Struct):
    organization: Organization


class Membership(Struct, kw_only=True):
    id: int
    url: str
    user_id: int
    organization_id: int
    organization_name: str
    default: bool
    created_at: Time
    updated_at: Time
    view_tickets: bool = True


class MembershipWrite(Struct, forbid_unknown_fields=False):
    user_id: Id
    organization_id: Id


class MembershipBody(Struct):
    organization_membership: MembershipWrite


class MembershipEnvelope(Struct):
    organization_membership: Membership


# Tickets


class TicketFieldValue(Struct):
    id: int
    value: Any


class Ticket(Struct, kw_only=True):
    id: int
    url: str
    subject: str
    raw_subject: str
    description: str
    status: str
    priority: str | None
    type: str | None
    requester_id: int
    submitter_id: int
    assignee_id: int | None
    organization_id: int | None
    collaborator_ids: list[int]
    tags: list[str]
    custom_fields: list[TicketFieldValue]
    created_at: Time
    updated_at: Time
    external_id: None = None
    is_public: bool = True


class TicketComment(Struct, kw_only=True, forbid_unknown_fields=False):
    body: Annotated[str, Meta(max_length=65_536)] | UnsetType = UNSET
    html_body: Annotated[str, Meta(max_length=65_536)] | UnsetType = UNSET
    public: bool = True


class TicketRequester(Struct, kw_only=True, forbid_unknown_fields=False):
    name: Name | UnsetType = UNSET
    email: Annotated[str, Meta(max_length=254)]


class TicketWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    subject: Name | UnsetType = UNSET
    comment: TicketComment | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=65_536)] | UnsetType = UNSET
    requester_id: Id | UnsetType = UNSET
    requester: TicketRequester | UnsetType = UNSET
    status: str | UnsetType = UNSET
    priority: str | None | UnsetType = UNSET
    type: str | None | UnsetType = UNSET
    assignee_id: Id | None | UnsetType = UNSET
    tags: Tags | None | UnsetType = UNSET
    safe_update: bool | UnsetType = UNSET


class TicketBody(Struct):
    ticket: TicketWrite


class TicketEnvelope(Struct, kw_only=True):
    ticket: Ticket
    users: list[User] | UnsetType = UNSET
    organizations: list[Organization] | UnsetType = UNSET


# User and organization fields


class FieldOption(Struct, kw_only=True):
    id: int
    name: str
    value: str
    position: int


class FieldOptionWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    id: Id | UnsetType = UNSET
    name: Name
    value: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET


class FieldOptionBody(Struct):
    custom_field_option: FieldOptionWrite


class FieldOptionEnvelope(Struct):
    custom_field_option: FieldOption


class FieldOptionList(Struct):
    custom_field_options: list[FieldOption]
    next_page: None = None
    previous_page: None = None
    count: int = 0


class CustomField(Struct, kw_only=True):
    id: int
    url: str
    key: str
    type: str
    title: str
    raw_title: str
    description: str
    raw_description: str
    position: int
    active: bool
    system: bool
    regexp_for_validation: str | None
    relationship_target_type: str | None
    custom_field_options: list[FieldOption] | UnsetType = UNSET
    agent_access: str
    created_at: Time
    updated_at: Time


class CustomFieldWrite(Struct, kw_only=True, forbid_unknown_fields=False):
    type: str | UnsetType = UNSET
    key: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    title: Name | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=500)] | None | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    regexp_for_validation: Annotated[str, Meta(max_length=500)] | None | UnsetType = UNSET
    relationship_target_type: str | None | UnsetType = UNSET
    custom_field_options: list[FieldOptionWrite] | None | UnsetType = UNSET
    agent_access: str | UnsetType = UNSET


class UserFieldBody(Struct):
    user_field: CustomFieldWrite


class UserFieldEnvelope(Struct):
    user_field: CustomField


class OrganizationFieldBody(Struct):
    organization_field: CustomFieldWrite


class OrganizationFieldEnvelope(Struct):
    organization_field: CustomField


class UserFieldOrder(Struct):
    user_field_ids: Annotated[list[Id], Meta(max_length=1000)]


class OrganizationFieldOrder(Struct):
    organization_field_ids: Annotated[list[Id], Meta(max_length=1000)]


# Background jobs (create_many, update_many, destroy_many)


class JobResult(Struct, kw_only=True, omit_defaults=True):
    index: int
    id: int | None = None
    action: str
    status: str | None = None
    success: bool
    error: str | None = None
    details: str | None = None
    external_id: str | None = None


class JobStatus(Struct, kw_only=True):
    id: str
    url: str
    job_type: str
    status: str
    total: int
    progress: int
    message: str | None
    results: list[JobResult] | None


class JobStatusEnvelope(Struct):
    job_status: JobStatus


# Lists

UserList = list_shape("UserList", "users", User, organizations=Organization, identities=Identity)
IdentityList = list_shape("IdentityList", "identities", Identity)
OrganizationList = list_shape("OrganizationList", "organizations", Organization)
MembershipList = list_shape("MembershipList", "organization_memberships", Membership, organizations=Organization)
TicketList = list_shape("TicketList", "tickets", Ticket, users=User, organizations=Organization)
UserFieldList = list_shape("UserFieldList", "user_fields", CustomField)
OrganizationFieldList = list_shape("OrganizationFieldList", "organization_fields", CustomField)

UNSET = msgspec.UNSET
