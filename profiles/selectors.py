"""Reads on customers and their profiles, always scoped to the request's account."""

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from django.db import connection, connections
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from accounts.models import Account, Role, User
from common.keyset import KeysetPage, paginate
from common.replicas import read_alias
from profiles.models import Identity, IdentityType, OrganizationMembership
from profiles.organizations import memberships_for_customer
from tickets.selectors import ticket_count_annotations, ticket_counts_for_customer


def _default_membership_prefetch() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=OrganizationMembership.objects.filter(default=True).select_related("organization"),
        to_attr="default_memberships",
    )


def customers_search(
    *, account: Account, query: str = "", after: str | None = None, before: str | None = None, size: int = 25
) -> KeysetPage:
    """Customers matching `query` by name, any email, any phone, organization or tag: the whole query, or each
    of its words in any order ("Martin Camille", "Cam Mar", a name and an organization); exact names first,
    then names holding every word, then the rest, each by name then id."""
    customers = User.objects.filter(
        account=account, role=Role.END_USER, merged_into__isnull=True, deleted_at__isnull=True
    )
    query = " ".join(query.split())[:200]
    keys = [("name", False), ("id", False)]
    if query:
        words = query.split(" ")
        candidates = _indexed_candidates(account, query, words)
        customers = customers.filter(_matches_query(account, query, words) if candidates is None else candidates)
        # Ranked where the matches are few (PostgreSQL's candidates) or the database small (SQLite); a query
        # matching thousands walks customers in name order instead, so that it stops at the first page.
        if candidates is not None or connection.vendor != "postgresql":
            customers = customers.annotate(search_rank=_rank(query, words))
            keys = [("search_rank", False), *keys]
    customers = customers.prefetch_related(_default_membership_prefetch())
    return paginate(customers, keys=keys, after=after, before=before, size=size)


def _rank(query: str, words: list[str]) -> Case:
    every_word = Q()
    for word in words:
        every_word &= Q(name__icontains=word)
    return Case(
        When(name__iexact=query, then=Value(0)),
        When(every_word, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


# On PostgreSQL, a search first collects the ids of the people it matches, each way of matching read from
# its trigram index (migrations profiles/0002 and 0004: the function holds the query, written so that the
# plan is the same whatever the planner's statistics). Up to this many: a query matching more (a common
# word, a domain) takes the plain way below, which walks customers in name order and stops at the first page.
SEARCH_CANDIDATES = 1000
# The words of a query collected that way, each by its own call in the same statement, up to fewer people
# each: a word matching more (a common first name) costs more to collect than to check. Any further word,
# one too short for trigrams or too common, is checked on the candidates the other words found.
SEARCH_INDEXED_WORDS = 4
SEARCH_WORD_CANDIDATES = 200


def _candidates_call(n: int) -> str:
    """The candidates of the n-th term, tagged with n (parameters named after it, never text from a request)."""
    return (
        f"SELECT {int(n)}, * FROM profiles_customer_candidates("  # noqa: S608 - only parameter names
        f"%(account)s, %(anywhere{n})s, %(lowered{n})s, %(tag{n})s, %(digits{n})s, %(limit{n})s)"
    )


def _indexed_candidates(account: Account, query: str, words: list[str]) -> Q | None:
    """Who `query` matches (the same ways as `_matches_query`, team members included: the caller keeps only
    customers), as a condition on the few ids the indexes found; None where the indexes can't help: SQLite,
    queries too short for trigrams, or too many matches."""
    if connection.vendor != "postgresql" or len(query) < 3:
        return None
    terms = [query]
    if len(words) > 1:
        terms += [word for word in words if len(word) >= 3][:SEARCH_INDEXED_WORDS]
    limits = [SEARCH_CANDIDATES] + [SEARCH_WORD_CANDIDATES] * (len(terms) - 1)
    params = {"account": account.pk}
    for n, term in enumerate(terms):
        params.update(_candidate_params(term, n), **{f"limit{n}": limits[n] + 1})
    statement = " UNION ALL ".join(_candidates_call(n) for n in range(len(terms)))
    with connections[read_alias(User)].cursor() as cursor:  # the replica the rest of the search reads, if any
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    found: list[list[int]] = [[] for _term in terms]
    for n, user_id in rows:
        found[n].append(user_id)
    # Rows, not distinct ids, tell whether the limit cut a list short (one person may match twice).
    complete = [set(ids) if len(ids) <= limit else None for ids, limit in zip(found, limits, strict=True)]
    phrase, by_word = complete[0], dict(zip(terms[1:], complete[1:], strict=True))
    if phrase is None:
        return None
    if len(words) == 1:
        return Q(pk__in=phrase)
    known = [ids for ids in by_word.values() if ids is not None]
    if not known:
        return None
    every_word = Q(pk__in=set.intersection(*known))
    for word in words:
        if by_word.get(word) is None:
            every_word &= _matches(account, word)
    return Q(pk__in=phrase) | every_word


def _candidate_params(term: str, n: int) -> dict:
    terms = _SearchTerms.of(term)
    return {
        f"anywhere{n}": f"%{_like_escaped(term)}%",
        f"lowered{n}": f"%{_like_escaped(terms.lowered)}%",
        f"tag{n}": f"% {_like_escaped(terms.tag)} %",
        f"digits{n}": f"%{terms.digits}%" if terms.digits else None,  # NULL: LIKE matches nothing
    }


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class _SearchTerms:
    """What a search query is compared with: lowered for emails and other contacts, as a tag, and its
    digits when there are enough of them to be part of a phone number."""

    lowered: str
    tag: str
    digits: str

    @classmethod
    def of(cls, query: str) -> "_SearchTerms":
        lowered = query.lower()
        digits = re.sub(r"\D", "", query).lstrip("0")
        return cls(lowered, lowered.replace(" ", "_"), digits if len(digits) >= 4 else "")


def _matches_query(account: Account, query: str, words: list[str]) -> Q:
    """The whole query matching one way, or each of its words matching some way."""
    if len(words) == 1:
        return _matches(account, query)
    every_word = Q()
    for word in words:
        every_word &= _matches(account, word)
    return _matches(account, query) | every_word


def _matches(account: Account, query: str) -> Q:
    terms = _SearchTerms.of(query)
    contacts = Q(value__contains=terms.lowered)
    if terms.digits:
        contacts |= Q(type=IdentityType.PHONE, value__contains=terms.digits)
    identities = Identity.objects.filter(account=account).filter(contacts)
    in_orgs = OrganizationMembership.objects.filter(account=account, organization__name__icontains=query)
    tag = terms.tag
    return (
        Q(name__icontains=query)
        | Q(email__contains=terms.lowered)
        | Q(pk__in=identities.values("user_id"))
        | Q(pk__in=in_orgs.values("user_id"))
        | Q(tags=tag)
        | Q(tags__startswith=f"{tag} ")
        | Q(tags__endswith=f" {tag}")
        | Q(tags__contains=f" {tag} ")
    )


def customer_for_team_member(*, account: Account, user_id: int, with_ticket_counts: bool = False) -> User | None:
    """One customer of the account, with the account attached (and their `ticket_counts` if asked, in the
    same query); None for a team member, another account's user, an unknown id or a customer merged into
    another (`customer_merged_into` says which)."""
    customers = User.objects.filter(
        account=account, pk=user_id, role=Role.END_USER, merged_into__isnull=True, deleted_at__isnull=True
    )
    if with_ticket_counts:
        customers = customers.annotate(**ticket_count_annotations(user_id))
    customer = customers.first()
    if customer is None:
        return None
    customer.account = account  # the same row: reading it again would cost a query on every page
    if with_ticket_counts:
        customer.ticket_counts = {"total": customer.tickets_total, "open": customer.tickets_open}
    return customer


def customer_merged_into(*, account: Account, user_id: int) -> int | None:
    """The id of the customer that this customer of the account was merged into, if they were."""
    merged = User.objects.filter(account=account, pk=user_id, role=Role.END_USER, merged_into__isnull=False)
    return merged.values_list("merged_into_id", flat=True).first()


def customer_reference(*, account: Account, user_id: int) -> User:
    """A customer of the account by id, not read: enough to write on them, since every write locks the row
    and reads it as saved now (and refuses an id that isn't one of the account's customers)."""
    return User(pk=user_id, account=account, role=Role.END_USER)


@dataclass(frozen=True)
class ProfileFacts:
    """What a customer's profile shows beside their own fields: their emails and phone numbers (with who
    else has each phone number), their organizations and their ticket counts."""

    identities: list[Identity]  # emails first, primary first
    sharers: dict[str, list[User]]  # for each of their phone numbers, the other people who have it
    memberships: list[OrganizationMembership]  # with the organization and its `user_count`, default first
    ticket_counts: dict[str, int]
    complete: bool = True  # False: read for Key details alone (no sharers, no `user_count`)

    def primary(self, type: str) -> Identity | None:
        """The customer's primary identity of a type, else their first one."""
        of_type = [i for i in self.identities if i.type == type]
        return next((i for i in of_type if i.primary), of_type[0] if of_type else None)

    @property
    def default_organization(self):
        default = next((m for m in self.memberships if m.default), self.memberships[0] if self.memberships else None)
        return default.organization if default else None


def profile_facts(*, customer: User, complete: bool = True) -> ProfileFacts:
    """The customer's ProfileFacts in two queries (three when the customer was read without ticket counts),
    however many identities, sharers and organizations they have. Not `complete`: what Key details show
    (the sharers and each organization's `user_count` left out), in simpler queries."""
    if complete:
        # Their own identities and, in the same query, everyone else's with one of their values: only a phone
        # number can be someone else's too (an email belongs to one person of an account). Each of their
        # values is then one seek of the account's (account, value) index, however many people it has.
        own_values = Identity.objects.filter(user_id=customer.pk).values("value")
        rows = (
            Identity.objects.filter(account_id=customer.account_id, value__in=own_values)
            .select_related("user")
            .order_by("user__name", "user_id", "id")
        )
    else:
        rows = Identity.objects.filter(user_id=customer.pk, account_id=customer.account_id)
    identities, sharers = [], {}
    for identity in rows:
        if identity.user_id == customer.pk:
            identity.user = customer
            identities.append(identity)
        else:
            sharers.setdefault(identity.value, []).append(identity.user)
    identities.sort(key=lambda i: (i.type != IdentityType.EMAIL, not i.primary, i.pk))
    counts = getattr(customer, "ticket_counts", None) or ticket_counts_for_customer(customer)
    return ProfileFacts(
        identities=identities,
        sharers={i.value: sharers.get(i.value, []) for i in identities if i.is_phone},
        memberships=memberships_for_customer(customer=customer, with_user_counts=complete),
        ticket_counts=counts,
        complete=complete,
    )


def customer_local_time(customer: User) -> datetime.datetime | None:
    """The time it is now where the customer is, or None when their time zone is unknown."""
    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(customer.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
