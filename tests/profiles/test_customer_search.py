import pytest

from demo.factories import IdentityFactory, MembershipFactory, PhoneIdentityFactory, UserFactory


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
# five queries however many customers match — a query per row would make the list crawl.
@pytest.mark.parametrize("count", [0, 5, 50])
def test_search_takes_constant_queries(as_bob, acme, count, django_assert_num_queries):
    for i in range(count):
        MembershipFactory(user=UserFactory(account=acme, name=f"Person {i}"), organization__account=acme, default=True)

    with django_assert_num_queries(5 if count else 4):
        as_bob.get("/agent/users/", {"q": "person"})


def test_end_users_cannot_search(as_carol):
    assert as_carol.get("/agent/users/").status_code == 403
