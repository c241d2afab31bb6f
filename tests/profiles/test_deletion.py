"""Deleting a customer (B7): their personal data goes, their tickets stay with a "Deleted user" requester,
and the profile page and the API answer the same: the person is gone."""

import pytest

from accounts.models import AuditEntry, User
from activity.models import Event, EventClientId, EventKind
from activity.services import event_record
from common.errors import RecordGone
from custom_fields.models import LookupLink
from custom_fields.relations import lookup_links_rebuild
from demo.factories import (
    CommentFactory,
    CustomFieldFactory,
    IdentityFactory,
    MembershipFactory,
    TicketFactory,
    UserFactory,
)
from profiles.deletion import customer_delete, deletion_preview
from profiles.merge import customer_merge
from profiles.models import Identity, OrganizationMembership
from profiles.services import customer_update
from tickets.models import Comment, Status, Ticket, TicketCC
from tickets.services import ticket_reply


@pytest.fixture
def carols_world(acme, alice, bob, carol):
    """Carol with a second email, an organization, a custom value, a CC, events, a ticket with her comment,
    and Erin, another customer whose lookup field names Carol as her referrer."""
    IdentityFactory(user=carol, value="carol.work@example.com")
    MembershipFactory(user=carol, organization__account=acme, default=True)
    CustomFieldFactory(account=acme, key="shoe_size", title="Shoe size")
    CustomFieldFactory(account=acme, key="referrer", title="Referrer", type="lookup", lookup_target="user")
    customer_update(customer=carol, actor=bob, changes={"notes": "Prefers mornings"}, originals={"notes": ""})
    User.objects.filter(pk=carol.pk).update(custom_fields={"shoe_size": "38"})
    erin = UserFactory(account=acme, name="Erin", email="erin@example.com", custom_fields={"referrer": carol.pk})
    lookup_links_rebuild(account=acme)
    ticket = TicketFactory(account=acme, requester=carol, submitter=bob, subject="Broken kettle")
    CommentFactory(ticket=ticket, author=carol, body="It still leaks")
    other = TicketFactory(account=acme, requester=erin, submitter=erin)
    TicketCC.objects.create(ticket=other, user=carol)
    event_record(customer=carol, type="page_viewed", source="Shop", client_id="shop-42")
    carol.refresh_from_db()
    return {"ticket": ticket, "other": other, "erin": erin}


def test_the_preview_counts_what_deleting_removes_and_the_tickets_kept(carols_world, carol):
    preview = deletion_preview(customer=carol)

    assert preview.identities == 2
    assert preview.memberships == 1
    assert preview.custom_fields == 1
    assert preview.ccs == 1
    assert preview.references == 1
    assert preview.tickets_kept == 1
    assert preview.events == Event.objects.filter(customer=carol).count() > 1


def test_deleting_a_customer_with_tickets_removes_their_data_and_keeps_the_tickets_anonymized(
    carols_world, carol, alice
):
    ticket, erin = carols_world["ticket"], carols_world["erin"]
    assert Event.objects.filter(customer=carol).exists()

    customer_delete(customer=carol, actor=alice)

    gone = User.objects.get(pk=carol.pk)
    assert gone.deleted_at is not None
    assert (gone.name, gone.email, gone.notes, gone.tags, gone.custom_fields) == ("", "", "", "", {})
    assert not gone.has_usable_password()
    assert gone.display_name == "Deleted user"
    assert not Identity.objects.filter(user=carol).exists()
    assert not OrganizationMembership.objects.filter(user=carol).exists()
    assert not TicketCC.objects.filter(user=carol).exists()
    assert not Event.objects.filter(customer=carol).exists()
    assert not EventKind.objects.filter(customer=carol).exists()
    assert not EventClientId.objects.filter(client_id="shop-42").exists()
    # The ticket and her comment stay, with the anonymized row as requester and author.
    assert Ticket.objects.get(pk=ticket.pk).requester_id == carol.pk
    assert Comment.objects.get(ticket=ticket).body == "It still leaks"
    # Erin's lookup no longer names anyone.
    erin.refresh_from_db()
    assert "referrer" not in erin.custom_fields
    assert not LookupLink.objects.filter(target_id=carol.pk).exists()


def test_the_audit_entry_counts_what_was_removed_and_keeps_nothing_personal(carols_world, carol, alice):
    customer_delete(customer=carol, actor=alice)

    entry = AuditEntry.objects.get(action="customer.deleted")
    assert entry.actor == alice
    assert entry.before["removed"]["identities"] == 2
    assert entry.before["removed"]["tickets_kept"] == 1
    assert "carol@example.com" not in str(entry.before)


def test_a_customer_without_tickets_is_deleted_outright(carol, alice):
    IdentityFactory(user=carol, value="carol.work@example.com")

    customer_delete(customer=carol, actor=alice)

    assert not User.objects.filter(pk=carol.pk).exists()
    assert not Identity.objects.filter(user_id=carol.pk).exists()
    assert AuditEntry.objects.filter(action="customer.deleted", target_id=str(carol.pk)).exists()


def test_the_events_of_customers_merged_into_them_go_too(acme, carol, alice):
    twin = UserFactory(account=acme, name="Carol Twin", email="twin@example.com")
    TicketFactory(account=acme, requester=twin, submitter=twin)
    event_record(customer=twin, type="page_viewed", source="Shop")
    customer_merge(source=twin, target=carol, actor=alice)

    customer_delete(customer=carol, actor=alice)

    assert not Event.objects.filter(customer_id__in=[carol.pk, twin.pk]).exists()
    assert User.objects.get(pk=twin.pk).name == ""


def test_a_deleted_customer_cant_be_deleted_or_written_again(carols_world, carol, alice):
    customer_delete(customer=carol, actor=alice)

    with pytest.raises(RecordGone):
        customer_delete(customer=carol, actor=alice)


def test_another_accounts_member_cant_delete_the_customer(carol, charlie):
    with pytest.raises(RecordGone):
        customer_delete(customer=carol, actor=charlie)

    assert User.objects.filter(pk=carol.pk, deleted_at=None).exists()


def test_the_api_delete_does_the_same_and_then_answers_404(carols_world, acme_api, carol):
    response = acme_api.delete(f"/api/v2/users/{carol.pk}")

    assert response.status_code == 204
    assert User.objects.get(pk=carol.pk).deleted_at is not None
    assert Ticket.objects.filter(pk=carols_world["ticket"].pk).exists()
    assert acme_api.get(f"/api/v2/users/{carol.pk}").status_code == 404
    listed = acme_api.get("/api/v2/users").json()["users"]
    assert carol.pk not in [user["id"] for user in listed]


def test_their_kept_ticket_still_takes_replies_and_their_timeline_stays_empty(carols_world, carol, alice, bob):
    customer_delete(customer=carol, actor=alice)

    comment = ticket_reply(
        ticket=carols_world["ticket"], author=bob, body="Closing this one", public=True, status=Status.SOLVED
    )

    assert comment.body == "Closing this one"
    assert Ticket.objects.get(pk=carols_world["ticket"].pk).status == Status.SOLVED
    assert not Event.objects.filter(customer_id=carol.pk).exists()
    assert not EventKind.objects.filter(customer_id=carol.pk).exists()
