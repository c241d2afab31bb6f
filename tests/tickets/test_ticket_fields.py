"""Ticket fields on the ticket page: shown and edited (lookups by search-as-you-type, B2) by the same rules
as a customer's (B3), through a service that records the change on the requester's timeline and in the
audit log and keeps the Related tab in step, with conflict detection (B9)."""

import pytest

from accounts.models import AuditEntry
from activity.models import Event
from custom_fields.models import LookupCount
from demo.factories import CustomFieldFactory, TicketFactory, UserFactory
from tests.conftest import client_for

HTMX = {"HX-Request": "true", "HX-Target": "ticket-fields"}


@pytest.fixture
def fields(acme):
    specs = [
        ("reported_by", "Reported by", "lookup", {"lookup_target": "user"}),
        (
            "severity",
            "Severity",
            "dropdown",
            {"options": [{"name": "Low", "value": "low"}, {"name": "High", "value": "high"}]},
        ),
        ("sla_hours", "SLA hours", "integer", {"agent_access": "read_only"}),
        ("internal", "Secret remark", "text", {"agent_access": "hidden"}),
    ]
    return {
        key: CustomFieldFactory(account=acme, object_type="ticket", key=key, title=title, type=kind, position=i, **more)
        for i, (key, title, kind, more) in enumerate(specs)
    }


@pytest.fixture
def ticket(carol):
    return TicketFactory(requester=carol, subject="Printer on fire", status="open")


def _fields_url(ticket) -> str:
    return f"/agent/tickets/{ticket.pk}/fields/"


def _loaded(client, ticket) -> dict:
    form = client.get(f"/agent/tickets/{ticket.pk}/").context["fields_form"]
    return {
        n: form[n].value() for n, f in form.fields.items() if not f.disabled and form[n].value() not in (None, False)
    }


def test_the_ticket_page_shows_the_fields_an_agent_may_see(as_bob, ticket, fields, carol):
    ticket.custom_fields = {"reported_by": carol.pk, "sla_hours": 8, "internal": "x"}
    ticket.save(update_fields=["custom_fields"])

    page = as_bob.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    assert "Ticket fields" in page and "Severity" in page and "SLA hours" in page
    assert f'value="Carol Customer &lt;carol@example.com&gt; (#{carol.pk})"' in page
    assert 'hx-get="/agent/lookup/user/"' in page  # search as you type
    assert "Secret remark" not in page
    assert 'name="cf_sla_hours"' in page and "disabled" in page.split('name="cf_sla_hours"')[1].split(">")[0]


def test_without_ticket_fields_the_page_has_no_fields_card(as_bob, ticket):
    assert "Ticket fields" not in as_bob.get(f"/agent/tickets/{ticket.pk}/").content.decode()


def test_saving_records_the_change_on_the_requesters_timeline_and_in_the_audit_log(as_bob, bob, acme, ticket, fields):
    reporter = UserFactory(account=acme, name="Rita Reporter", email="rita@example.com")

    response = as_bob.post(
        _fields_url(ticket), {**_loaded(as_bob, ticket), "cf_reported_by": "rita@example.com", "cf_severity": "high"}
    )

    assert response.status_code == 302 and response.url == f"/agent/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"reported_by": reporter.pk, "severity": "high"}
    events = {e.properties["field"]: e for e in Event.objects.filter(type="ticket_field_changed")}
    assert set(events) == {"reported_by", "severity"} and events["severity"].customer == ticket.requester
    assert events["reported_by"].properties["current"] == f"Rita Reporter <rita@example.com> (#{reporter.pk})"
    assert events["severity"].properties["ticket_id"] == ticket.pk
    audit = AuditEntry.objects.get(action="ticket.fields_updated")
    assert audit.actor == bob and audit.after == {"cf_reported_by": reporter.pk, "cf_severity": "high"}
    assert LookupCount.objects.get(target_id=reporter.pk).total == 1  # Rita's Related tab counts the ticket


def test_the_change_reads_well_on_the_requesters_timeline(as_bob, acme, alice, carol, ticket, fields):
    from accounts.services import account_set_customer_profile

    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post(_fields_url(ticket), {**_loaded(as_bob, ticket), "cf_severity": "high"})
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/"})

    page = as_bob.get(f"/agent/users/{carol.pk}/").content.decode()

    assert f"Severity changed on ticket #{ticket.pk} from “—” to “High”" in page


def test_an_htmx_save_answers_with_the_fields_card_only(as_bob, ticket, fields):
    response = as_bob.post(_fields_url(ticket), {**_loaded(as_bob, ticket), "cf_severity": "low"}, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and 'id="ticket-fields"' in page
    assert "Ticket fields saved." in page and 'name="body"' not in page  # a reply being written is left alone


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(as_bob, ticket, fields):
    response = as_bob.post(
        _fields_url(ticket),
        {**_loaded(as_bob, ticket), "cf_reported_by": "nobody", "cf_severity": "high"},
        headers=HTMX,
    )

    assert response.status_code == 400
    assert "No person of this account matches" in response.content.decode()
    assert 'value="nobody"' in response.content.decode()  # what was typed stays
    ticket.refresh_from_db()
    assert ticket.custom_fields == {} and not Event.objects.filter(type="ticket_field_changed").exists()


def test_without_javascript_a_bad_value_shows_the_whole_page_with_the_error(as_bob, ticket, fields):
    response = as_bob.post(_fields_url(ticket), {**_loaded(as_bob, ticket), "cf_severity": "mars"})

    assert response.status_code == 400 and "<html" in response.content.decode()
    assert "is not one of this field&#x27;s options" in response.content.decode()


def test_read_only_and_hidden_fields_cant_be_changed_by_a_crafted_post(as_bob, ticket, fields):
    ticket.custom_fields = {"sla_hours": 8, "internal": "x"}
    ticket.save(update_fields=["custom_fields"])

    as_bob.post(_fields_url(ticket), {"cf_sla_hours": "1", "was_cf_sla_hours": "8", "cf_internal": "y"})

    ticket.refresh_from_db()
    assert ticket.custom_fields == {"sla_hours": 8, "internal": "x"}


def test_two_agents_changing_one_field_get_a_conflict_not_a_silent_overwrite(bob, alice, ticket, fields):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _loaded(as_bob, ticket)
    as_bob.post(_fields_url(ticket), {**loaded, "cf_severity": "high"})

    conflict = as_alice.post(_fields_url(ticket), {**loaded, "cf_severity": "low"}, headers=HTMX)

    assert conflict.status_code == 409 and "Bob Agent changed this to “High” at " in conflict.content.decode()
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"severity": "high"}


def test_another_accounts_ticket_is_a_404_and_stays_untouched(as_bob, dave, fields):
    theirs = TicketFactory(requester=dave)

    assert as_bob.post(_fields_url(theirs), {"cf_severity": "high"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.custom_fields == {}


def test_end_users_are_refused_and_visitors_sent_to_sign_in(as_carol, anonymous, ticket, fields):
    assert as_carol.post(_fields_url(ticket), {"cf_severity": "high"}).status_code == 403
    response = anonymous.post(_fields_url(ticket), {"cf_severity": "high"})
    assert response.status_code == 302 and "/sign-in/" in response.url
    assert as_carol.get(_fields_url(ticket)).status_code == 403


def test_the_fields_page_only_takes_a_post(as_bob, ticket):
    assert as_bob.get(_fields_url(ticket)).status_code == 405


# Query counts. The ticket page reads the session, the member and the account (3), the ticket with its
# people (1), its CCs and comments (2), the ticket field definitions (1, then kept per process) and the
# records its lookups name (1 a kind). None may grow with the number of fields.
PAGE_QUERIES = 3 + 1 + 2 + 1 + 1


@pytest.mark.parametrize("extra", [0, 5])
def test_the_ticket_page_takes_constant_queries(as_bob, acme, ticket, fields, carol, extra, django_assert_num_queries):
    for i in range(extra):
        CustomFieldFactory(account=acme, object_type="ticket", key=f"who_{i}", type="lookup", lookup_target="user")
    ticket.custom_fields = {"reported_by": carol.pk, **{f"who_{i}": carol.pk for i in range(extra)}}
    ticket.save(update_fields=["custom_fields"])

    with django_assert_num_queries(PAGE_QUERIES):
        assert as_bob.get(f"/agent/tickets/{ticket.pk}/").status_code == 200
