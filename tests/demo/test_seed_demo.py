import io

from django.core.management import call_command

from accounts.models import Account, User
from activity.models import Event, EventKind
from custom_fields.relations import relationships_of
from profiles.models import Organization
from tickets.models import Ticket

SMALL = {"customers": 15, "tickets": 40, "events": 300}


def _counts():
    return (User.objects.count(), Ticket.objects.count(), Event.objects.count(), EventKind.objects.count())


def test_seeding_builds_the_demo_account_with_sign_ins_and_a_showcase(db):
    call_command("seed_demo", **SMALL, stdout=io.StringIO())

    account = Account.objects.get(subdomain="demo")
    assert set(User.objects.filter(account=account, role__in=["admin", "agent"]).values_list("email", flat=True)) >= {
        "admin@example.com",
        "agent@example.com",
    }
    showcase = User.objects.get(account=account, email="camille.martin@example.com")
    assert {t.status for t in Ticket.objects.filter(requester=showcase)} == {
        "new",
        "open",
        "pending",
        "hold",
        "solved",
        "closed",
    }
    assert showcase.identities.count() == 4 and showcase.memberships.count() == 3
    assert Event.objects.filter(customer=showcase).values("source").distinct().count() >= 3
    assert User.objects.get(email="admin@example.com").check_password("demo-password-1")


def test_seeding_twice_changes_nothing(db):
    call_command("seed_demo", **SMALL, stdout=io.StringIO())
    before = _counts()

    call_command("seed_demo", **SMALL, stdout=io.StringIO())

    assert _counts() == before


def test_reset_rebuilds_the_same_amount_of_data(db):
    call_command("seed_demo", **SMALL, stdout=io.StringIO())
    before = _counts()

    call_command("seed_demo", reset=True, **SMALL, stdout=io.StringIO())

    assert _counts() == before


def test_the_showcase_takes_part_in_the_articles_lookup_relationships(db):
    call_command("seed_demo", **SMALL, stdout=io.StringIO())

    account = Account.objects.get(subdomain="demo")
    showcase = User.objects.get(account=account, email="camille.martin@example.com")
    found = relationships_of(
        account=account, kind="user", record_id=showcase.pk, values=showcase.custom_fields, role="agent"
    )
    counts = {(r.field.key, r.incoming): r.count for r in found}
    assert counts[("primary_contact", True)] == 1  # the article's example: an organization's primary contact
    assert counts[("account_manager", True)] == 5 and counts[("account_manager", False)] == 1
    assert counts[("reported_by", True)] >= 1
    (organization,) = Organization.objects.filter(account=account, custom_fields__primary_contact=showcase.pk)
    assert showcase.memberships.filter(organization=organization, default=True).exists()


def test_the_demo_has_a_duplicate_of_the_showcase_to_merge(db):
    call_command("seed_demo", **SMALL, stdout=io.StringIO())

    showcase = User.objects.get(email="camille.martin@example.com")
    duplicate = User.objects.get(email="c.martin.home@example.net")
    assert duplicate.account_id == showcase.account_id and duplicate.is_end_user
    assert duplicate.identities.count() == 2 and duplicate.memberships.get().default
