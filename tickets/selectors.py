"""Reads on tickets, always scoped to one account."""

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from common.keyset import KeysetPage, paginate, paginate_merged
from tickets.models import PRIORITY_ORDER, STATUS_ORDER, UNSOLVED_STATUSES, Comment, Status, Ticket, TicketCC, rank

TICKET_SORTS = ("id", "subject", "status", "priority", "assignee", "created", "updated")
# The ranks as the indexes compute them (tickets/models.py), so that each sort reads its index in order.
_STATUS_RANK = rank('"tickets_ticket"."status"', STATUS_ORDER)
_PRIORITY_RANK = rank('"tickets_ticket"."priority"', PRIORITY_ORDER)


def ticket_for_team_member(*, account, ticket_id: int) -> Ticket | None:
    """One ticket of the account with the people on it and the account attached; None for a foreign or
    unknown id."""
    ticket = (
        Ticket.objects.filter(account=account, pk=ticket_id)
        .select_related("requester", "submitter", "assignee", "organization")
        .prefetch_related("ccs", "comments__author")
        .first()
    )
    if ticket is not None:
        ticket.account = account  # the same row: reading it again would cost a query
    return ticket


def existing_ticket_ids(*, account_id: int, ticket_ids: set[int]) -> set[int]:
    """Those of `ticket_ids` that are tickets of the account today, in one query (none for no ids)."""
    if not ticket_ids:
        return set()
    return set(Ticket.objects.filter(account_id=account_id, pk__in=ticket_ids).values_list("pk", flat=True))


def ticket_counts_for_customer(customer) -> dict[str, int]:
    """How many tickets a customer requested, and how many of them are not yet solved."""
    return Ticket.objects.filter(requester=customer).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=UNSOLVED_STATUSES))
    )


def ticket_involvement(customer) -> dict[str, int]:
    """How many tickets a customer requested, and how many they are CC'd on."""
    return {
        "requested": Ticket.objects.filter(requester_id=customer.pk).count(),
        "ccd": TicketCC.objects.filter(user_id=customer.pk).count(),
    }


def ticket_count_annotations(requester_id: int) -> dict[str, RawSQL]:
    """`tickets_total` and `tickets_open` of one requester, counted like `ticket_counts_for_customer`, for a
    query that reads them: a page reads a customer and their counts in one query. Written as SQL: built with
    the ORM's subqueries, the two counts cost more to compile (1.6 ms) than to run. The requester is a
    constant, so the planner knows whose tickets it counts (an index for most people)."""
    counted = f"SELECT count(*) FROM {Ticket._meta.db_table} WHERE requester_id = %s"  # noqa: S608 - our names
    unsolved = ", ".join(["%s"] * len(UNSOLVED_STATUSES))
    return {
        "tickets_total": RawSQL(counted, [requester_id], output_field=IntegerField()),  # noqa: S611 - no input
        "tickets_open": RawSQL(  # noqa: S611 - the text is ours, the values are parameters
            f"{counted} AND status IN ({unsolved})", [requester_id, *UNSOLVED_STATUSES], output_field=IntegerField()
        ),
    }


def _sort_key(queryset: QuerySet, sort: str) -> tuple[QuerySet, str]:
    if sort == "id":
        return queryset, "id"
    if sort == "subject":
        return queryset, "subject"
    if sort == "created":
        return queryset, "created_at"
    if sort == "status":
        return queryset.annotate(sort_key=_STATUS_RANK), "sort_key"
    if sort == "priority":
        return queryset.annotate(sort_key=_PRIORITY_RANK), "sort_key"
    if sort == "assignee":
        return queryset, "assignee_name"
    return queryset, "updated_at"


def tickets_for_customer(
    *,
    customer,
    relation: str = "requested",
    status: str = "",
    sort: str = "updated",
    descending: bool = True,
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
) -> KeysetPage:
    """A page of the tickets a customer requested (or is CC'd on), sorted and filtered, by keyset."""
    if relation == "ccd":
        tickets = Ticket.objects.filter(account_id=customer.account_id, cc_links__user=customer)
    else:
        tickets = Ticket.objects.filter(requester=customer)
    if status in Status.values:
        tickets = tickets.filter(status=status)
    elif status == "unsolved":
        tickets = tickets.filter(status__in=UNSOLVED_STATUSES)
    tickets = tickets.select_related("assignee")
    tickets, key = _sort_key(tickets, sort if sort in TICKET_SORTS else "updated")
    keys = [(key, descending)] if key == "id" else [(key, descending), ("id", descending)]
    return paginate(tickets, keys=keys, after=after, before=before, size=size)


def tickets_for_organization(*, organization, after: str | None = None, size: int = 25) -> KeysetPage:
    """A page of an organization's tickets, most recently updated first, with their requesters, by keyset."""
    tickets = Ticket.objects.filter(organization=organization).select_related("requester")
    return paginate(tickets, keys=[("updated_at", True), ("id", True)], after=after, size=size)


def requests_for_portal(*, customer, after: str | None = None, before: str | None = None, size: int = 25) -> KeysetPage:
    """A page of what an end user sees in the portal, most recently updated first, by keyset: the tickets they
    requested and those they are CC'd on (`is_cc` says which, `requester_name` whose request it is)."""
    requested = Ticket.objects.filter(requester=customer)
    # Disjoint from their own tickets, so each contributes at most a page from its own index and one statement
    # merges the two; a single OR across the requester and the CC table would read every one of them.
    ccd = Ticket.objects.filter(account_id=customer.account_id, cc_links__user=customer).exclude(requester=customer)
    # The merge reads plain columns (no joined rows), so the requester comes as one column of their name.
    parts = [
        requested.annotate(is_cc=Value(False), requester_name=F("requester__name")),
        ccd.annotate(is_cc=Value(True), requester_name=F("requester__name")),
    ]
    return paginate_merged(parts, keys=[("updated_at", True), ("id", True)], after=after, before=before, size=size)


def request_for_portal(*, customer, ticket_id: int) -> Ticket | None:
    """One ticket an end user may read in the portal (they requested it or are CC'd on it), with its public
    comments only, oldest first, as `public_comments`; None for anyone else's ticket or an unknown id."""
    copied = TicketCC.objects.filter(ticket=OuterRef("pk"), user=customer)
    return (
        Ticket.objects.filter(account_id=customer.account_id, pk=ticket_id)
        .filter(Q(requester=customer) | Exists(copied))
        .select_related("requester")
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=Comment.objects.filter(public=True).select_related("author"),
                to_attr="public_comments",
            )
        )
        .first()
    )
