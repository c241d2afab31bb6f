"""The customer writes the API needed and the agent's pages didn't have yet: external id, suspension, tags
against what is saved now, and a role change (deletion: test_deletion.py). Each records its event and audit entry."""

import pytest

from accounts.models import AuditEntry, Role, User
from accounts.services import user_set_role
from activity.models import Event
from demo.factories import UserFactory
from profiles.services import (
    ExternalIdTaken,
    customer_set_external_id,
    customer_set_suspended,
    customer_tags_change,
)


def test_an_external_id_is_set_once_and_recorded(carol, bob):
    changed = customer_set_external_id(customer=carol, actor=bob, external_id=" shop-1 ")
    again = customer_set_external_id(customer=carol, actor=bob, external_id="shop-1")

    carol.refresh_from_db()
    assert (changed, again, carol.external_id) == (True, False, "shop-1")
    event = Event.objects.get(customer=carol, type="external_id_changed")
    assert event.properties == {"field": "external_id", "previous": "", "current": "shop-1", "actor_id": bob.pk}
    assert AuditEntry.objects.get(action="customer.updated").after == {"external_id": "shop-1"}


def test_an_external_id_someone_else_has_is_refused_and_nothing_changes(acme, carol, bob):
    UserFactory(account=acme, external_id="shop-1")

    with pytest.raises(ExternalIdTaken):
        customer_set_external_id(customer=carol, actor=bob, external_id="shop-1")

    carol.refresh_from_db()
    assert carol.external_id == ""
    assert not Event.objects.filter(customer=carol).exists()


def test_suspending_a_customer_and_lifting_it_each_leave_an_event(carol, bob):
    customer_set_suspended(customer=carol, actor=bob, suspended=True)
    suspended = User.objects.get(pk=carol.pk).suspended
    customer_set_suspended(customer=carol, actor=bob, suspended=False)

    assert suspended is True
    assert not User.objects.get(pk=carol.pk).suspended
    assert list(Event.objects.filter(customer=carol).order_by("id").values_list("type", flat=True)) == [
        "user_suspension_changed",
        "user_suspension_changed",
    ]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["customer.suspended", "customer.unsuspended"]


def test_tags_are_added_to_and_removed_from_what_is_saved_now(carol, bob):
    # Another writer added "renewal" since this caller last read Carol: adding and removing keep it.
    User.objects.filter(pk=carol.pk).update(tags="vip beta renewal")

    added = customer_tags_change(customer=carol, actor=bob, add=["Early Bird", "vip"])
    removed = customer_tags_change(customer=carol, actor=bob, remove=["beta"])
    replaced = customer_tags_change(customer=carol, actor=bob, replace=["only"])

    assert added == ["vip", "beta", "renewal", "early_bird"]
    assert removed == ["vip", "renewal", "early_bird"]
    assert replaced == ["only"]
    assert Event.objects.filter(customer=carol, type="tags_changed").count() == 3


def test_an_admin_changes_a_role_and_an_agent_cant(carol, alice, bob):
    with pytest.raises(PermissionError):
        user_set_role(user=carol, actor=bob, role=Role.AGENT)
    changed = user_set_role(user=carol, actor=alice, role=Role.AGENT)

    carol.refresh_from_db()
    assert (changed, carol.role) == (True, Role.AGENT)
    assert AuditEntry.objects.get(action="user.role_changed").before == {"role": Role.END_USER}


def test_nobody_changes_their_own_role(alice):
    with pytest.raises(PermissionError):
        user_set_role(user=alice, actor=alice, role=Role.AGENT)
