"""The profile page's own reads seek indexes: their cost follows the customer, never the account's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from demo.factories import PhoneIdentityFactory
from profiles.models import Identity
from profiles.selectors import profile_facts

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")


@pytest.fixture
def crowd(acme):
    """Hundreds of other customers with a phone number each."""
    people = User.objects.bulk_create([User(account=acme, name=f"P{i}", email=f"p{i}@example.com") for i in range(300)])
    Identity.objects.bulk_create(
        [Identity(account=acme, user=p, type="phone_number", value=f"+3361100{i:04d}") for i, p in enumerate(people)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE profiles_identity")  # the statistics a live account would have
    return people


def _plans(call) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN ANALYZE " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_key_details_find_who_shares_a_number_by_index_not_by_reading_the_account(acme, carol, crowd):
    PhoneIdentityFactory(user=carol, value="+33611000007")  # also P7's

    identities, _ticket_counts, _memberships = _plans(lambda: profile_facts(customer=carol))

    # Each of Carol's values is one seek of (account, value), not a read through the account's identities.
    assert "Index Scan using identity_value_idx" in identities, identities
    facts = profile_facts(customer=carol)
    assert [u.name for u in facts.sharers["+33611000007"]] == ["P7"]
