import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from activity.models import Event
from common.errors import RecordGone
from demo.factories import MembershipFactory, OrganizationFactory, UserFactory
from profiles.models import OrganizationMembership
from profiles.organizations import (
    MembershipError,
    membership_add,
    membership_for_customer,
    membership_make_default,
    membership_remove,
    memberships_for_customer,
    organization_for_account,
    organizations_search,
)


@pytest.fixture
def initech(acme):
    return OrganizationFactory(account=acme, name="Initech", domains="initech.example initech.fr")


@pytest.fixture
def umbrella(acme):
    return OrganizationFactory(account=acme, name="Umbrella", domains="umbrella.example")


@pytest.fixture
def hooli(globex):
    """Globex's organization: Acme's customers can't join it."""
    return OrganizationFactory(account=globex, name="Hooli", domains="hooli.example")


def _memberships(customer) -> list[tuple[str, bool]]:
    rows = OrganizationMembership.objects.filter(user=customer).order_by("organization__name")
    return [(m.organization.name, m.default) for m in rows.select_related("organization")]


def _events(customer, type: str) -> list[Event]:
    return list(Event.objects.filter(customer=customer, type=type).order_by("id"))


# Adding


def test_the_first_organization_of_a_customer_becomes_their_default(bob, carol, initech):
    assert _memberships(carol) == []

    membership = membership_add(customer=carol, actor=bob, organization=initech)

    assert membership.default is True and membership.account_id == carol.account_id
    assert _memberships(carol) == [("Initech", True)]
    (event,) = _events(carol, "organization_added")
    assert event.source == "Support" and event.description == "Added to Initech"
    assert event.properties == {
        "organization_id": initech.pk,
        "organization_name": "Initech",
        "default": True,
        "actor_id": bob.pk,
    }
    audit = AuditEntry.objects.get(action="membership.created")
    assert audit.actor == bob and audit.target_id == str(membership.pk)
    assert audit.after == {
        "organization_id": initech.pk,
        "organization_name": "Initech",
        "user_id": carol.pk,
        "default": True,
    }


def test_a_further_organization_is_not_the_default(bob, carol, initech, umbrella):
    membership_add(customer=carol, actor=bob, organization=initech)

    membership = membership_add(customer=carol, actor=bob, organization=umbrella)

    assert membership.default is False
    assert _memberships(carol) == [("Initech", True), ("Umbrella", False)]


def test_joining_an_organization_twice_is_refused_with_a_message(bob, carol, initech):
    membership_add(customer=carol, actor=bob, organization=initech)

    with pytest.raises(MembershipError) as refused:
        membership_add(customer=carol, actor=bob, organization=initech)

    assert refused.value.message == "Carol Customer is already a member of Initech."
    assert _memberships(carol) == [("Initech", True)]
    assert len(_events(carol, "organization_added")) == 1
    assert AuditEntry.objects.filter(action="membership.created").count() == 1


def test_an_organization_of_another_account_cant_be_joined(bob, carol, hooli):
    with pytest.raises(RecordGone):
        membership_add(customer=carol, actor=bob, organization=hooli)

    assert _memberships(carol) == []
    assert not _events(carol, "organization_added")


# Removing


def test_removing_a_secondary_membership_keeps_the_default(bob, carol, initech, umbrella):
    membership_add(customer=carol, actor=bob, organization=initech)
    second = membership_add(customer=carol, actor=bob, organization=umbrella)

    promoted = membership_remove(customer=carol, actor=bob, membership=second)

    assert promoted is None
    assert _memberships(carol) == [("Initech", True)]
    (event,) = _events(carol, "organization_removed")
    assert event.description == "Removed from Umbrella"
    assert event.properties["was_default"] is False and event.properties["new_default"] is None
    audit = AuditEntry.objects.get(action="membership.removed")
    assert audit.target_id == str(second.pk) and audit.before["organization_name"] == "Umbrella"


def test_removing_the_default_hands_it_to_the_next_organization_by_name(acme, bob, carol, initech, umbrella):
    acne = OrganizationFactory(account=acme, name="Acne Labs")
    first = membership_add(customer=carol, actor=bob, organization=umbrella)
    membership_add(customer=carol, actor=bob, organization=initech)
    membership_add(customer=carol, actor=bob, organization=acne)

    promoted = membership_remove(customer=carol, actor=bob, membership=first)

    assert promoted.organization == acne
    assert _memberships(carol) == [("Acne Labs", True), ("Initech", False)]
    (event,) = _events(carol, "organization_removed")
    assert event.properties["was_default"] is True
    assert event.properties["new_default"] == {"organization_id": acne.pk, "organization_name": "Acne Labs"}


def test_removing_the_only_membership_leaves_none(bob, carol, initech):
    only = membership_add(customer=carol, actor=bob, organization=initech)

    assert membership_remove(customer=carol, actor=bob, membership=only) is None
    assert _memberships(carol) == []


# Making default


def test_an_agent_makes_another_organization_the_default(bob, carol, initech, umbrella):
    membership_add(customer=carol, actor=bob, organization=initech)
    second = membership_add(customer=carol, actor=bob, organization=umbrella)

    changed = membership_make_default(customer=carol, actor=bob, membership=second)

    assert changed is True
    assert _memberships(carol) == [("Initech", False), ("Umbrella", True)]
    (event,) = _events(carol, "organization_default_changed")
    assert event.description == "Default organization set to Umbrella"
    assert event.properties == {
        "previous": {"organization_id": initech.pk, "organization_name": "Initech"},
        "current": {"organization_id": umbrella.pk, "organization_name": "Umbrella"},
        "actor_id": bob.pk,
    }
    audit = AuditEntry.objects.get(action="membership.default_changed")
    assert audit.before == {"default_organization": {"organization_id": initech.pk, "organization_name": "Initech"}}


def test_making_the_default_the_default_again_changes_nothing(bob, carol, initech):
    only = membership_add(customer=carol, actor=bob, organization=initech)

    assert membership_make_default(customer=carol, actor=bob, membership=only) is False
    assert not _events(carol, "organization_default_changed")


def test_a_membership_of_another_customer_or_account_is_not_found(acme, bob, carol, dave, hooli, initech):
    erin = UserFactory(account=acme, name="Erin Example")
    erins = membership_add(customer=erin, actor=bob, organization=initech)
    daves = MembershipFactory(user=dave, organization=hooli, default=True)

    for membership in (erins, daves):
        with pytest.raises(RecordGone):
            membership_remove(customer=carol, actor=bob, membership=membership)
        with pytest.raises(RecordGone):
            membership_make_default(customer=carol, actor=bob, membership=membership)
        assert membership_for_customer(customer=carol, membership_id=membership.pk) is None

    assert OrganizationMembership.objects.filter(pk__in=[erins.pk, daves.pk]).count() == 2
    assert membership_for_customer(customer=erin, membership_id=erins.pk) == erins


# Reads


def test_memberships_come_with_domains_and_user_counts_in_one_query(acme, bob, carol, initech, umbrella):
    membership_add(customer=carol, actor=bob, organization=umbrella)
    membership_add(customer=carol, actor=bob, organization=initech)
    for _ in range(3):
        MembershipFactory(user=UserFactory(account=acme), organization=initech)

    # One query however many organizations: the Customer details tab lists them on every load.
    with CaptureQueriesContext(connection) as queries:
        rows = memberships_for_customer(customer=carol)
        shown = [(m.organization.name, m.organization.domain_list, m.user_count, m.default) for m in rows]

    assert len(queries) == 1, [q["sql"] for q in queries]
    assert shown == [
        ("Umbrella", ["umbrella.example"], 1, True),
        ("Initech", ["initech.example", "initech.fr"], 4, False),
    ]


def test_organizations_are_found_by_name_or_domain_within_the_account(acme, initech, umbrella, hooli):
    OrganizationFactory(account=acme, name="Initrode", domains="initrode.example")

    assert [o.name for o in organizations_search(account=acme, query="init")] == ["Initech", "Initrode"]
    assert [o.name for o in organizations_search(account=acme, query="  UMBRELLA.ex ")] == ["Umbrella"]
    assert [o.name for o in organizations_search(account=acme, query="initech.fr")] == ["Initech"]
    assert organizations_search(account=acme, query="hooli") == []
    assert organizations_search(account=acme, query="   ") == []


def test_the_search_shows_ten_at_most_and_leaves_out_the_customers_own(acme, bob, carol, initech):
    for n in range(12):
        OrganizationFactory(account=acme, name=f"Init {n:02d}")
    membership_add(customer=carol, actor=bob, organization=initech)

    found = organizations_search(account=acme, query="init", exclude_customer=carol)

    assert len(found) == 10
    assert initech not in found
    assert [o.name for o in found][:2] == ["Init 00", "Init 01"]


def test_an_organization_of_another_account_is_not_found(acme, initech, hooli):
    assert organization_for_account(account=acme, organization_id=initech.pk) == initech
    assert organization_for_account(account=acme, organization_id=hooli.pk) is None
