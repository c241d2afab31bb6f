"""manage.py import_events: history from a JSON Lines file, and ticket events backfilled (B5)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from activity.models import Event, EventKind
from api import profile_events
from demo.factories import TicketFactory, UserFactory
from tickets.events import ticket_event_client_id

T0 = datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC)


def line(email="carol@example.com", type="order_placed", at=T0, **event) -> str:
    return json.dumps(
        {
            "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": email}]},
            "event": {"source": "Shop", "type": type, "created_at": at.isoformat(), **event},
        }
    )


def run(tmp_path, lines, *args, tty=False, **options):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err = (_Tty() if tty else io.StringIO()), io.StringIO()
    call_command("import_events", str(path), *args, account="acme", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_good_lines_are_imported_and_bad_ones_reported_by_number(tmp_path, acme, carol):
    lines = [
        line(type="a"),
        "{not json",
        line(type=""),
        "",
        line(type="b", at=T0 + datetime.timedelta(days=1)),
        '["a", "list"]',
        line(email="not-an-email"),
    ]

    out, err = run(tmp_path, lines)

    assert sorted(Event.objects.filter(customer=carol).values_list("type", flat=True)) == ["a", "b"]
    assert err.splitlines() == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        "line 3: event.type: Can't be blank.",
        "line 6: Must be a JSON object with a profile and an event.",
        "line 7: profile.identifiers[0].value: Enter a valid email address, like name@example.com.",
    ]
    assert "Imported 2 events (0 already there); 4 lines rejected." in out
    assert {(k.type, k.count, k.last_occurred_at) for k in EventKind.objects.filter(customer=carol)} == {
        ("a", 1, T0),
        ("b", 1, T0 + datetime.timedelta(days=1)),
    }


def test_a_bad_line_never_stops_the_rest(tmp_path, acme, carol):
    lines = [line(type=f"t{n}") if n % 3 else "garbage" for n in range(30)]

    out, err = run(tmp_path, lines, batch_size=4)

    assert Event.objects.count() == 20
    assert len(err.splitlines()) == 10


def test_importing_the_same_file_twice_stores_each_identified_event_once(tmp_path, acme, carol):
    lines = [line(id=f"order-{n}") for n in range(5)]
    run(tmp_path, lines, batch_size=2)

    out, _err = run(tmp_path, lines, batch_size=2)

    assert Event.objects.count() == 5
    assert EventKind.objects.get(customer=carol).count == 5
    assert "Imported 0 events (5 already there)" in out


def test_unknown_emails_become_customers_once(tmp_path, acme):
    lines = [line(email="new@example.org", type=f"t{n}") for n in range(4)]

    run(tmp_path, lines, batch_size=3)

    customer = User.objects.get(account=acme, email="new@example.org")
    assert Event.objects.filter(customer=customer).exclude(type="identity_created").count() == 4


def test_history_may_include_support_events(tmp_path, acme, carol):
    run(tmp_path, [line(source="Support", type="ticket_requested")])

    assert Event.objects.get(customer=carol).source == "Support"


def test_a_crash_keeps_finished_batches_and_leaves_no_part_of_the_failing_one(tmp_path, acme, carol, monkeypatch):
    real = profile_events.events_ingest
    calls = []

    def crash_on_second_batch(**kwargs):
        calls.append(1)
        stored = real(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return stored

    monkeypatch.setattr(profile_events, "events_ingest", crash_on_second_batch)
    lines = [line(type="first")] * 2 + [line(email="late@example.org", type="second")] * 2 + [line(type="third")]

    with pytest.raises(RuntimeError):
        run(tmp_path, lines, batch_size=2)

    assert list(Event.objects.values_list("type", flat=True)) == ["first", "first"]
    assert not User.objects.filter(email="late@example.org").exists()
    assert EventKind.objects.get(customer=carol).count == 2


def test_progress_is_a_bar_on_a_terminal(tmp_path, acme, carol):
    out, _err = run(tmp_path, [line()] * 3, tty=True, batch_size=1)

    assert "\r[" in out and "100%" in out


def test_progress_is_plain_lines_elsewhere(tmp_path, acme, carol):
    out, _err = run(tmp_path, [line()] * 3)

    assert "\r" not in out


@pytest.mark.parametrize(
    "args, options",
    [
        ((), {"account": "acme"}),
        (("/no/such/file.jsonl",), {"account": "acme"}),
        ((), {"account": "nowhere", "backfill_tickets": True}),
        ((), {"account": "acme", "backfill_tickets": True, "batch_size": 0}),
    ],
)
def test_bad_options_are_refused(acme, args, options):
    with pytest.raises(CommandError):
        call_command("import_events", *args, stdout=io.StringIO(), **options)


# Ticket history


def test_backfill_puts_each_tickets_requested_and_solved_events_on_its_requester(acme, carol, dave):
    solved = TicketFactory(requester=carol, subject="Broken", created_at=T0, solved_at=T0 + datetime.timedelta(days=2))
    open_ = TicketFactory(requester=carol, subject="Still open", created_at=T0 + datetime.timedelta(days=1))
    TicketFactory(requester=dave, created_at=T0)  # another account's
    out = io.StringIO()

    call_command("import_events", account="acme", backfill_tickets=True, stdout=out, batch_size=2)

    events = {(e.type, e.properties["ticket_id"]): e for e in Event.objects.filter(customer=carol)}
    assert set(events) == {
        ("ticket_requested", solved.pk),
        ("ticket_solved", solved.pk),
        ("ticket_requested", open_.pk),
    }
    requested = events[("ticket_requested", solved.pk)]
    assert (requested.source, requested.occurred_at, requested.description) == (
        "Support",
        T0,
        f"Requested ticket #{solved.pk}: Broken",
    )
    assert requested.client_id == ticket_event_client_id(solved.pk, "requested")
    assert events[("ticket_solved", solved.pk)].occurred_at == T0 + datetime.timedelta(days=2)
    assert not Event.objects.filter(customer=dave).exists()
    assert "Backfilled 3 ticket events (0 already there)." in out.getvalue()
    assert {(k.type, k.count) for k in EventKind.objects.filter(customer=carol)} == {
        ("ticket_requested", 2),
        ("ticket_solved", 1),
    }


def test_backfilling_again_adds_nothing(acme, carol):
    TicketFactory(requester=carol, created_at=T0, solved_at=T0 + datetime.timedelta(days=1))
    call_command("import_events", account="acme", backfill_tickets=True, stdout=io.StringIO())
    out = io.StringIO()

    call_command("import_events", account="acme", backfill_tickets=True, stdout=out)

    assert Event.objects.count() == 2
    assert "Backfilled 0 ticket events (2 already there)." in out.getvalue()


def test_a_file_and_the_backfill_in_one_run(tmp_path, acme, carol):
    TicketFactory(requester=UserFactory(account=acme), created_at=T0)

    out, _err = run(tmp_path, [line()], backfill_tickets=True)

    assert Event.objects.count() == 2
    assert "Imported 1 events" in out and "Backfilled 1 ticket events" in out
