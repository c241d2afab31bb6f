"""The time zone list people pick from: places grouped by region, with their offset, and no aliases."""

import datetime

from django.utils import translation

from common.time_zones import TimeZoneField, city_label, offset_label, place_names, time_zone_choices
from common.widgets import LargeSelect


def _options(choices) -> dict[str, str]:
    return {value: label for _group, options in choices[1:] for value, label in options}


def test_the_list_has_places_grouped_by_region_and_no_legacy_names():
    choices = time_zone_choices()
    options = _options(choices)

    assert choices[0] == ("UTC", "(UTC+00:00) UTC")
    assert "Europe" in [group for group, _options in choices[1:]]
    assert "Europe/Paris" in options and "America/Argentina/Buenos_Aires" in options
    for name in ("Factory", "localtime", "US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+5", "GB", "EST"):
        assert name not in options, name
    assert all("/" in name for name in place_names())


def test_each_place_reads_with_its_offset_today():
    options = _options(time_zone_choices())

    paris = options["Europe/Paris"]
    assert paris in ("(UTC+01:00) Paris", "(UTC+02:00) Paris")
    assert options["Asia/Kolkata"] == "(UTC+05:30) Kolkata"
    assert options["America/Argentina/Buenos_Aires"] == "(UTC-03:00) Buenos Aires (Argentina)"
    assert offset_label(datetime.timedelta(hours=-9, minutes=-30)) == "(UTC-09:30)"
    assert city_label("America/North_Dakota/New_Salem") == "New Salem (North Dakota)"


def test_within_a_region_places_go_from_west_to_east():
    def minutes(label: str) -> int:
        sign, hours, mins = label[4], int(label[5:7]), int(label[8:10])
        return (1 if sign == "+" else -1) * (hours * 60 + mins)

    for _region, options in time_zone_choices()[1:]:
        offsets = [minutes(label) for _value, label in options]
        assert offsets == sorted(offsets)


def test_region_names_are_translated():
    with translation.override("fr"):
        regions = [group for group, _options in time_zone_choices()[1:]]

    assert "Amériques" in regions and "Océan Indien" in regions


def test_a_stored_zone_the_list_lacks_is_still_valid_and_shown_selected():
    field = TimeZoneField()

    assert field.clean("America/Montreal") == "America/Montreal"  # a legacy alias someone already has
    html = LargeSelect(choices=time_zone_choices()).render("time_zone", "US/Eastern")
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in html
    assert html.count(" selected") == 1
    assert '<optgroup label="Europe">' in html
