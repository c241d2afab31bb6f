"""Organizations themselves: create (name unique in the account), update, delete (its members leave it as
the agent's "remove" takes them out)."""

import pytest

from accounts.models import AuditEntry
from activity.models import Event
from demo.factories import CustomFieldFactory, MembershipFactory, OrganizationFactory
from profiles.models import Organization, OrganizationMembership
from profiles.organizations import (
    OrganizationInvalid,
    organization_create,
    organization_delete,
    organization_update,
)


def test_an_organization_is_created_with_its_domains_and_tags_normalised(acme, alice):
    created = organization_create(
        account=acme, actor=alice, name="  Shop   Co ", domains="Shop.test, @shop.fr", tags="Big Retail"
    )

    assert (created.name, created.domains, created.tags) == ("Shop Co", "shop.test shop.fr", "big retail")
    assert AuditEntry.objects.get(action="organization.created").after["name"] == "Shop Co"


def test_a_second_organization_with_the_same_name_whatever_its_case_is_refused(acme, alice):
    OrganizationFactory(account=acme, name="Shop Co")

    with pytest.raises(OrganizationInvalid) as refused:
        organization_create(account=acme, actor=alice, name="shop co")

    assert set(refused.value.errors) == {"name"}
    assert Organization.objects.count() == 1


def test_an_update_saves_only_what_changed_and_audits_it(acme, alice):
    organization = OrganizationFactory(account=acme, name="Shop Co", notes="old")
    CustomFieldFactory(account=acme, object_type="organization", key="size", title="Size", type="integer")

    changed = organization_update(
        organization=organization, actor=alice, changes={"name": "Shop Co", "notes": "new"}, custom_changes={"size": 10}
    )

    organization.refresh_from_db()
    assert changed.fields == ["notes", "cf_size"]
    assert (organization.notes, organization.custom_fields) == ("new", {"size": 10})
    assert AuditEntry.objects.get(action="organization.updated").before == {"notes": "old", "cf_size": None}


def test_deleting_an_organization_moves_each_members_default_and_tells_their_timeline(acme, alice, carol):
    doomed = OrganizationFactory(account=acme, name="Doomed")
    other = OrganizationFactory(account=acme, name="Other")
    MembershipFactory(user=carol, organization=doomed, default=True)
    MembershipFactory(user=carol, organization=other, default=False)

    organization_delete(organization=doomed, actor=alice)

    assert not Organization.objects.filter(pk=doomed.pk).exists()
    assert list(OrganizationMembership.objects.filter(user=carol).values_list("organization__name", "default")) == [
        ("Other", True)
    ]
    assert Event.objects.get(customer=carol, type="organization_removed").properties["organization_name"] == "Doomed"
    assert AuditEntry.objects.filter(action="organization.deleted").count() == 1
