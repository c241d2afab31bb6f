"""Merging two customers: the preview says what moves, the merge moves exactly that, all or nothing, and
two merges of the same pair at once neither deadlock nor lose anything."""

import threading
import time

import pytest
from django.db import connection

from accounts.models import AuditEntry, Role, User
from activity.models import Event, EventKind
from activity.selectors import EventFilter, event_kinds_for_customer, events_for_customer
from activity.services import event_record
from common.errors import RecordGone
from custom_fields.models import CustomField
from custom_fields.relations import lookup_links_rebuild
from demo.factories import (
    CustomFieldFactory,
    IdentityFactory,
    MembershipFactory,
    OrganizationFactory,
    PhoneIdentityFactory,
    TicketFactory,
    UserFactory,
)
from profiles import merge
from profiles.identities import identity_add
from profiles.merge import MergeRefused, MergeStale, customer_merge, merge_preview
from profiles.models import Identity, OrganizationMembership, PhoneLine
from tickets.models import Comment, Ticket, TicketCC
from tickets.services import ticket_create


@pytest.fixture
def fields(acme):
    options = [{"name": "Free", "value": "free"}, {"name": "Pro", "value": "pro"}, {"name": "Team", "value": "team"}]
    return {
        "plan": CustomFieldFactory(account=acme, key="plan", title="Plan", type="dropdown", options=options),
        "seats": CustomFieldFactory(account=acme, key="seats", title="Seats", type="integer"),
        "risk": CustomFieldFactory(account=acme, key="risk", title="Risk", type="integer", agent_access="read_only"),
        "rating": CustomFieldFactory(account=acme, key="rating", title="Rating", agent_access="hidden"),
        "manager": CustomFieldFactory(
            account=acme, key="manager", title="Manager", type="lookup", lookup_target="user"
        ),
    }


@pytest.fixture
def camille(acme):
    """Carol's duplicate: the customer kept in most tests."""
    return UserFactory(account=acme, name="Camille Martin", email="camille@example.com", tags="gold vip", locale="fr")


@pytest.fixture
def pair(acme, bob, carol, camille, fields):
    """Carol and Camille, one person twice: each with tickets, contacts, organizations, events, fields."""
    initech = OrganizationFactory(account=acme, name="Initech")
    globodyne = OrganizationFactory(account=acme, name="Globodyne")
    MembershipFactory(user=carol, organization=initech, default=True)
    MembershipFactory(user=carol, organization=globodyne)
    MembershipFactory(user=camille, organization=globodyne, default=True)
    IdentityFactory(user=carol, value="carol.home@example.org", verified=True)
    PhoneIdentityFactory(user=carol, value="+33612345678", primary=True)
    PhoneIdentityFactory(user=carol, value="+33478000000", phone_line=PhoneLine.SHARED)
    PhoneIdentityFactory(user=camille, value="+33478000000", phone_line=PhoneLine.SHARED)
    User.objects.filter(pk=carol.pk).update(
        notes="Carol's notes", custom_fields={"plan": "pro", "risk": 3, "rating": "B", "seats": 5}
    )
    User.objects.filter(pk=camille.pk).update(
        details="12 rue des Lilas", notes="Camille's notes", custom_fields={"plan": "team", "risk": 9}
    )
    carol.refresh_from_db()
    camille.refresh_from_db()
    erin = UserFactory(account=acme, name="Erin Example", email="erin@example.com")
    carols = TicketFactory.create_batch(2, requester=carol)
    camilles = TicketFactory(requester=camille)
    erins = TicketFactory(requester=erin)
    TicketCC.objects.create(ticket=erins, user=carol)
    TicketCC.objects.create(ticket=erins, user=camille)  # both CC'd: Camille stays CC'd once
    TicketCC.objects.create(ticket=carols[0], user=camille)  # CC'd on what becomes her own ticket
    Comment.objects.create(ticket=erins, author=carol, body="Me too", created_at=erins.created_at)
    for _ in range(3):
        event_record(customer=carol, source="Shop", type="order_placed", description="Order")
    event_record(customer=camille, source="Shop", type="order_placed", description="Order")
    event_record(customer=camille, source="Billing", type="invoice_paid", description="Paid")
    User.objects.filter(pk=erin.pk).update(custom_fields={"manager": carol.pk})
    lookup_links_rebuild(account=acme)  # values written around the services: the Related tab's links follow
    return {"carol": carol, "camille": camille, "erin": erin, "tickets": (carols, camilles, erins)}


def _merged(source, target, actor, **choices):
    preview = merge_preview(source=source, target=target, actor=actor)
    return customer_merge(source=source, target=target, actor=actor, choices=choices, preview_token=preview.token)


def test_the_preview_says_exactly_what_moves_and_where_values_differ(pair, carol, camille, bob):
    preview = merge_preview(source=carol, target=camille, actor=bob)

    assert (preview.tickets_requested, preview.tickets_ccd, preview.events, preview.references) == (2, 1, 3, 1)
    assert [(m.identity.value, m.outcome) for m in preview.identities] == [
        ("carol@example.com", "secondary"),
        ("carol.home@example.org", "secondary"),
        ("+33612345678", "primary"),  # Camille has no phone of her own: Carol's primary stays primary
        ("+33478000000", "duplicate"),
    ]
    assert [(m.membership.organization.name, m.outcome) for m in preview.memberships] == [
        ("Initech", "joins"),  # Camille's default (Globodyne) stays her default
        ("Globodyne", "already"),
    ]
    assert preview.tags_added == ["beta"]
    rows = {f.name: (f.source_display, f.target_display, f.choosable, f.keep) for f in preview.fields}
    assert rows["name"] == ("Carol Customer", "Camille Martin", True, "target")
    assert rows["locale"] == ("English", "Français", True, "target")
    assert rows["details"] == ("", "12 rue des Lilas", False, "target")
    assert rows["notes"] == ("Carol's notes", "Camille's notes", True, "target")
    assert rows["cf_plan"] == ("Pro", "Team", True, "target")
    assert rows["cf_seats"] == ("5", "", False, "source")
    assert rows["cf_risk"] == ("3", "9", False, "target"), "read-only for agents: not theirs to choose"
    assert "cf_rating" not in rows, "hidden from agents: not shown at all"
    assert "time_zone" in rows and not rows["time_zone"][2], "the same on both: nothing to choose"


def test_an_admin_may_choose_fields_an_agent_only_reads(pair, carol, camille, alice):
    preview = merge_preview(source=carol, target=camille, actor=alice)

    rows = {f.name: f.choosable for f in preview.fields}
    assert rows["cf_risk"] is True and "cf_rating" in rows


def test_merging_moves_everything_to_the_kept_customer_and_the_choices_hold(pair, carol, camille, bob):
    carols, camilles, erins = pair["tickets"]

    result = _merged(carol, camille, bob, name="source", cf_plan="target", notes="source")

    kept = User.objects.get(pk=camille.pk)
    assert (kept.name, kept.notes, kept.details) == ("Carol Customer", "Carol's notes", "12 rue des Lilas")
    assert kept.locale == "fr"
    assert kept.custom_fields == {"plan": "team", "seats": 5, "risk": 9, "rating": "B"}
    assert kept.tags == "gold vip beta"
    assert kept.email == "camille@example.com"
    assert set(Ticket.objects.filter(requester=camille).values_list("pk", flat=True)) == {
        carols[0].pk,
        carols[1].pk,
        camilles.pk,
    }
    assert list(TicketCC.objects.filter(ticket=erins).values_list("user_id", flat=True)) == [camille.pk]
    assert not TicketCC.objects.filter(ticket=carols[0]).exists(), "no CC on one's own ticket"
    assert Comment.objects.get(body="Me too").author_id == camille.pk
    assert sorted(Identity.objects.filter(user=camille).values_list("value", "primary")) == [
        ("+33478000000", False),
        ("+33612345678", True),
        ("camille@example.com", True),
        ("carol.home@example.org", False),
        ("carol@example.com", False),
    ]
    assert list(
        OrganizationMembership.objects.filter(user=camille)
        .order_by("organization__name")
        .values_list("organization__name", "default")
    ) == [("Globodyne", True), ("Initech", False)]
    assert User.objects.get(pk=pair["erin"].pk).custom_fields == {"manager": camille.pk}
    assert result.moved["identities"] == 3 and result.moved["tickets_requested"] == 2


def test_the_kept_customers_timeline_holds_both_histories_and_the_merge(pair, carol, camille, bob):
    _merged(carol, camille, bob)

    page = events_for_customer(customer=camille, size=50)
    assert [e.type for e in page.items].count("order_placed") == 4
    assert page.items[0].type == "user_merged"
    assert page.items[0].properties["merged_user_id"] == carol.pk
    kinds = event_kinds_for_customer(customer=camille)
    assert sum(k.count for k in kinds if k.type == "order_placed") == 4
    shop = events_for_customer(customer=camille, event_filter=EventFilter("Shop", "order_placed"), kinds=kinds)
    assert len(shop.items) == 4


def test_the_merge_is_audited_with_both_ids(pair, carol, camille, bob):
    _merged(carol, camille, bob, name="source")

    entry = AuditEntry.objects.get(action="customer.merged")
    assert (entry.actor, entry.target_id) == (bob, str(camille.pk))
    assert entry.before["merged_user_id"] == entry.after["merged_user_id"] == carol.pk
    assert entry.before["kept_user_id"] == entry.after["kept_user_id"] == camille.pk
    assert entry.before["kept_user"]["name"] == "Camille Martin"
    assert entry.after["kept_user"]["name"] == "Carol Customer"


def test_the_merged_away_customer_is_emptied_and_points_at_the_kept_one(pair, carol, camille, bob):
    _merged(carol, camille, bob)

    gone = User.objects.get(pk=carol.pk)
    assert (gone.merged_into_id, gone.email, gone.external_id) == (camille.pk, "", "")
    assert not gone.has_usable_password()
    assert not Identity.objects.filter(user=carol).exists()
    assert not OrganizationMembership.objects.filter(user=carol).exists()


def test_nobody_writes_on_a_merged_away_customer(pair, carol, camille, bob):
    _merged(carol, camille, bob)

    with pytest.raises(RecordGone):
        identity_add(customer=carol, actor=bob, type="email", value="late@example.com")
    with pytest.raises(RecordGone):
        ticket_create(requester=carol, submitter=bob, subject="Late", description="Too late")
    assert not Identity.objects.filter(value="late@example.com").exists()


def test_customers_merged_earlier_lead_to_the_newly_kept_one(acme, carol, camille, bob):
    first = UserFactory(account=acme, name="Carol Old", email="carol.old@example.com")
    event_record(customer=first, source="Shop", type="cart_updated")
    _merged(first, carol, bob)

    _merged(carol, camille, bob)

    assert User.objects.get(pk=first.pk).merged_into_id == camille.pk
    assert "cart_updated" in [e.type for e in events_for_customer(customer=camille).items]


def test_a_customer_with_no_email_takes_the_merged_ones_primary(acme, carol, bob):
    nameless = UserFactory(account=acme, name="Unknown caller", email="")
    PhoneIdentityFactory(user=nameless, value="+33699999999", primary=True)

    _merged(carol, nameless, bob)

    kept = User.objects.get(pk=nameless.pk)
    assert kept.email == "carol@example.com"
    assert Identity.objects.get(user=nameless, value="carol@example.com").primary


def test_an_external_id_moves_when_the_kept_customer_has_none(acme, carol, camille, bob):
    User.objects.filter(pk=carol.pk).update(external_id="shop-42")
    carol.refresh_from_db()

    _merged(carol, camille, bob)

    assert User.objects.get(pk=camille.pk).external_id == "shop-42"


@pytest.mark.parametrize(
    "who, code",
    [("bob", "team_member"), ("alice", "team_member")],
)
def test_team_members_cant_be_merged_nor_merged_into(request, carol, bob, who, code):
    member = request.getfixturevalue(who)

    for source, target in ((member, carol), (carol, member)):
        with pytest.raises(MergeRefused) as refused:
            merge_preview(source=source, target=target, actor=bob)
        assert refused.value.code == code
        with pytest.raises(MergeRefused):
            customer_merge(source=source, target=target, actor=bob)
    assert User.objects.get(pk=member.pk).role in (Role.AGENT, Role.ADMIN)
    assert User.objects.get(pk=carol.pk).merged_into_id is None


def test_a_customer_cant_be_merged_into_themselves(carol, bob):
    with pytest.raises(MergeRefused) as refused:
        customer_merge(source=carol, target=carol, actor=bob)

    assert refused.value.code == "same_customer"


def test_another_accounts_customer_is_never_found(carol, dave, bob, charlie):
    with pytest.raises(RecordGone):
        merge_preview(source=carol, target=dave, actor=bob)
    with pytest.raises(RecordGone):
        customer_merge(source=dave, target=carol, actor=bob)
    with pytest.raises(RecordGone):
        customer_merge(source=carol, target=dave, actor=charlie)

    assert User.objects.get(pk=dave.pk).merged_into_id is None


def test_an_end_user_cant_merge_anyone(acme, carol, camille):
    with pytest.raises(MergeRefused) as refused:
        customer_merge(source=camille, target=carol, actor=carol)

    assert refused.value.code == "not_allowed"


def test_a_customer_merged_away_cant_be_merged_again(acme, carol, camille, bob):
    third = UserFactory(account=acme, name="Third", email="third@example.com")
    _merged(carol, camille, bob)

    with pytest.raises(MergeRefused) as refused:
        customer_merge(source=carol, target=third, actor=bob)
    with pytest.raises(MergeRefused):
        customer_merge(source=third, target=carol, actor=bob)

    assert refused.value.code == "already_merged"


@pytest.mark.parametrize(
    "change",
    [
        lambda carol, camille, bob: User.objects.filter(pk=camille.pk).update(notes="Changed meanwhile"),
        lambda carol, camille, bob: identity_add(customer=carol, actor=bob, type="email", value="new@example.com"),
        lambda carol, camille, bob: TicketFactory(requester=carol),
        lambda carol, camille, bob: OrganizationMembership.objects.filter(user=carol).delete(),
    ],
    ids=["a field of the kept one", "a contact of the other", "a new ticket", "an organization"],
)
def test_a_stale_preview_merges_nothing_and_comes_back_renewed(pair, carol, camille, bob, change):
    preview = merge_preview(source=carol, target=camille, actor=bob)
    change(carol, camille, bob)
    before = _snapshot(carol, camille)

    with pytest.raises(MergeStale) as stale:
        customer_merge(source=carol, target=camille, actor=bob, preview_token=preview.token)

    assert stale.value.preview.token != preview.token
    assert _snapshot(carol, camille) == before
    customer_merge(source=carol, target=camille, actor=bob, preview_token=stale.value.preview.token)
    assert User.objects.get(pk=carol.pk).merged_into_id == camille.pk


def test_new_events_dont_make_a_preview_stale(pair, carol, camille, bob):
    preview = merge_preview(source=carol, target=camille, actor=bob)
    event_record(customer=carol, source="Web", type="page_viewed")

    customer_merge(source=carol, target=camille, actor=bob, preview_token=preview.token)

    assert "page_viewed" in [e.type for e in events_for_customer(customer=camille, size=50).items]


# All or nothing


def _snapshot(*people) -> dict:
    """Everything a merge touches, as saved now."""
    ids = [p.pk for p in people]
    return {
        "users": list(User.objects.filter(pk__in=ids).order_by("pk").values()),
        "identities": list(Identity.objects.filter(account_id=people[0].account_id).order_by("pk").values()),
        "memberships": list(OrganizationMembership.objects.order_by("pk").values()),
        "tickets": list(Ticket.objects.order_by("pk").values("pk", "requester_id", "submitter_id")),
        "ccs": list(TicketCC.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values("pk", "author_id")),
        "events": list(Event.objects.order_by("pk").values("pk", "customer_id", "kind_id")),
        "kinds": list(EventKind.objects.order_by("pk").values()),
        "lookups": list(User.objects.exclude(pk__in=ids).order_by("pk").values("pk", "custom_fields")),
        "audit": AuditEntry.objects.count(),
        "fields": CustomField.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing", ["tickets_move", "lookup_references_repoint", "event_record"])
def test_an_error_in_the_middle_of_a_merge_leaves_both_customers_exactly_as_before(
    monkeypatch, pair, carol, camille, bob, failing
):
    preview = merge_preview(source=carol, target=camille, actor=bob)
    before = _snapshot(carol, camille)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(merge, failing, broken)
    with pytest.raises(RuntimeError):
        customer_merge(source=carol, target=camille, actor=bob, preview_token=preview.token)

    assert _snapshot(carol, camille) == before


# A real race, on a database that runs transactions side by side


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_agents_merging_a_pair_both_ways_at_once_end_with_one_customer_and_everything_on_them(
    pair, carol, camille, bob, alice
):
    tickets = set(Ticket.objects.filter(requester__in=[carol, camille]).values_list("pk", flat=True))
    values = set(Identity.objects.filter(user__in=[carol, camille]).values_list("value", flat=True))
    start, outcomes = threading.Barrier(2), {}

    def agent(name, actor, source, target):
        try:
            start.wait(5)
            outcomes[name] = customer_merge(source=source, target=target, actor=actor)
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=agent, args=("carol into camille", bob, carol, camille)),
        threading.Thread(target=agent, args=("camille into carol", alice, camille, carol)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert not any(thread.is_alive() for thread in threads), "a merge is stuck: deadlock"
    merged = [name for name, outcome in outcomes.items() if isinstance(outcome, merge.MergeResult)]
    refused = [o for o in outcomes.values() if isinstance(o, MergeRefused)]
    assert len(merged) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "already_merged"
    kept = camille if merged == ["carol into camille"] else carol
    gone = carol if kept == camille else camille
    assert User.objects.get(pk=gone.pk).merged_into_id == kept.pk
    assert User.objects.get(pk=kept.pk).merged_into_id is None
    assert set(Ticket.objects.filter(requester=kept).values_list("pk", flat=True)) == tickets
    assert set(Identity.objects.filter(user=kept).values_list("value", flat=True)) == values
    assert len(events_for_customer(customer=kept, size=50).items) == 3 + 2 + 1
    assert AuditEntry.objects.filter(action="customer.merged").count() == 1


def test_deleting_the_kept_customer_takes_the_merged_away_one_with_them(pair, carol, camille, bob):
    _merged(carol, camille, bob)
    Comment.objects.filter(author=camille).delete()
    Ticket.objects.filter(requester=camille).delete()  # what a customer's deletion does first

    User.objects.get(pk=camille.pk).delete()

    assert not User.objects.filter(pk__in=[carol.pk, camille.pk]).exists()
    assert not Event.objects.filter(customer_id__in=[carol.pk, camille.pk]).exists()


def _while_merging(monkeypatch, source, target, actor, act):
    """Run `act` in this thread while another agent's merge of `source` into `target` holds both customers
    (paused inside its transaction, after the tickets moved). Returns what `act` returned or raised, how
    long it took, and the merge's errors."""
    paused, resume, errors = threading.Event(), threading.Event(), []
    real = merge.tickets_move

    def slow_move(**kwargs):
        moved = real(**kwargs)
        paused.set()
        resume.wait(5)
        return moved

    monkeypatch.setattr(merge, "tickets_move", slow_move)

    def other_agent():
        try:
            customer_merge(source=source, target=target, actor=actor)
        except Exception as error:  # pragma: no cover - reported by the caller
            errors.append(error)
            paused.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_agent)
    thread.start()
    paused.wait(5)
    timer = threading.Timer(1.0, resume.set)  # the merge goes on after a second, whatever `act` does
    timer.start()
    started = time.monotonic()
    try:
        outcome = act()
    except Exception as error:
        outcome = error
    waited = time.monotonic() - started
    thread.join(10)
    timer.cancel()
    return outcome, waited, errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_a_ticket_for_a_customer_being_merged_away_waits_and_is_refused_never_left_behind(
    monkeypatch, pair, carol, camille, bob
):
    outcome, waited, errors = _while_merging(
        monkeypatch,
        carol,
        camille,
        bob,
        lambda: ticket_create(requester=carol, submitter=bob, subject="During the merge", description="Hi"),
    )

    assert not errors and waited >= 0.5, "the new ticket waited for the merge"
    assert isinstance(outcome, RecordGone)
    assert not Ticket.objects.filter(subject="During the merge").exists()
    assert not Ticket.objects.filter(requester=carol).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_events_arriving_during_a_merge_dont_wait_and_end_on_the_kept_customers_timeline(
    monkeypatch, pair, carol, camille, bob
):
    def integration():
        event_record(customer=carol, source="Shop", type="order_shipped", description="Shipped")
        connection.close()

    outcome, waited, errors = _while_merging(monkeypatch, carol, camille, bob, integration)

    assert not errors and outcome is None
    assert waited < 0.5, "an event for a customer being merged is stored at once"
    assert "order_shipped" in [e.type for e in events_for_customer(customer=camille, size=50).items]
