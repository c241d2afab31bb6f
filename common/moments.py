"""Moments shown to people or handed to the database, total over every datetime Python can hold.

A stored time may sit at the very edge of what a datetime holds (year 1 or 9999, from an import or an
integration). Moved into a zone east (or west) of UTC it would fall outside that range, and Python
raises OverflowError: a page that shows it would fail for every viewer on that side of the world.
"""

import datetime

from django.utils import timezone

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
