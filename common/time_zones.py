"""The time zones a person picks from: the places of the tz database's zone.tab (one or more a country,
each an Area/City name), grouped by region, each with its offset from UTC today ("(UTC+01:00) Paris").

Left out: "Factory", "localtime", "Etc/GMT+5" and the legacy aliases ("US/Eastern", "Asia/Calcutta"),
which name no place or only repeat one. A stored value the list lacks stays valid: its select shows it.
"""

import datetime
import functools
import importlib.resources
import zoneinfo

from django import forms
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy

from common.widgets import LargeSelect

UTC = "UTC"
REGIONS = {
    "Africa": gettext_lazy("Africa"),
    "America": gettext_lazy("Americas"),
    "Antarctica": gettext_lazy("Antarctica"),
    "Arctic": gettext_lazy("Arctic"),
    "Asia": gettext_lazy("Asia"),
    "Atlantic": pgettext_lazy("time zone region", "Atlantic Ocean"),
    "Australia": gettext_lazy("Australia"),
    "Europe": gettext_lazy("Europe"),
    "Indian": pgettext_lazy("time zone region", "Indian Ocean"),
    "Pacific": pgettext_lazy("time zone region", "Pacific Ocean"),
}


@functools.cache
def place_names() -> tuple[str, ...]:
    """The canonical Area/City zones, from the pinned tzdata package (the system's copy as a fallback)."""
    try:
        table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        table = ""
    names = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    if not names:  # no zone.tab: the available zones that look like a place
        names = {n for n in zoneinfo.available_timezones() if n.split("/", 1)[0] in REGIONS and "/" in n}
    available = zoneinfo.available_timezones()
    return tuple(sorted(n for n in names if n in available and n.split("/", 1)[0] in REGIONS))


def offset_label(offset: datetime.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"(UTC{sign}{hours:02d}:{minutes:02d})"


def city_label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" → "Buenos Aires (Argentina)"."""
    parts = name.replace("_", " ").split("/")[1:]
    return f"{parts[-1]} ({', '.join(parts[:-1])})" if len(parts) > 1 else parts[-1]


def time_zone_choices() -> list:
    """UTC, then one <optgroup> per region, each place by its offset today then by name."""
    now = datetime.datetime.now(datetime.UTC)
    return _choices(get_language() or "en", now.replace(minute=0, second=0, microsecond=0))


@functools.lru_cache(maxsize=8)
def _choices(language: str, hour: datetime.datetime) -> list:
    groups: dict[str, list] = {}
    for name in place_names():
        offset = hour.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
        groups.setdefault(name.split("/", 1)[0], []).append((offset, city_label(name), name))
    regions = sorted(
        (str(REGIONS[region]), [(name, f"{offset_label(o)} {city}") for o, city, name in sorted(places)])
        for region, places in groups.items()
    )
    return [(UTC, f"{offset_label(datetime.timedelta(0))} UTC"), *regions]


def is_time_zone(name: str) -> bool:
    """Whether `name` is a zone this server knows (any of them: stored values predate the list)."""
    return name in zoneinfo.available_timezones()


class TimeZoneField(forms.ChoiceField):
    """The grouped list to pick from; any zone the server knows is accepted, so a value stored before the
    list was trimmed (or sent by the API) saves unchanged."""

    widget = LargeSelect

    def __init__(self, **kwargs):
        super().__init__(choices=time_zone_choices, **kwargs)

    def valid_value(self, value) -> bool:
        return is_time_zone(str(value))
