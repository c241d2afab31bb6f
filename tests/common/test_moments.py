"""Times at the edge of what a datetime holds render for every viewer, east or west of UTC."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.utils import timezone

from accounts.services import account_set_customer_profile, user_set_preferences
from activity.services import event_record
from common.moments import localtime_total, utc_clamped

LAST = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)
FIRST = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(("moment", "zone"), [(LAST, TOKYO), (FIRST, NEW_YORK)])
def test_a_moment_a_zone_cant_hold_is_shown_in_utc(moment, zone):
    assert localtime_total(moment, zone) == moment
    assert localtime_total(moment, zone).utcoffset() == datetime.timedelta(0)


def test_a_moment_a_zone_can_hold_is_shown_in_that_zone():
    moment = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)

    assert localtime_total(moment, TOKYO).hour == 21


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (LAST.replace(tzinfo=zoneinfo.ZoneInfo("Etc/GMT+12")), datetime.datetime.max.replace(tzinfo=datetime.UTC)),
        (FIRST.replace(tzinfo=zoneinfo.ZoneInfo("Etc/GMT-14")), datetime.datetime.min.replace(tzinfo=datetime.UTC)),
    ],
)
def test_a_bound_beyond_utcs_range_is_clamped_to_its_edge(moment, expected):
    assert utc_clamped(moment) == expected


@pytest.mark.parametrize("filter_", ['date:"c"', 'date:"DATETIME_FORMAT"', "date", 'time:"TIME_FORMAT"', "time"])
@pytest.mark.parametrize(("moment", "zone"), [(LAST, TOKYO), (FIRST, NEW_YORK)])
def test_every_template_renders_the_date_and_time_filters_at_the_edge_of_time(filter_, moment, zone):
    template = engines["django"].from_string("{{ moment|" + filter_ + " }}")

    with timezone.override(zone):
        shown = template.render({"moment": moment})

    assert shown


def test_the_date_filter_still_shows_the_viewers_zone():
    template = engines["django"].from_string('{{ moment|date:"c" }}')

    with timezone.override(TOKYO):
        shown = template.render({"moment": datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)})

    assert shown == "2026-06-01T21:00:00+09:00"


@pytest.mark.parametrize(("moment", "zone"), [(LAST, "Asia/Tokyo"), (FIRST, "America/New_York")])
def test_the_profile_page_shows_an_event_at_the_edge_of_time_to_agents_on_either_side(
    acme, alice, bob, as_bob, carol, moment, zone
):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})
    user_set_preferences(user=bob, locale="en", time_zone=zone)
    event_record(customer=carol, source="Shop", type="order_placed", description="Far off", occurred_at=moment)

    response = as_bob.get(f"/agent/users/{carol.pk}/?tab=activity")

    assert response.status_code == 200
    assert "Far off" in response.content.decode()
    assert f'datetime="{moment.isoformat()}"' in response.content.decode()
