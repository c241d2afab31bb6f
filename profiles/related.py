"""What the Related tab (F8) and an organization's Related section show: every lookup relationship a
customer or an organization takes part in, both directions, each collapsed with its count; expanding one
lists the records, 25 at a time, newest first, each linked to its page.

Counts and pages come from `custom_fields.relations` (one index range each, whatever the numbers); this
module reads the records themselves, always within the request's account.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Role, User
from common.keyset import KeysetPage
from custom_fields.models import CustomField, FieldObject
from custom_fields.relations import Relationship, relationship_field, relationship_source_ids, relationships_of
from profiles.models import Organization
from tickets.models import Ticket

# "<records> where this <record> is <field>", by (kind of the records pointing, kind of the record shown).
INCOMING_TITLES = {
    (FieldObject.ORGANIZATION, FieldObject.USER): gettext_lazy("Organizations where this customer is %(field)s"),
    (FieldObject.TICKET, FieldObject.USER): gettext_lazy("Tickets where this customer is %(field)s"),
    (FieldObject.USER, FieldObject.USER): gettext_lazy("People where this customer is %(field)s"),
    (FieldObject.ORGANIZATION, FieldObject.ORGANIZATION): gettext_lazy(
        "Organizations where this organization is %(field)s"
    ),
    (FieldObject.TICKET, FieldObject.ORGANIZATION): gettext_lazy("Tickets where this organization is %(field)s"),
    (FieldObject.USER, FieldObject.ORGANIZATION): gettext_lazy("People where this organization is %(field)s"),
}
OUTGOING_TITLES = {
    FieldObject.USER: gettext_lazy("This customer's %(field)s"),
    FieldObject.ORGANIZATION: gettext_lazy("This organization's %(field)s"),
}


@dataclass(frozen=True)
class RelatedItem:
    """One record as a relationship lists it: what it is called, its page (None: it has none, e.g. a team
    member), a line under it, and a ticket's status."""

    label: str
    url: str | None
    meta: str = ""
    ticket: Ticket | None = None


@dataclass
class RelatedRow:
    """One relationship as the page shows it: collapsed with its count, or open with a page of records."""

    relationship: Relationship
    title: str
    url: str  # the page with this relationship open: a plain link, and what htmx loads
    items: list[RelatedItem] | None = None  # None until it is listed
    opened: bool = False  # shown open (the one a link without JavaScript asked for)
    next_url: str | None = None
    back_url: str | None = None  # on a later page opened without JavaScript: back to the first

    @property
    def key(self) -> str:
        return self.relationship.key

    @property
    def count(self) -> int:
        return self.relationship.count

    @property
    def lazy(self) -> bool:
        """Listed when first opened (records pointing here); this record's own lookups are listed at once."""
        return self.relationship.incoming and self.items is None


def related_rows(
    *,
    account: Account,
    kind: str,
    record: User | Organization,
    role: str,
    base_url: str,
    open_field: int | None = None,
    after: str | None = None,
) -> list[RelatedRow]:
    """The relationships of `record` (a customer or an organization) that someone of `role` sees, in
    order, as rows linking to `base_url` (the page's URL with its query, ending in "?" or "&"). The one
    of `open_field`, if any, comes open at the page after `after`. Constant queries: the counts, one query
    per kind of record this record's own lookups point at, and the page of the open one."""
    relationships = relationships_of(
        account=account, kind=kind, record_id=record.pk, values=record.custom_fields or {}, role=role
    )
    targets: dict[str, set] = {}
    for r in relationships:
        if not r.incoming:
            targets.setdefault(r.field.lookup_target, set()).add(r.target_id)
    found = {target: _items(account, target, ids) for target, ids in targets.items()}
    rows = []
    for r in relationships:
        url = f"{base_url}open={r.field.pk}"
        if r.incoming:
            row = RelatedRow(r, str(INCOMING_TITLES[r.field.object_type, kind] % {"field": r.field.title}), url)
            if r.field.pk == open_field:
                _fill(row, related_page(account=account, kind=kind, record_id=record.pk, field=r.field, after=after))
                row.back_url = url if after else None
                row.opened = True
            rows.append(row)
        elif item := found[r.field.lookup_target].get(r.target_id):  # another account's record never shows
            title = str(OUTGOING_TITLES[kind] % {"field": r.field.title})
            rows.append(RelatedRow(r, title, url, items=[item]))
    return rows


def related_context(request, *, kind: str, record: User | Organization, url: str, expansion: bool) -> dict | None:
    """What a page shows of `record`'s relationships, for the request's member: every row (`?open=` one of
    them at `?after=`), or for an `expansion` request only that relationship's page of records, None when
    the member can't see it (the view answers 404). `url` is the page's, ready for more parameters."""
    account, role = request.account, request.user.role
    open_field, after = related_field_id(request.GET.get("open")), request.GET.get("after")
    if not expansion:
        rows = related_rows(
            account=account, kind=kind, record=record, role=role, base_url=url, open_field=open_field, after=after
        )
        return {"related_rows": rows, "related_kind": kind}
    field = related_field(account=account, kind=kind, field_id=open_field, role=role)
    if field is None:
        return None
    records = related_page(account=account, kind=kind, record_id=record.pk, field=field, after=after)
    return {"relation": related_expansion(base_url=url, field=field, page=records), "relation_append": bool(after)}


def related_field_id(raw: Any) -> int | None:
    """The field id a request names for an expansion (`?open=`), or None when it names none."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def related_field(*, account: Account, kind: str, field_id: Any, role: str) -> CustomField | None:
    """The lookup field an expansion names (by id, as a request gives it) if it may point at a record of
    `kind` for someone of `role`; None otherwise (another account's, hidden, inactive or malformed)."""
    field_id = related_field_id(field_id)
    if field_id is None:
        return None
    return relationship_field(account=account, kind=kind, field_id=field_id, role=role)


def related_page(*, account: Account, kind: str, record_id: int, field: CustomField, after: str | None) -> KeysetPage:
    """A page of the records whose `field` points at `record_id`, as RelatedItems: two queries at any depth."""
    page = relationship_source_ids(field=field, target_id=record_id, after=after)
    found = _items(account, field.object_type, page.items)
    page.items = [found[pk] for pk in page.items if pk in found]
    return page


def related_expansion(*, base_url: str, field: CustomField, page: KeysetPage) -> RelatedRow:
    """The row of an expansion request: only its page of records and where the next page is."""
    row = RelatedRow(Relationship(field, True, 0), "", f"{base_url}open={field.pk}")
    _fill(row, page)
    return row


def _fill(row: RelatedRow, page: KeysetPage) -> None:
    row.items = page.items
    row.next_url = f"{row.url}&after={page.next_cursor}" if page.has_next else None


def _items(account: Account, kind: str, ids) -> Mapping[int, RelatedItem]:
    """The records of `kind` among `ids` that belong to the account, by id, as RelatedItems: one query."""
    ids = list(ids)
    if not ids:
        return {}
    if kind == FieldObject.USER:
        people = User.objects.filter(account=account, pk__in=ids).values_list("id", "name", "email", "role")
        return {pk: _person(pk, name, email, role) for pk, name, email, role in people}
    if kind == FieldObject.ORGANIZATION:
        organizations = Organization.objects.filter(account=account, pk__in=ids).values_list("id", "name", "domains")
        return {
            pk: RelatedItem(name, reverse("profiles:organization", args=[pk]), " ".join(domains.split()))
            for pk, name, domains in organizations
        }
    tickets = Ticket.objects.filter(account=account, pk__in=ids).only("id", "subject", "status")
    return {
        t.pk: RelatedItem(f"#{t.pk} {t.subject}", reverse("tickets:ticket", args=[t.pk]), ticket=t) for t in tickets
    }


def _person(pk: int, name: str, email: str, role: str) -> RelatedItem:
    if role == Role.END_USER:
        return RelatedItem(name, reverse("profiles:customer", args=[pk]), email)
    return RelatedItem(name, None, _("Team member"))
