"""The customer portal: Carol (a customer of Acme) sees her requests and those she is CC'd on, reads and
answers them, changes her password. Erin is another customer of Acme, Dave a customer of Globex: neither
sees anything of Carol's."""

import datetime

import pytest
from django.utils import timezone, translation

from accounts.models import AuditEntry
from activity.models import SUPPORT_SOURCE
from demo.factories import CommentFactory, TicketFactory, UserFactory
from profiles.timeline import type_label
from tests.conftest import client_for
from tickets.models import TicketCC


@pytest.fixture
def erin(acme):
    return UserFactory(account=acme, name="Erin Neighbour", email="erin@example.com")


@pytest.fixture
def as_erin(erin):
    return client_for(erin)


def _ago(hours: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


# Home: her requests and the ones she is CC'd on


def test_the_home_lists_her_requests_and_the_ones_she_is_ccd_on_newest_first(as_carol, carol, erin):
    TicketFactory(requester=carol, subject="My printer", updated_at=_ago(3), created_at=_ago(9))
    ccd = TicketFactory(requester=erin, subject="Erin's invoice", updated_at=_ago(1), created_at=_ago(9))
    TicketCC.objects.create(ticket=ccd, user=carol)
    TicketFactory(requester=erin, subject="Erin alone")

    page = as_carol.get("/portal/").content.decode()

    assert "My printer" in page and "Erin&#x27;s invoice" in page and "Erin alone" not in page
    assert page.index("Erin&#x27;s invoice") < page.index("My printer")
    assert "CC'd on Erin Neighbour's request" in page.replace("&#x27;", "'")
    assert f'href="/portal/requests/{ccd.pk}/"' in page


def test_the_home_pages_by_keyset_through_both_kinds_without_repeats(as_carol, carol, erin):
    mine = [TicketFactory(requester=carol, updated_at=_ago(2 * i), created_at=_ago(99)) for i in range(20)]
    ccd = [TicketFactory(requester=erin, updated_at=_ago(2 * i + 1), created_at=_ago(99)) for i in range(20)]
    TicketCC.objects.bulk_create([TicketCC(ticket=t, user=carol) for t in ccd])

    first = as_carol.get("/portal/")
    second = as_carol.get("/portal/", {"after": first.context["page"].next_cursor})

    seen = [t.pk for t in first.context["page"].items + second.context["page"].items]
    assert sorted(seen) == sorted(t.pk for t in mine + ccd)
    assert second.context["page"].has_prev and not second.context["page"].has_next


def test_the_home_says_so_when_there_is_nothing_yet(as_carol):
    assert "You have no requests yet." in as_carol.get("/portal/").content.decode()


def test_subjects_and_names_are_escaped_on_the_home(as_carol, carol, acme):
    TicketFactory(requester=carol, subject="<script>alert(1)</script>")
    villain = UserFactory(account=acme, name="<img src=x onerror=alert(2)>", email="villain@example.com")
    TicketCC.objects.create(ticket=TicketFactory(requester=villain), user=carol)

    page = as_carol.get("/portal/").content.decode()

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


# Why these numbers: session + user + account (3), then one statement merging a page of her requests with a
# page of those she is CC'd on, the requester's name read in it (1). Nothing may grow with her history.
HOME_QUERIES = 4


@pytest.mark.parametrize("count", [0, 5, 60])
def test_the_home_takes_constant_queries(as_carol, carol, erin, count, django_assert_num_queries):
    TicketFactory.create_batch(count, requester=carol)
    ccd = TicketFactory.create_batch(count, requester=erin)
    TicketCC.objects.bulk_create([TicketCC(ticket=t, user=carol) for t in ccd])

    with django_assert_num_queries(HOME_QUERIES):
        assert as_carol.get("/portal/").status_code == 200


# The request page: who may read it, and what they read


def test_she_reads_her_request_with_its_public_comments_and_never_an_internal_note(as_carol, carol, bob):
    ticket = TicketFactory(requester=carol, subject="Printer on fire", status="pending", description="")
    CommentFactory(ticket=ticket, author=carol, body="It is <b>really</b> burning")
    CommentFactory(ticket=ticket, author=bob, body="Internal: call the fire brigade", public=False)
    CommentFactory(ticket=ticket, author=bob, body="We are on our way")

    page = as_carol.get(f"/portal/requests/{ticket.pk}/").content.decode()

    assert "Printer on fire" in page and "Pending" in page and "We are waiting for your reply." in page
    assert "It is &lt;b&gt;really&lt;/b&gt; burning" in page and "We are on our way" in page and "Bob Agent" in page
    assert "fire brigade" not in page and "Internal" not in page


def test_someone_ccd_reads_the_request_too(as_erin, carol, erin):
    ticket = TicketFactory(requester=carol, subject="Shared trouble")
    TicketCC.objects.create(ticket=ticket, user=erin)

    response = as_erin.get(f"/portal/requests/{ticket.pk}/")

    assert response.status_code == 200 and "Shared trouble" in response.content.decode()


def test_another_customer_of_the_account_gets_a_404(as_erin, carol):
    ticket = TicketFactory(requester=carol, subject="Private")

    response = as_erin.get(f"/portal/requests/{ticket.pk}/")
    posted = as_erin.post(f"/portal/requests/{ticket.pk}/", {"body": "Let me in"})

    assert response.status_code == 404 and "Private" not in response.content.decode()
    assert posted.status_code == 404 and ticket.comments.count() == 0


def test_a_customer_of_another_account_gets_a_404_even_for_their_own_ticket_id_here(carol, dave):
    mine_elsewhere = TicketFactory(requester=dave)
    carols = TicketFactory(requester=carol)
    as_dave = client_for(dave)

    assert as_dave.get(f"/portal/requests/{carols.pk}/").status_code == 404
    assert as_dave.get(f"/portal/requests/{mine_elsewhere.pk}/").status_code == 200


def test_team_members_use_the_agent_ticket_page_not_the_portal(as_bob, carol):
    ticket = TicketFactory(requester=carol)

    assert as_bob.get(f"/portal/requests/{ticket.pk}/").status_code == 403


def test_anonymous_visitors_sign_in_first(anonymous, carol):
    ticket = TicketFactory(requester=carol)

    response = anonymous.get(f"/portal/requests/{ticket.pk}/")

    assert response.status_code == 302 and response.url.startswith("/sign-in/")


# Why these numbers: session + user + account (3), the ticket with its requester, checked as hers or one she
# is CC'd on in the same query (1), its public comments with their authors (1). Not one more per comment.
REQUEST_QUERIES = 5


@pytest.mark.parametrize("comments", [0, 3, 40])
def test_the_request_page_takes_constant_queries(as_carol, carol, bob, comments, django_assert_num_queries):
    ticket = TicketFactory(requester=carol)
    for i in range(comments):
        CommentFactory(ticket=ticket, author=bob if i % 2 else carol)

    with django_assert_num_queries(REQUEST_QUERIES):
        assert as_carol.get(f"/portal/requests/{ticket.pk}/").status_code == 200


# Commenting


def test_she_adds_a_public_comment_recorded_on_her_timeline_and_in_the_audit_log(as_carol, carol):
    ticket = TicketFactory(requester=carol, status="open")

    response = as_carol.post(f"/portal/requests/{ticket.pk}/", {"body": "  Still <i>broken</i>  "}, follow=True)

    comment = ticket.comments.get()
    assert comment.body == "Still <i>broken</i>" and comment.public and comment.author == carol
    assert "Your comment was sent." in response.content.decode()
    assert "Still &lt;i&gt;broken&lt;/i&gt;" in response.content.decode()
    assert carol.events.filter(type="comment_added").count() == 1
    assert AuditEntry.objects.filter(action="ticket.updated", actor=carol, target_id=str(ticket.pk)).exists()


def test_a_comment_on_a_solved_request_opens_it_again(as_carol, carol):
    ticket = TicketFactory(requester=carol, status="solved")

    response = as_carol.post(f"/portal/requests/{ticket.pk}/", {"body": "It broke again"}, follow=True)

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert "the request is open again" in response.content.decode()
    assert carol.events.filter(type="ticket_status_changed").count() == 1


def test_a_comment_from_someone_ccd_lands_on_the_requesters_timeline(as_erin, carol, erin):
    ticket = TicketFactory(requester=carol, status="pending")
    TicketCC.objects.create(ticket=ticket, user=erin)

    as_erin.post(f"/portal/requests/{ticket.pk}/", {"body": "Me too"})

    ticket.refresh_from_db()
    assert ticket.comments.get().author == erin and ticket.status == "open"
    assert carol.events.filter(type="comment_added").count() == 1


def test_a_closed_request_says_it_takes_no_comment_and_refuses_one(as_carol, carol):
    ticket = TicketFactory(requester=carol, status="closed")

    page = as_carol.get(f"/portal/requests/{ticket.pk}/").content.decode()
    response = as_carol.post(f"/portal/requests/{ticket.pk}/", {"body": "Hello?"})

    assert "A closed request takes no more comments." in page and 'name="body"' not in page
    assert response.status_code == 400
    assert "This request is closed and takes no more comments." in response.content.decode()
    assert ticket.comments.count() == 0


def test_an_empty_comment_is_refused_next_to_the_field(as_carol, carol):
    ticket = TicketFactory(requester=carol, status="open")

    response = as_carol.post(f"/portal/requests/{ticket.pk}/", {"body": "   "})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_body_error"' in page and "Write your comment before sending it." in page
    assert ticket.comments.count() == 0


# New request


def test_a_new_request_carries_her_tags(as_carol, carol):
    assert carol.tag_list == ["vip", "beta"]

    as_carol.post("/portal/requests/new/", {"subject": "Help", "description": "Please"})

    assert sorted(carol.tickets_requested.get().tag_list) == ["beta", "vip"]


# Password


def test_she_changes_her_password_and_stays_signed_in(as_carol, carol):
    response = as_carol.post(
        "/portal/password/",
        {"old_password": "demo-password-1", "new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"},
        follow=True,
    )

    carol.refresh_from_db()
    assert carol.check_password("a-new-long-secret")
    assert "Your password was changed." in response.content.decode()
    assert as_carol.get("/portal/").status_code == 200  # the session hash followed the new password
    assert carol.events.filter(type="password_changed").count() == 1
    entry = AuditEntry.objects.get(action="user.password_changed")
    assert entry.actor == carol and entry.target_id == str(carol.pk)
    assert "a-new-long-secret" not in str(entry.after)


def test_her_other_sessions_end_when_she_changes_it(as_carol, carol):
    other_device = client_for(carol)

    as_carol.post(
        "/portal/password/",
        {"old_password": "demo-password-1", "new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"},
    )

    assert other_device.get("/portal/").status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"old_password": "wrong", "new_password1": "a-new-long-secret", "new_password2": "a-new-long-secret"},
         "old_password", "Your old password was entered incorrectly."),
        ({"old_password": "demo-password-1", "new_password1": "a-new-long-secret", "new_password2": "another-one-x"},
         "new_password2", "The two password fields didn"),
        ({"old_password": "demo-password-1", "new_password1": "short", "new_password2": "short"},
         "new_password2", "This password is too short."),
    ],
)  # fmt: skip
def test_a_wrong_old_password_a_mismatch_or_a_weak_one_is_refused_next_to_its_field(
    as_carol, carol, data, field, message
):
    response = as_carol.post("/portal/password/", data)

    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in page and message in page.replace("&#x27;", "'")
    carol.refresh_from_db()
    assert carol.check_password("demo-password-1") and not carol.events.filter(type="password_changed").exists()


def test_the_timeline_names_a_password_change_in_the_readers_language():
    with translation.override("fr"):
        assert type_label(SUPPORT_SOURCE, "password_changed") == "Mot de passe modifié"


def test_team_members_do_not_change_their_password_in_the_portal(as_bob):
    assert as_bob.get("/portal/password/").status_code == 403


# Sign-in and language


def test_signing_in_updates_her_last_sign_in_and_puts_it_on_her_timeline(anonymous, carol):
    assert carol.last_login is None

    anonymous.post("/sign-in/", {"username": "carol@example.com", "password": "demo-password-1"})

    carol.refresh_from_db()
    assert carol.last_login is not None and timezone.now() - carol.last_login < datetime.timedelta(minutes=1)
    assert list(carol.events.values_list("type", flat=True)) == ["user_signed_in"]


def test_the_portal_speaks_her_language(acme):
    french = UserFactory(account=acme, email="fr@example.com", locale="fr")
    TicketFactory(requester=french, status="pending")
    client = client_for(french)

    home = client.get("/portal/").content.decode()
    password = client.get("/portal/password/").content.decode()

    assert "Mes demandes" in home and "Nouvelle demande" in home and 'lang="fr"' in home
    assert "Changer de mot de passe" in password


def test_the_navigation_marks_the_current_page(as_carol):
    page = as_carol.get("/portal/password/").content.decode()

    assert 'href="/portal/password/" aria-current="page"' in page
    assert 'href="/portal/" aria-current="page"' not in page
