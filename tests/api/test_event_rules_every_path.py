"""One set of rules for an event, whichever way it arrives: the same corpus of good and bad events goes
through `event_clean`, the msgspec fast path (`event_fields_clean`), the single-event endpoint (its
one-statement path on PostgreSQL included), the batch endpoint and the import command, and every path gives
each event the same verdict."""

import datetime
import io
import json
import re

import msgspec
import pytest
from django.core.management import call_command
from django.utils import timezone

from activity.models import Event
from activity.validation import EventFields, EventInvalid, event_clean, event_fields_clean


class Raw(str):
    """An event given as the JSON text a client sends, for what a Python dict can't say (1e400, escapes)."""


FUTURE = (timezone.now() + datetime.timedelta(days=3)).isoformat()
SOON = (timezone.now() + datetime.timedelta(hours=2)).isoformat()

# (event fields, verdict): "ok", or the fields at fault with their error codes.
CORPUS = [
    ({"source": "Shop", "type": "order_placed"}, "ok"),
    ({"source": " Shop ", "type": "order_placed", "description": "", "properties": {}}, "ok"),
    ({"source": "Shop", "type": "t", "properties": {"é": ["✓", None, 1.5]}, "id": 42}, "ok"),
    ({"source": "Shop", "type": "t", "created_at": "2024-02-29T23:00:00+01:00"}, "ok"),
    ({"source": "Shop", "type": "t", "created_at": "1970-01-01T00:00:00Z"}, "ok"),
    ({"source": "Shop", "type": "t", "created_at": SOON}, "ok"),
    ({"source": "Shop", "type": "t", "properties": {"path": "C:\\u0000"}}, "ok"),
    ({"source": "Shop", "type": "t", "description": "d" * 255, "id": "i" * 128}, "ok"),
    ({"source": "s" * 64, "type": "t" * 64}, "ok"),
    ({"type": "t"}, {"source": "Required"}),
    ({"source": 5, "type": "t"}, {"source": "InvalidType"}),
    ({"source": "   ", "type": "t"}, {"source": "Blank"}),
    ({"source": "s" * 65, "type": "t"}, {"source": "TooLong"}),
    ({"source": "Shop", "type": "a\x00b"}, {"type": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "description": 3}, {"description": "InvalidType"}),
    ({"source": "Shop", "type": "t", "description": "d" * 256}, {"description": "TooLong"}),
    ({"source": "Shop", "type": "t", "description": "\ud800"}, {"description": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "properties": [1]}, {"properties": "InvalidType"}),
    ({"source": "Shop", "type": "t", "properties": {"blob": "x" * 33_000}}, {"properties": "TooLarge"}),
    ({"source": "Shop", "type": "t", "properties": {"bad": "\udc00"}}, {"properties": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "properties": {"nul": ["a\x00"]}}, {"properties": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "created_at": "yesterday"}, {"created_at": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "created_at": 1715938200}, {"created_at": "InvalidValue"}),
    ({"source": "Shop", "type": "t", "created_at": "0001-01-01T00:00:00Z"}, {"created_at": "OutOfRange"}),
    ({"source": "Shop", "type": "t", "created_at": "9999-12-31T23:59:59Z"}, {"created_at": "OutOfRange"}),
    ({"source": "Shop", "type": "t", "created_at": FUTURE}, {"created_at": "OutOfRange"}),
    ({"source": "Shop", "type": "t", "id": ""}, {"id": "InvalidType"}),
    ({"source": "Shop", "type": "t", "id": True}, {"id": "InvalidType"}),
    ({"source": "Shop", "type": "t", "id": "i" * 129}, {"id": "TooLong"}),
    ({"source": "Shop", "type": "t", "id": "a\x00"}, {"id": "InvalidValue"}),
    (
        {"type": "  ", "description": 3, "id": ""},
        {"source": "Required", "type": "Blank", "description": "InvalidType", "id": "InvalidType"},
    ),  # fmt: skip
    # What the fast path reads as text and must not misjudge.
    (Raw('{"source": "Shop", "type": "t", "properties": {"n": 1e5, "when": "2024"}}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"n": 1e400}}'), {"properties": "InvalidValue"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"n": -1E+400}}'), {"properties": "InvalidValue"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"n": ' + "9" * 400 + "}}"), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"n": ' + "9" * 400 + ".5}}"), {"properties": "InvalidValue"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"name": "Ren\\u00e9e \\u2713"}}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"smile": "\\ud83d\\ude00"}}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"bad": "\\uDC00"}}'), {"properties": "InvalidValue"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"nul": "\\u0000"}}'), {"properties": "InvalidValue"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"path": "C:\\\\u0000"}}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": { "a" : [ 1, 2 ] ,\n "b": {} }}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": null}'), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": "text"}'), {"properties": "InvalidType"}),
    (Raw('{"source": "Shop", "type": "t", "properties": {"deep": ' + "[" * 99 + "]" * 99 + "}}"), "ok"),
    (
        Raw('{"source": "Shop", "type": "t", "properties": {"deep": ' + "[" * 100 + "]" * 100 + "}}"),
        {"properties": "TooDeep"},
    ),
    (
        Raw('{"source": "Shop", "type": "t", "properties": {"deep": ' + "[" * 5000 + "]" * 5000 + "}}"),
        {"properties": "TooDeep"},
    ),
    (Raw('{"source": "Shop", "type": "t", "properties": {"wide": [' + "[], " * 300 + "[]]}}"), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"pad": "x"' + " " * 33_000 + "}}"), "ok"),
    (Raw('{"source": "Shop", "type": "t", "properties": {"pad": "' + "é" * 16_400 + '"}}'), {"properties": "TooLarge"}),
    (Raw('{"source": "Shop", "type": "Support", "created_at": "2024-05-17T09:30:00+02:00"}'), "ok"),
]
EXPECTED = [verdict for _fields, verdict in CORPUS]


def _event_text(fields: dict | Raw, n: int) -> str:
    """The event as JSON text. Good events each get their own client id (or none), so no path sees a repeat
    of another's."""
    if isinstance(fields, Raw):
        return str(fields)
    return json.dumps(fields if "id" in fields else {**fields, "id": f"corpus-{n}"})


_PROFILE = {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": "carol@example.com"}]}


def _item(fields: dict | Raw, n: int) -> str:
    return f'{{"profile": {json.dumps(_PROFILE)}, "event": {_event_text(fields, n)}}}'


def _verdict(details: dict) -> dict:
    return {field.removeprefix("event."): errors[0]["error"] for field, errors in details.items()}


def test_event_clean_gives_each_event_its_verdict():
    verdicts = []
    for n, (fields, _verdict_expected) in enumerate(CORPUS):
        try:
            event_clean(json.loads(_event_text(fields, n)), now=timezone.now())
        except EventInvalid as invalid:
            verdicts.append({field: code for field, (code, _message) in invalid.errors.items()})
        else:
            verdicts.append("ok")

    assert verdicts == EXPECTED


def test_the_fast_path_stores_what_event_clean_would_and_leaves_the_rest_to_it():
    now = timezone.now()
    fast_ones = []
    for n, (fields, verdict) in enumerate(CORPUS):
        text = _event_text(fields, n)
        try:
            read = msgspec.json.decode(text, type=EventFields)
        except msgspec.MsgspecError:  # msgspec refuses what it can't read: the full check judges it
            read = None
        fast = read and event_fields_clean(read, now=now)
        if verdict != "ok":
            assert fast is None, text
            continue
        if fast is None:
            continue
        fast_ones.append(n)
        slow = event_clean(json.loads(text), now=now)
        assert fast[:3] + fast[4:] == slow[:3] + slow[4:], text
        assert json.loads(fast[3]) == json.loads(slow[3]), text

    # Every plain event (no escapes, no exponents, few brackets, not huge) takes the fast path: the usual case.
    plain = [
        n
        for n, (fields, verdict) in enumerate(CORPUS)
        if verdict == "ok"
        and "\\" not in (text := _event_text(fields, n))
        and not re.search(r"\d[eE]|\d{300}", text)
        and text.count("[") + text.count("{") < 100
        and len(text) < 8000
    ]
    assert plain and set(plain) <= set(fast_ones)


def test_the_single_event_endpoint_gives_the_same_verdicts(acme_api, carol):
    verdicts = []
    for n, (fields, _expected) in enumerate(CORPUS):
        response = acme_api.post("/api/v2/user_profiles/events", _item(fields, n), "application/json")
        verdicts.append("ok" if response.status_code == 202 else _verdict(response.json()["details"]))

    assert verdicts == EXPECTED
    assert Event.objects.filter(customer=carol).count() == EXPECTED.count("ok")


def test_the_batch_endpoint_gives_the_same_verdicts(acme_api, carol):
    items = [_item(fields, n) for n, (fields, _expected) in enumerate(CORPUS)]

    response = acme_api.post(
        "/api/v2/user_profiles/events/create_many", f'{{"events": [{", ".join(items)}]}}', "application/json"
    )

    results = response.json()["results"]
    assert [("ok" if r["status"] == "created" else _verdict(r["details"])) for r in results] == EXPECTED
    assert Event.objects.filter(customer=carol).count() == EXPECTED.count("ok")


def test_the_import_gives_the_same_verdicts(acme, carol, tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [_item(fields, n).replace("\n", " ") for n, (fields, _expected) in enumerate(CORPUS)]
    path.write_text("\n".join(lines) + "\n")
    err = io.StringIO()

    call_command("import_events", str(path), account="acme", stdout=io.StringIO(), stderr=err)

    refused = {int(line.split(":", 1)[0].removeprefix("line ")) for line in err.getvalue().splitlines() if line}
    assert [("ok" if n + 1 not in refused else "refused") for n in range(len(CORPUS))] == [
        "ok" if verdict == "ok" else "refused" for verdict in EXPECTED
    ]
    assert Event.objects.filter(customer=carol).count() == EXPECTED.count("ok")


@pytest.fixture(autouse=True)
def _carol(carol):
    return carol
