"""Users, Zendesk's way: GET/POST /api/v2/users, GET/PUT/DELETE users/{id}, show_many, me, search,
create_or_update, related, tags, and the bulk create_many/update_many/destroy_many (background jobs).

PUT users/{id}/merge with {"user": {"id": target}} merges the path's customer into the target, through the
same merge service as the profile page's Merge (no preview: an integration confirms nothing).
"""

import msgspec
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import Role, User
from api import shapes
from api.http import field_error
from api.jobs import job_start
from api.paging import QUERY as PAGE_QUERY
from api.paging import cursor_envelope, cursor_params, page_of
from api.present import identity_shape, organization_shape, user_shape
from api.routing import (
    BULK_MAX_BYTES,
    Param,
    Resource,
    bad_parameter,
    forbidden,
    ids_param,
    includes,
    invalid,
    no_content,
    not_found,
    read,
    reply,
    text_list_param,
)
from api.user_writes import user_apply, user_create, user_matching, user_plan
from custom_fields.values import custom_fields_visible
from profiles.deletion import customer_delete
from profiles.merge import MergeRefused, customer_merge
from profiles.models import Organization, OrganizationMembership
from profiles.selectors import customers_search
from profiles.services import customer_tags_change
from tickets.models import Ticket

USER_QUERY = (Param("include", "Side-load `organizations` and/or `identities` (comma-separated)."),)

users = Resource("users", "users", "Users")
user = Resource("users/<id:user_id>", "user", "Users")
users_show_many = Resource("users/show_many", "users_show_many", "Users")
users_me = Resource("users/me", "users_me", "Users")
users_search = Resource("users/search", "users_search", "Users")
users_create_or_update = Resource("users/create_or_update", "users_create_or_update", "Users")
users_create_many = Resource("users/create_many", "users_create_many", "Users")
users_update_many = Resource("users/update_many", "users_update_many", "Users")
users_destroy_many = Resource("users/destroy_many", "users_destroy_many", "Users")
user_related = Resource("users/<id:user_id>/related", "user_related", "Users")
user_tags = Resource("users/<id:user_id>/tags", "user_tags", "Users")
user_merge = Resource("users/<id:user_id>/merge", "user_merge", "Users")


# Reading


def user_rows(account):
    """The account's users with what their shape needs: identities and organization memberships."""
    return User.objects.filter(account=account, deleted_at__isnull=True).prefetch_related(
        "identities", Prefetch("memberships", queryset=OrganizationMembership.objects.order_by("-default", "id"))
    )


def user_fields(request) -> list:
    return custom_fields_visible(account=request.account, object_type="user", role=request.api_actor.role)


def find_user(request, user_id: int) -> User:
    found = user_rows(request.account).filter(pk=user_id).first()
    if found is None:
        raise not_found()
    found.account = request.account
    return found


def _sideloads(request, people: list[User]) -> dict:
    wanted = includes(request)
    extra = {}
    if "organizations" in wanted:
        ids = {m.organization_id for p in people for m in p.memberships.all()}
        fields = custom_fields_visible(account=request.account, object_type="organization", role=request.api_actor.role)
        rows = Organization.objects.filter(account=request.account, pk__in=ids).order_by("id")
        extra["organizations"] = [organization_shape(request, o, fields) for o in rows]
    if "identities" in wanted:
        extra["identities"] = [identity_shape(request, i) for p in people for i in p.identities.all()]
    return extra


def _one(request, found: User, *, status: int = 200):
    return reply(
        shapes.UserEnvelope(user=user_shape(request, found, user_fields(request)), **_sideloads(request, [found])),
        status=status,
    )


def many_users(request, people: list[User], envelope: dict | None = None):
    fields = user_fields(request)
    return reply(
        shapes.UserList(
            users=[user_shape(request, p, fields) for p in people], **(envelope or {}), **_sideloads(request, people)
        )
    )


@users.operation(
    "GET",
    "List users (role= or role[]= end-user, agent, admin); offset or cursor pages",
    responses={200: shapes.UserList},
    query=(Param("role", "end-user, agent or admin"), Param("role[]", "Several roles"), *USER_QUERY, *PAGE_QUERY),
)
def users_list(request):
    roles = [r for r in [request.GET.get("role", ""), *request.GET.getlist("role[]")] if r]
    if any(r not in Role.values for r in roles):
        raise bad_parameter("role", _("Must be one of end-user, agent or admin."))
    rows = user_rows(request.account)
    if roles:
        rows = rows.filter(role__in=roles)
    page = page_of(request, rows, keys=[("id", False)])
    return many_users(request, page.items, page.envelope)


@user.operation("GET", "Show a user", responses={200: shapes.UserEnvelope, 404: shapes.Error}, query=USER_QUERY)
def user_show(request, user_id: int):
    return _one(request, find_user(request, user_id))


@users_show_many.operation(
    "GET",
    "Show up to 100 users by id or external id",
    responses={200: shapes.UserList, 400: shapes.Error},
    query=(Param("ids", "Comma-separated ids"), Param("external_ids", "Comma-separated external ids"), *USER_QUERY),
)
def users_show_many_view(request):
    rows = user_rows(request.account)
    if "external_ids" in request.GET:
        rows = rows.filter(external_id__in=text_list_param(request, "external_ids"))
    else:
        rows = rows.filter(pk__in=ids_param(request))
    return many_users(request, list(rows.order_by("id")))


@users_me.operation("GET", "The team member the token acts for", responses={200: shapes.UserEnvelope}, query=USER_QUERY)
def users_me_view(request):
    return _one(request, find_user(request, request.api_actor.pk))


def _search_terms(query: str) -> str:
    """Zendesk clients qualify terms ("email:ann@x.com", "type:user"): keep the values, drop the type filter."""
    terms = []
    for term in query.split():
        field, sep, value = term.partition(":")
        if sep and field.lower() == "type":
            continue
        terms.append(value if sep and field.lower() in ("email", "name", "phone", "tags", "organization") else term)
    return " ".join(terms)


@users_search.operation(
    "GET",
    "Search customers by name, any email or phone, organization or tag; or find a user by external id",
    responses={200: shapes.UserList, 400: shapes.Error},
    query=(
        Param("query", "What to look for (`email:`, `name:` and `phone:` qualifiers are understood)"),
        Param("external_id", "An exact external id"),
        *PAGE_QUERY[:3],
        *USER_QUERY,
    ),
)
def users_search_view(request):
    if request.GET.get("external_id"):
        return many_users(
            request, list(user_rows(request.account).filter(external_id=request.GET["external_id"].strip()))
        )
    query = _search_terms(request.GET.get("query", ""))
    if not query.strip():
        raise bad_parameter("query", _("Give a query or an external_id."))
    size, after, before = cursor_params(request, 2)
    found = customers_search(account=request.account, query=query, after=after, before=before, size=size)
    order = {p.pk: n for n, p in enumerate(found.items)}
    people = sorted(user_rows(request.account).filter(pk__in=order), key=lambda p: order[p.pk])
    # Both styles at once: offset clients follow next_page, cursor clients links.next; both are cursors here.
    envelope = cursor_envelope(request, found, size)
    envelope["next_page"], envelope["previous_page"] = envelope["links"].next, envelope["links"].prev
    if not found.has_next and not found.has_prev:
        envelope["count"] = len(people)
    return many_users(request, people, envelope)


# Writing


@users.operation(
    "POST",
    "Create a customer (201)",
    body=shapes.UserBody,
    responses={201: shapes.UserEnvelope, 422: shapes.Error, 403: shapes.Error},
)
def users_create(request):
    return users_create_from(request, read(request, shapes.UserBody).user)


@users_create_or_update.operation(
    "POST",
    "Update the user with this external_id (else email) — 200 — or create one — 201",
    body=shapes.UserBody,
    responses={200: shapes.UserEnvelope, 201: shapes.UserEnvelope, 422: shapes.Error, 403: shapes.Error},
)
def users_create_or_update_view(request):
    body = read(request, shapes.UserBody)
    existing = user_matching(account=request.account, write=body.user)
    if existing is None:
        return users_create_from(request, body.user)
    existing.account = request.account
    plan = user_plan(account=request.account, actor=request.api_actor, write=body.user, user=existing)
    user_apply(user=existing, actor=request.api_actor, plan=plan)
    return _one(request, find_user(request, existing.pk))


def users_create_from(request, write):
    plan = user_plan(account=request.account, actor=request.api_actor, write=write)
    created = user_create(account=request.account, actor=request.api_actor, plan=plan)
    return _one(request, find_user(request, created.pk), status=201)


@user.operation(
    "PUT",
    "Update a customer: name, email, phone, locale, time_zone, details, notes, tags, organization_id, user_fields, "
    "suspended, external_id; role (admins)",
    body=shapes.UserBody,
    responses={200: shapes.UserEnvelope, 404: shapes.Error, 422: shapes.Error, 403: shapes.Error},
)
def user_update(request, user_id: int):
    found = find_user(request, user_id)
    body = read(request, shapes.UserBody)
    plan = user_plan(account=request.account, actor=request.api_actor, write=body.user, user=found)
    user_apply(user=found, actor=request.api_actor, plan=plan)
    return _one(request, find_user(request, user_id))


@user.operation(
    "DELETE",
    "Delete a customer with their identities, memberships, custom field values and events (204); their tickets "
    "are kept, with an anonymized requester",
    responses={204: None, 404: shapes.Error, 403: shapes.Error},
)
def user_delete(request, user_id: int):
    found = find_user(request, user_id)
    if found.is_team_member:
        raise forbidden_team()
    customer_delete(customer=found, actor=request.api_actor)
    return no_content()


@user_merge.operation(
    "PUT",
    "Merge the user into another end user (the target is kept): their tickets, identities, organizations, "
    "events, tags and custom field values move to it",
    body=shapes.MergeBody,
    responses={200: shapes.UserEnvelope, 404: shapes.Error, 422: shapes.Error, 403: shapes.Error},
)
def user_merge_into(request, user_id: int):
    source = find_user(request, user_id)
    body = read(request, shapes.MergeBody)
    target = user_rows(request.account).filter(pk=body.user.id).first()
    if target is None:
        raise not_found("user.id")
    try:
        customer_merge(source=source, target=target, actor=request.api_actor)
    except MergeRefused as refused:
        raise invalid(field_error("user.id", "MergeRefused", refused.message)) from None
    return _one(request, find_user(request, target.pk))


def forbidden_team():
    return forbidden(_("Team members are managed in the admin center."))


# Related counts and tags


@user_related.operation(
    "GET", "Counts of what relates to a user", responses={200: shapes.UserRelatedEnvelope, 404: shapes.Error}
)
def user_related_view(request, user_id: int):
    found = find_user(request, user_id)
    tickets = Ticket.objects.filter(account=request.account)
    return reply(
        shapes.UserRelatedEnvelope(
            user_related=shapes.UserRelated(
                requested_tickets=tickets.filter(requester=found).count(),
                ccd_tickets=tickets.filter(cc_links__user=found).count(),
                assigned_tickets=tickets.filter(assignee=found).count(),
            )
        )
    )


@user_tags.operation("GET", "A user's tags", responses={200: shapes.TagsEnvelope, 404: shapes.Error})
def user_tags_show(request, user_id: int):
    return reply(shapes.TagsEnvelope(tags=find_user(request, user_id).tag_list))


def _tags_change(request, user_id: int, **change):
    found = find_user(request, user_id)
    if found.is_team_member:
        raise forbidden_team()
    body = read(request, shapes.TagsBody)
    tags = body.tags if isinstance(body.tags, list) else body.tags.split()
    key = next(iter(change))
    saved = customer_tags_change(customer=found, actor=request.api_actor, **{key: tags})
    return reply(shapes.TagsEnvelope(tags=saved))


_TAG_RESPONSES = {200: shapes.TagsEnvelope, 404: shapes.Error, 422: shapes.Error}


@user_tags.operation("POST", "Set a user's tags", body=shapes.TagsBody, responses=_TAG_RESPONSES)
def user_tags_set(request, user_id: int):
    return _tags_change(request, user_id, replace=True)


@user_tags.operation("PUT", "Add tags to a user", body=shapes.TagsBody, responses=_TAG_RESPONSES)
def user_tags_add(request, user_id: int):
    return _tags_change(request, user_id, add=True)


@user_tags.operation("DELETE", "Remove tags from a user", body=shapes.TagsBody, responses=_TAG_RESPONSES)
def user_tags_remove(request, user_id: int):
    return _tags_change(request, user_id, remove=True)


# Bulk: background jobs

_JOB = {200: shapes.JobStatusEnvelope, 400: shapes.Error, 422: shapes.Error}


@users_create_many.operation("POST", "Create up to 100 customers (a job)", body=shapes.UsersBody, responses=_JOB)
def users_create_many_view(request):
    body = read(request, shapes.UsersBody, max_bytes=BULK_MAX_BYTES)
    return job_start(request, "bulk_create_users", [{"action": "create", "user": u} for u in _raw(body.users)])


@users_update_many.operation(
    "PUT",
    'Update up to 100 users: `{"user": …}` for every `?ids=`, or `{"users": [{"id", …}]}` (a job)',
    body=shapes.UsersBody,
    responses=_JOB,
    query=(Param("ids", "Comma-separated ids, with a `user` body"),),
)
def users_update_many_view(request):
    if "ids" in request.GET:
        ids = ids_param(request)
        body = read(request, shapes.UserBody, max_bytes=BULK_MAX_BYTES)
        [raw] = _raw([body.user])
        items = [{"action": "update", "id": i, "user": raw} for i in ids]
    else:
        body = read(request, shapes.UsersBody, max_bytes=BULK_MAX_BYTES)
        items = []
        for index, (write, raw) in enumerate(zip(body.users, _raw(body.users))):
            if write.id is shapes.UNSET:
                raise invalid(field_error(f"users[{index}].id", "Required", _("This field is required.")))
            items.append({"action": "update", "id": write.id, "user": raw})
    return job_start(request, "bulk_update_users", items)


@users_destroy_many.operation(
    "DELETE",
    "Delete up to 100 customers (a job)",
    responses=_JOB,
    query=(Param("ids", "Comma-separated ids", required=True),),
)
def users_destroy_many_view(request):
    return job_start(request, "bulk_destroy_users", [{"action": "delete", "id": i} for i in ids_param(request)])


def _raw(writes: list) -> list[dict]:
    """The writes as plain JSON again (what was sent, minus what the shape doesn't know), for the job's row."""
    return [msgspec.to_builtins(w) for w in writes]
