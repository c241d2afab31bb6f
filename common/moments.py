"""Moments shown to people or handed to the database, total over every datetime Python can hold.

A stored time may sit at the very edge of what a datetime holds (year 1 or 9999, from an import or an
integration). Moved into a zone east (or west) of UTC it would fall outside that range, and Python
raises OverflowError: a page that shows it would fail for every viewer on that side of the world.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext, ngettext

_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)
_LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def localtime_total(moment: datetime.datetime, zone: datetime.tzinfo | None = None) -> datetime.datetime:
    """The moment in `zone` (the viewer's current one by default); in UTC where that zone's clock would
    read a year before 1 or after 9999, so it is still shown, and still the same moment."""
    try:
        return timezone.localtime(moment, zone)
    except OverflowError:
        return moment.astimezone(datetime.UTC)


def utc_clamped(moment: datetime.datetime) -> datetime.datetime:
    """An aware moment in UTC, or the earliest (latest) moment UTC holds when it lies before (after) it:
    a time bound from a request can be compared with stored times whatever it says."""
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        return _EARLIEST if moment.year == datetime.MINYEAR else _LATEST


# Each unit, how many seconds it lasts and the largest count said in it before the next unit reads better.
_UNITS = (
    (60, 59.5),  # minutes, up to 59
    (3600, 23.5),  # hours, up to 23
    (86400, 6.5),  # days, up to 6
    (7 * 86400, 4.25),  # weeks, up to 4
    (30.44 * 86400, 11.5),  # months, up to 11
)


def _count_in(seconds: float) -> tuple[int, int]:
    """The count and the index of the single largest unit that says `seconds` naturally, rounded."""
    for index, (length, most) in enumerate(_UNITS):
        if seconds / length < most:
            return max(1, round(seconds / length)), index
    return max(1, round(seconds / (365.25 * 86400))), len(_UNITS)


def time_ago(moment: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """How long ago (or how soon) `moment` is, in one unit and the reader's language: "2 days ago", never
    "1 day, 23 hours ago"."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    if abs(seconds) < 60:
        return gettext("just now")
    count, unit = _count_in(abs(seconds))
    if seconds > 0:
        sentences = (  # each looked up only when it is the one said: a page says dozens of these
            lambda n: ngettext("%(count)d minute ago", "%(count)d minutes ago", n),
            lambda n: ngettext("%(count)d hour ago", "%(count)d hours ago", n),
            lambda n: ngettext("%(count)d day ago", "%(count)d days ago", n),
            lambda n: ngettext("%(count)d week ago", "%(count)d weeks ago", n),
            lambda n: ngettext("%(count)d month ago", "%(count)d months ago", n),
            lambda n: ngettext("%(count)d year ago", "%(count)d years ago", n),
        )
    else:
        sentences = (  # each looked up only when it is the one said: a page says dozens of these
            lambda n: ngettext("in %(count)d minute", "in %(count)d minutes", n),
            lambda n: ngettext("in %(count)d hour", "in %(count)d hours", n),
            lambda n: ngettext("in %(count)d day", "in %(count)d days", n),
            lambda n: ngettext("in %(count)d week", "in %(count)d weeks", n),
            lambda n: ngettext("in %(count)d month", "in %(count)d months", n),
            lambda n: ngettext("in %(count)d year", "in %(count)d years", n),
        )
    return sentences[unit](count) % {"count": count}
