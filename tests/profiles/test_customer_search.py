import pytest
from django.db import connection

from demo.factories import IdentityFactory, MembershipFactory, PhoneIdentityFactory, UserFactory
from profiles import selectors

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
        ("initech", ["Erin Example"]),
        ("gold", ["Erin Example"]),
        ("vip", ["Carol Customer"]),
        ("nobody-here", []),
    ],
)
def test_customers_are_found_by_name_any_email_any_phone_organization_or_tag(as_bob, people, query, expected):
    assert _names(as_bob, query) == expected


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
def test_the_search_query_matches_on_the_expressions_its_trigram_indexes_hold(acme):
    # An index serves a condition only on the very expression it was built on: PostgreSQL prints both in
    # the same normal form, so each index's expression must appear among the query's conditions.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%\\_trgm\\_idx"])
        expressions = {name: definition.split("USING gin (")[1].rsplit(" gin_trgm_ops)", 1)[0]
                       for name, definition in cursor.fetchall()}  # fmt: skip
        cursor.execute(
            "EXPLAIN " + selectors._CANDIDATES,
            {"account": acme.pk, "anywhere": "%abc%", "lowered": "%abc%", "tag": "% abc %", "digits": "%1234%",
             "limit": 10},
        )  # fmt: skip
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert set(expressions) == {
        "user_name_trgm_idx",
        "user_email_trgm_idx",
        "user_tags_trgm_idx",
        "identity_value_trgm_idx",
        "organization_name_trgm_idx",
    }

    def bare(text: str) -> str:  # the two print the same expression with more or fewer brackets and casts
        return text.replace("(", "").replace(")", "").replace("::text", "")

    for name, expression in expressions.items():
        assert f"{bare(expression)} ~~ " in bare(plan), name
