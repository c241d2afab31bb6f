"""Timeline rows are written out in Python (profiles/timeline.py) for speed: the markup is pinned here, byte
for byte, as the row template gave it when it was replaced (tests/profiles/golden/). A deliberate change of
the markup updates the golden files with it."""

import datetime
import zoneinfo
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone, translation

from activity.models import Event
from profiles.timeline import filter_groups, filter_groups_html, timeline_rows

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime.datetime(2026, 5, 17, 9, 30, tzinfo=datetime.UTC)


def _event(id, source, type, description, properties, occurred, received=None) -> Event:
    return Event(
        id=id, account_id=1, customer_id=1, kind_id=1, source=source, type=type, description=description,
        properties=properties, occurred_at=occurred, received_at=received or occurred,
    )  # fmt: skip


EVENTS = [
    # Ours (its icon, a recent time), a group of page views (one with a hostile path), and an app's event
    # with markup in every field, a month old, received a day later.
    _event(
        9, "Support", "ticket_requested", "Requested ticket #12: Broken <b>widget</b>",
        {"ticket_id": 12, "subject": "Broken <b>widget</b>"}, NOW - datetime.timedelta(hours=2),
    ),
    _event(
        8, "Web analytics", "page_viewed", "Viewed /pricing", {"path": "/pricing"}, NOW - datetime.timedelta(days=3)
    ),
    _event(
        7, "Web analytics", "page_viewed", "", {"path": '/home?a=1&b="2"'},
        NOW - datetime.timedelta(days=3, minutes=10),
    ),
    _event(
        6, "<Shop> & Co", "order_placed", "Order <script>alert(1)</script>",
        {"total": 12.5, "items": [{"sku": "A'1"}], "gift": True, "note": None},
        NOW - datetime.timedelta(days=40), NOW - datetime.timedelta(days=39),
    ),
]  # fmt: skip


@pytest.fixture
def frozen():
    with mock.patch("django.utils.timezone.now", lambda: NOW):
        yield


@pytest.mark.parametrize(("language", "zone"), [("en", "UTC"), ("fr", "America/Sao_Paulo")])
def test_timeline_rows_are_the_markup_the_row_template_gave(frozen, language, zone):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        rows = timeline_rows(EVENTS)
        html = "".join(row.html(first_of_page=n == 0) for n, row in enumerate(rows))

    assert html == (GOLDEN / f"timeline_rows_{language}.html").read_text()
    assert "<script>" not in html and "<b>" not in html and "&lt;Shop&gt; &amp; Co" in html


def test_the_filter_options_escape_every_name_and_mark_the_chosen_one():
    kinds = [
        type("Kind", (), {"source": '<App "x">', "type": "a&b", "count": 1234})(),
        type("Kind", (), {"source": '<App "x">', "type": "plain", "count": 2})(),
    ]
    groups = filter_groups(kinds)

    html = filter_groups_html(groups, groups[0].choices[1].value)

    assert html == (
        '\n        <optgroup label="&lt;App &quot;x&quot;&gt;">\n          '
        '<option value="&lt;App &quot;x&quot;&gt;" >All &lt;App &quot;x&quot;&gt; events (1236)</option>'
        '<option value="&lt;App &quot;x&quot;&gt;:a&amp;b" selected>A&amp;b (1234)</option>'
        '<option value="&lt;App &quot;x&quot;&gt;:plain" >Plain (2)</option>'
        "\n        </optgroup>\n      "
    )
