"""manage.py import_events --workers: a large file cut at line starts and loaded by several processes."""

import datetime
import io
import json
import os
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from activity.models import Event, EventKind
from api.management.commands import import_events
from api.management.commands.import_events import _split

T0 = datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.UTC)
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def line(n: int, email="carol@example.com", type=None) -> str:
    return json.dumps(
        {
            "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": email}]},
            "event": {
                "source": "Shop",
                "type": f"t{n % 3}" if type is None else type,
                "created_at": (T0 + datetime.timedelta(hours=n)).isoformat(),
                "id": f"e{n}",
            },
        }
    )


def line_numbers(err: str) -> list[int]:
    return sorted(int(re.match(r"line (\d+): ", text)[1]) for text in err.splitlines())


# Loading in parallel


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_large_file_shared_by_two_processes_stores_each_good_line_once(tmp_path, acme, carol, monkeypatch):
    monkeypatch.setattr(import_events, "_SPLIT_FROM_BYTES", 1)
    real_load_in_parallel = import_events.Command._load_in_parallel
    shares = []

    def load_in_parallel(command, file, parts):
        shares.append(len(parts))
        real_load_in_parallel(command, file, parts)

    monkeypatch.setattr(import_events.Command, "_load_in_parallel", load_in_parallel)
    bad = {
        3: "{not json",
        9: line(9, type=""),
        17: line(17, email="not-an-email"),
        24: '["a", "list"]',
        31: "garbage",
        38: line(38, type=""),
    }
    lines = [bad.get(n, line(n)) for n in range(1, 41)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_events", str(path), account="acme", workers=2, batch_size=5, stdout=out, stderr=err)

    assert shares == [2]
    good = [n for n in range(1, 41) if n not in bad]
    assert sorted(Event.objects.filter(customer=carol).values_list("client_id", flat=True)) == sorted(
        f"e{n}" for n in good
    )
    assert Event.objects.count() == len(good)
    assert line_numbers(err.getvalue()) == sorted(bad)
    assert "line 17: profile.identifiers[0].value: Enter a valid email address" in err.getvalue()
    assert "line 38: event.type: Can't be blank." in err.getvalue()
    assert f"Imported {len(good)} events (0 already there); {len(bad)} lines rejected." in out.getvalue()
    assert {(k.type, k.count) for k in EventKind.objects.filter(customer=carol)} == {
        (f"t{r}", sum(1 for n in good if n % 3 == r)) for r in range(3)
    }


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_processes_meeting_the_same_new_people_in_opposite_orders_both_finish(tmp_path, acme, monkeypatch):
    # Each half creates the same 200 customers, one in the reverse order of the other: created in
    # input order, each process would hold one new address and wait on the other's (a deadlock).
    monkeypatch.setattr(import_events, "_SPLIT_FROM_BYTES", 1)
    emails = [f"new{n:03d}@example.org" for n in range(200)]
    lines = [line(n, email=email) for n, email in enumerate(emails + emails[::-1])]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_events", str(path), account="acme", workers=2, batch_size=1000, stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert "Imported 400 events (0 already there); 0 lines rejected." in out.getvalue()
    assert User.objects.filter(account=acme, email__in=emails).count() == 200


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_outright_fails_the_import_instead_of_hanging(tmp_path, acme, carol, monkeypatch):
    monkeypatch.setattr(import_events, "_SPLIT_FROM_BYTES", 1)
    real_load_part = import_events._load_part

    def killed_on_its_second_part(account_id, file, part, batch_size, messages):
        if part.start:
            os._exit(9)  # as if killed: no "done" message, no exception
        real_load_part(account_id, file, part, batch_size, messages)

    monkeypatch.setattr(import_events, "_load_part", killed_on_its_second_part)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(line(n) for n in range(1, 41)) + "\n")

    with pytest.raises(CommandError, match="ended without finishing"):
        call_command("import_events", str(path), account="acme", workers=2, stdout=io.StringIO())

    assert 0 < Event.objects.count() < 40


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_large_file_imported_again_in_parallel_stores_nothing_new(tmp_path, acme, carol, monkeypatch):
    monkeypatch.setattr(import_events, "_SPLIT_FROM_BYTES", 1)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(line(n) for n in range(1, 21)) + "\n")
    call_command("import_events", str(path), account="acme", workers=2, batch_size=3, stdout=io.StringIO())
    out = io.StringIO()

    call_command("import_events", str(path), account="acme", workers=2, batch_size=3, stdout=out)

    assert Event.objects.count() == 20
    assert sum(EventKind.objects.values_list("count", flat=True)) == 20
    assert "Imported 0 events (20 already there); 0 lines rejected." in out.getvalue()


def test_workers_must_be_at_least_one(tmp_path, acme):
    path = tmp_path / "events.jsonl"
    path.write_text(line(1) + "\n")

    with pytest.raises(CommandError, match="--workers"):
        call_command("import_events", str(path), account="acme", workers=0, stdout=io.StringIO())


# Cutting the file


def write(tmp_path, data: bytes):
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    return path


def pieces(data: bytes, parts) -> list[bytes]:
    return [data[part.start : part.end] for part in parts]


# Lines of very different lengths, so the even cut points fall in the middle of lines.
UNEVEN = b"".join(b"x" * (n * 7 % 23) + b"\n" for n in range(1, 60))


@pytest.mark.parametrize("count", [2, 3, 5])
def test_each_part_starts_at_the_beginning_of_a_line(tmp_path, count):
    parts = _split(write(tmp_path, UNEVEN), count)

    assert len(parts) == count
    assert all(part.start == 0 or UNEVEN[part.start - 1 : part.start] == b"\n" for part in parts)


@pytest.mark.parametrize("count", [2, 3, 5])
def test_each_part_knows_the_number_of_its_first_line(tmp_path, count):
    parts = _split(write(tmp_path, UNEVEN), count)

    assert [part.first_line for part in parts] == [UNEVEN[: part.start].count(b"\n") + 1 for part in parts]
    assert parts[0].first_line == 1 and parts[-1].first_line > parts[0].first_line


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_parts_cover_the_file_without_gap_or_overlap(tmp_path, count):
    parts = _split(write(tmp_path, UNEVEN), count)

    assert parts[0].start == 0 and parts[-1].end is None
    assert all(part.end == following.start for part, following in zip(parts, parts[1:]))
    assert b"".join(pieces(UNEVEN, parts)) == UNEVEN


@pytest.mark.parametrize("data", [b"", b"x\n", b'{"a": 1}\n{"b": 2}\n'])
def test_a_file_with_fewer_lines_than_parts_still_splits_into_whole_lines(tmp_path, data):
    parts = _split(write(tmp_path, data), 8)

    assert 1 <= len(parts) <= max(1, data.count(b"\n"))
    assert parts[0].start == 0 and parts[-1].end is None
    assert b"".join(pieces(data, parts)) == data
    assert all(piece.endswith(b"\n") for piece in pieces(data, parts) if piece)
    assert [part.first_line for part in parts] == [data[: part.start].count(b"\n") + 1 for part in parts]


def test_a_file_without_a_final_newline_keeps_its_last_line(tmp_path):
    data = b"first line\nsecond line\nthird line, no newline"

    parts = _split(write(tmp_path, data), 2)

    assert b"".join(pieces(data, parts)) == data
    assert pieces(data, parts)[-1].endswith(b"third line, no newline")
