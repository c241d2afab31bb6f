import re

import pytest
from django.db import connection

from accounts.models import User
from demo.factories import IdentityFactory, MembershipFactory, PhoneIdentityFactory, UserFactory
from profiles import selectors
from profiles.models import Identity

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def people(acme, carol):
    erin = UserFactory(account=acme, name="Erin Example", email="erin@example.com", tags="gold")
    IdentityFactory(user=erin, value="erin.private@mail.example")
    PhoneIdentityFactory(user=erin, value="+33611223344")
    MembershipFactory(user=erin, organization__account=acme, organization__name="Initech")
    return {"carol": carol, "erin": erin}


def _names(client, query):
    response = client.get("/agent/users/", {"q": query})
    assert response.status_code == 200
    return [c.name for c in response.context["page"].items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("erin", ["Erin Example"]),
        ("ERIN EX", ["Erin Example"]),
        ("carol@example.com", ["Carol Customer"]),
        ("erin.private", ["Erin Example"]),
        ("06 11 22 33 44", ["Erin Example"]),
        ("+33611223344", ["Erin Example"]),
        ("0611223344", ["Erin Example"]),
        ("initech", ["Erin Example"]),
        ("gold", ["Erin Example"]),
        ("vip", ["Carol Customer"]),
        ("nobody-here", []),
    ],
)
def test_customers_are_found_by_name_any_email_any_phone_organization_or_tag(as_bob, people, query, expected):
    assert _names(as_bob, query) == expected


def test_a_number_typed_whole_finds_it_in_phones_and_as_text_in_any_identity_only(as_bob, people, acme):
    # On PostgreSQL the identities are then read in one scan (profiles/0006): phones by their digits, any
    # other identity only where it holds the text typed.
    holder = UserFactory(account=acme, name="Order Holder")
    IdentityFactory(user=holder, value="order0611223344@shop.example")
    digits_only = UserFactory(account=acme, name="Digits Only")
    IdentityFactory(user=digits_only, value="ref611223344@shop.example")

    assert _names(as_bob, "0611223344") == ["Erin Example", "Order Holder"]


def test_a_number_is_matched_whole_though_the_index_is_asked_for_its_last_digits(as_bob, people, acme):
    # On PostgreSQL the index is asked for the last five digits (profiles/0006), the whole number checked after.
    same_end = UserFactory(account=acme, name="Same Ending")
    PhoneIdentityFactory(user=same_end, value="+33700023344")

    assert _names(as_bob, "0611223344") == ["Erin Example"]
    assert _names(as_bob, "23344") == ["Erin Example", "Same Ending"]
    assert _names(as_bob, "61122") == ["Erin Example"]


def test_an_empty_search_lists_customers_by_name_and_never_team_members(as_bob, people, alice):
    assert _names(as_bob, "") == ["Carol Customer", "Erin Example"]


def test_another_accounts_customers_never_appear(as_bob, people, dave):
    assert _names(as_bob, "dave") == []
    assert _names(as_bob, "example.com") == ["Carol Customer", "Erin Example"]


def test_results_page_by_keyset_without_repeats(as_bob, acme):
    for i in range(60):
        UserFactory(account=acme, name=f"Customer {i:02d}")
    seen, url, params = [], "/agent/users/", {}
    while True:
        page = as_bob.get(url, params).context["page"]
        seen += [c.name for c in page.items]
        if not page.has_next:
            break
        params = {"after": page.next_cursor}

    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 60


def test_an_htmx_search_returns_only_the_results(as_bob, people):
    response = as_bob.get("/agent/users/", {"q": "erin"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert "Erin Example" in page and "<html" not in page and 'role="search"' not in page


def test_a_search_that_finds_nothing_says_so(as_bob, people):
    page = as_bob.get("/agent/users/", {"q": "<b>zzz</b>"}).content.decode()

    assert "No customer matches “&lt;b&gt;zzz&lt;/b&gt;”." in page


# Session, user, account, one page of customers and one prefetch of their default organizations:
# five queries however many customers match — a query per row would make the list crawl. PostgreSQL
# first collects the matching ids from its trigram indexes (one more query; none after it when nobody
# matches).
@pytest.mark.parametrize("count", [0, 5, 50])
def test_search_takes_constant_queries(as_bob, acme, count, django_assert_num_queries):
    for i in range(count):
        MembershipFactory(user=UserFactory(account=acme, name=f"Person {i}"), organization__account=acme, default=True)
    expected = 5 if count else 4
    if connection.vendor == "postgresql" and count:
        expected += 1

    with django_assert_num_queries(expected):
        as_bob.get("/agent/users/", {"q": "person"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [("100%", ["Stock 100% sure"]), ("a_b", ["Team a_b"]), ("back\\slash", ["Back\\slash Ltd"])],
)
def test_like_wildcards_in_a_search_are_plain_characters(as_bob, acme, query, expected):
    for name in ("Stock 100% sure", "Stock 1000 units", "Team a_b", "Team axb", "Back\\slash Ltd", "Backslash Ltd"):
        UserFactory(account=acme, name=name)

    assert _names(as_bob, query) == expected


@on_postgresql
def test_a_search_matching_more_people_than_it_collects_still_finds_them_all(as_bob, acme, monkeypatch):
    # Ann and Bea match by name and by email, Cy only by organization: collecting at most three matches
    # stops at Ann and Bea's four rows, and the search must then take the plain way, not drop Cy.
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    UserFactory(account=acme, name="Ann Zed", email="ann.zed@example.com")
    UserFactory(account=acme, name="Bea Zed", email="bea.zed@example.com")
    MembershipFactory(
        user=UserFactory(account=acme, name="Cy"), organization__account=acme, organization__name="Zed Inc"
    )

    assert _names(as_bob, "zed") == ["Ann Zed", "Bea Zed", "Cy"]


@on_postgresql
def test_the_search_reads_every_trigram_index_whatever_the_planners_statistics(acme):
    # Hundreds of customers loaded at once and no ANALYZE since: the statistics still describe a nearly empty
    # account, which made the planner walk the whole account by another index. The candidates function
    # leaves it one plan: each way of matching from its own trigram index.
    people = User.objects.bulk_create(
        [User(account=acme, name=f"Person {i}", email=f"p{i}@example.com") for i in range(400)]
    )
    Identity.objects.bulk_create(
        [Identity(account=acme, user=p, type="phone_number", value=f"+33611{i:06d}") for i, p in enumerate(people)]
    )
    values = {"p_account": acme.pk, "p_anywhere": "'%0611000042%'", "p_lowered": "'%0611000042%'",
              "p_tag": "'% 0611000042 %'", "p_digits": "'%611000042%'", "p_limit": 1001}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'profiles_customer_candidates'")
        query = cursor.fetchone()[0].split("RETURN QUERY", 1)[1].rsplit(";", 1)[0]
        for name in sorted(values, key=len, reverse=True):
            query = query.replace(name, str(values[name]))
        # Both ways of reading identities (profiles/0006): digits that are part of the text, or not.
        query = query.replace("v_last_digits", "'%00042%'")
        queries = [query.replace("v_digits_in_text", flag) for flag in ("true", "false")]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%\\_trgm\\_idx"])
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute("SET LOCAL enable_seqscan = off")  # as the function sets it for itself
        plans = []
        for query in queries:
            cursor.execute("EXPLAIN " + query)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    assert indexes == {
        "user_name_trgm_idx",
        "user_email_trgm_idx",
        "user_tags_trgm_idx",
        "identity_value_trgm_idx",
        "organization_name_trgm_idx",
    }
    assert len(plans) == 2
    for plan in plans:
        scanned = set(re.findall(r"Index Scan on (\w+)", plan)) | set(re.findall(r"Index Scan using (\w+)", plan))
        assert indexes <= scanned, plan
        assert not any("account_id" in index for index in scanned), plan


@on_postgresql
def test_the_trigram_indexes_take_new_entries_at_once(db):
    # A pending list (fastupdate) would be scanned by every search until a vacuum merges it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c WHERE c.relkind = 'i' AND c.relname LIKE %s",
            ["%\\_trgm\\_idx"],
        )
        options = dict(cursor.fetchall())

    assert len(options) == 5 and all(o == ["fastupdate=off"] for o in options.values()), options
