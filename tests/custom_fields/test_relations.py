"""The lookup relationship index: kept in step by the services writing values, healed by the next save of a
record that drifted, rebuilt from the values by a command; counts never read another account's values."""

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from custom_fields.models import LookupCount, LookupLink
from custom_fields.relations import lookup_links_update, relationship_source_ids, relationships_of
from demo.factories import OrganizationFactory, TicketFactory, UserFactory
from tests.lookups import lookup_fields, point


@pytest.fixture
def fields(acme):
    return lookup_fields(acme)


def _count(field, target) -> int:
    row = LookupCount.objects.filter(field=field, target_id=target.pk).first()
    return row.total if row else 0


def test_a_save_links_the_record_and_counts_it_and_a_change_moves_both(bob, acme, carol, fields):
    other = UserFactory(account=acme)
    initech = OrganizationFactory(account=acme)
    point(bob, initech, "primary_contact", carol)
    assert (_count(fields["primary_contact"], carol), _count(fields["primary_contact"], other)) == (1, 0)

    point(bob, initech, "primary_contact", other)

    assert (_count(fields["primary_contact"], carol), _count(fields["primary_contact"], other)) == (0, 1)
    assert list(LookupLink.objects.values_list("target_id", "source_id")) == [(other.pk, initech.pk)]


def test_a_record_out_of_step_heals_on_its_next_save(bob, acme, carol, fields):
    ticket = TicketFactory(requester=carol, custom_fields={"reported_by": carol.pk})  # written around the services
    other = UserFactory(account=acme)
    LookupLink.objects.create(field=fields["reported_by"], target_id=other.pk, source_id=ticket.pk)  # a stale link
    LookupCount.objects.create(field=fields["reported_by"], target_id=other.pk, total=1)

    lookup_links_update(source_id=ticket.pk, fields=[fields["reported_by"]], values={"reported_by": carol.pk})

    assert _count(fields["reported_by"], carol) == 1 and _count(fields["reported_by"], other) == 0
    assert list(LookupLink.objects.values_list("target_id", flat=True)) == [carol.pk]


def test_values_that_arent_ids_make_no_link(carol, fields):
    for value in [True, "12", 0, -4, 2**70, None]:
        lookup_links_update(source_id=1, fields=[fields["reported_by"]], values={"reported_by": value})

    assert not LookupLink.objects.exists() and not LookupCount.objects.exclude(total=0).exists()


def test_the_command_rebuilds_an_accounts_links_from_the_values(acme, globex, carol, dave, fields):
    TicketFactory.create_batch(3, requester=carol, custom_fields={"reported_by": carol.pk})
    TicketFactory(requester=carol, custom_fields={"reported_by": dave.pk})  # another account's person: no link
    out = io.StringIO()

    call_command("rebuild_lookup_links", account="acme", stdout=out)

    assert "3 lookup links for Acme." in out.getvalue()
    assert _count(fields["reported_by"], carol) == 3 and _count(fields["reported_by"], dave) == 0
    with pytest.raises(CommandError):
        call_command("rebuild_lookup_links", account="nope", stdout=out)


def test_relationships_are_read_with_one_query_whatever_the_fields(acme, bob, carol, fields, django_assert_num_queries):
    point(bob, OrganizationFactory(account=acme), "primary_contact", carol)
    point(bob, carol, "account_manager", bob)
    relationships_of(account=acme, kind="user", record_id=carol.pk, values={}, role="agent")  # definitions kept

    with django_assert_num_queries(1):
        found = relationships_of(
            account=acme, kind="user", record_id=carol.pk, values={"account_manager": bob.pk}, role="agent"
        )

    assert [(r.field.key, r.incoming, r.count) for r in found] == [
        ("primary_contact", True, 1),
        ("account_manager", False, 1),
    ]


def test_sources_come_newest_first_by_keyset(acme, carol, fields):
    tickets = TicketFactory.create_batch(5, requester=carol, custom_fields={"reported_by": carol.pk})
    call_command("rebuild_lookup_links", account="acme", stdout=io.StringIO())

    first = relationship_source_ids(field=fields["reported_by"], target_id=carol.pk, size=3)
    second = relationship_source_ids(field=fields["reported_by"], target_id=carol.pk, after=first.next_cursor, size=3)

    ids = sorted((t.pk for t in tickets), reverse=True)
    assert first.items == ids[:3] and second.items == ids[3:] and not second.has_next


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_saves_pointing_at_one_customer_at_once_are_both_counted(acme, bob, carol, fields):
    first, second = OrganizationFactory.create_batch(2, account=acme)
    written, errors = threading.Event(), []

    def other_agent():
        try:
            with transaction.atomic():
                point(bob, first, "primary_contact", carol)  # creates Carol's count, not yet committed
                written.set()
                threading.Event().wait(0.5)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_agent)
    thread.start()
    written.wait(5)
    point(bob, second, "primary_contact", carol)  # waits for the other save, then adds to its count
    thread.join(5)

    assert not errors
    assert _count(fields["primary_contact"], carol) == 2
    assert LookupLink.objects.filter(target_id=carol.pk).count() == 2
