"""Search finds people the way they are typed: every word must match some field (name, email, organization,
tag, phone), in any order; exact name matches come first. On SQLite and PostgreSQL alike."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from demo.factories import MembershipFactory, PhoneIdentityFactory, UserFactory
from profiles.selectors import customers_search

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def camille(acme):
    camille = UserFactory(account=acme, name="Camille Martin", email="cm@example.com", tags="vip")
    MembershipFactory(user=camille, organization__account=acme, organization__name="Chavez Logistics", default=True)
    PhoneIdentityFactory(user=camille, value="+33612345678")
    return camille


@pytest.fixture
def others(acme):
    return [
        UserFactory(account=acme, name="Martin Camille", email="mc@example.com"),
        UserFactory(account=acme, name="Camille Dupont", email="camille.dupont@example.com"),
        UserFactory(account=acme, name="Marc Martin", email="marc@example.com"),
    ]


def _names(acme, query):
    return [c.name for c in customers_search(account=acme, query=query).items]


@pytest.mark.parametrize(
    "query", ["Martin Camille", "martin camille", "Cam Mar", "Camille Chavez", "Chavez Camille", "vip Martin"]
)
def test_each_word_may_match_any_field_in_any_order(acme, camille, query):
    assert _names(acme, query) == ["Camille Martin"]


def test_a_name_and_a_phone_number_find_the_customer(acme, camille):
    assert _names(acme, "Camille 0612345678") == ["Camille Martin"]


def test_every_word_must_match_some_field(acme, camille, others):
    assert _names(acme, "Camille Nobody") == []
    assert _names(acme, "Camille Dupont Chavez") == []


def test_the_exact_name_comes_first_then_names_holding_every_word(acme, camille, others):
    assert _names(acme, "Martin Camille") == ["Martin Camille", "Camille Martin"]
    assert _names(acme, "camille martin") == ["Camille Martin", "Martin Camille"]


def test_names_holding_every_word_rank_before_matches_by_other_fields(acme, camille, others):
    chavez = UserFactory(account=acme, name="Abel Chavez Camille")
    dupont = UserFactory(account=acme, name="Aaron", email="camille.chavez@example.com")

    assert _names(acme, "Camille Chavez") == [chavez.name, dupont.name, "Camille Martin"]


def test_a_phrase_with_spaces_still_matches_as_a_whole(acme, camille):
    assert _names(acme, "+33 6 12 34 56 78") == ["Camille Martin"]
    assert _names(acme, "06 12 34 56 78") == ["Camille Martin"]


def test_paging_through_ranked_results_repeats_no_one(acme):
    for i in range(30):
        UserFactory(account=acme, name=f"Camille {i:02d}", email=f"c{i}@example.com", tags="martin")
    exact = UserFactory(account=acme, name="Camille Martin")

    seen, cursor = [], None
    while True:
        page = customers_search(account=acme, query="Camille Martin", after=cursor, size=7)
        seen += [c.pk for c in page.items]
        if not page.has_next:
            break
        cursor = page.next_cursor

    assert seen[0] == exact.pk and len(seen) == len(set(seen)) == 31


def test_the_search_page_finds_a_customer_by_name_and_organization(as_bob, camille):
    response = as_bob.get("/agent/users/", {"q": "Camille Chavez"})

    assert [c.name for c in response.context["page"].items] == ["Camille Martin"]


@on_postgresql
def test_a_multi_word_search_reads_the_trigram_indexes_in_one_statement(acme, camille, others):
    User.objects.bulk_create([User(account=acme, name=f"Person {i}", email=f"p{i}@example.com") for i in range(3000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    with CaptureQueriesContext(connection) as queries:
        assert _names(acme, "Martin Camille")[:2] == ["Martin Camille", "Camille Martin"]

    calls = [q["sql"] for q in queries.captured_queries if "profiles_customer_candidates" in q["sql"]]
    # The whole query and each word, in one round trip; the customers are then read by id.
    assert len(calls) == 1 and calls[0].count("profiles_customer_candidates(") == 3
    search = next(q["sql"] for q in queries.captured_queries if "search_rank" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + search)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Then the few people found are read by id, not by walking the account.
    assert re.search(r"Index Scan using accounts_user_pkey|Bitmap Index Scan on accounts_user_pkey", plan), plan
    assert "Seq Scan" not in plan, plan


def test_a_word_too_short_for_trigrams_is_checked_on_what_the_others_found(acme, camille, others):
    assert _names(acme, "Chavez ca") == ["Camille Martin"]
    assert _names(acme, "Martin cm") == ["Camille Martin"]
