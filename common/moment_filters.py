"""The `date` and `time` template filters, total: registered as template builtins (settings.TEMPLATES),
so they stand in for Django's own in every template, and no stored time can make a page fail.

Django's filters move a time into the viewer's zone before formatting it, and that raises OverflowError
for a time at the edge of what a datetime holds (see common.moments). These do the same move, totally.
"""

import datetime

from django import template
from django.template import defaultfilters

from common.moments import localtime_total

register = template.Library()


def _local(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return localtime_total(value)
    return value


@register.filter(is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, on the time in the viewer's zone (in UTC where that zone can't hold it)."""
    return defaultfilters.date(_local(value), arg)


@register.filter(is_safe=False)
def time(value, arg=None):
    """Django's `time` filter, on the time in the viewer's zone (in UTC where that zone can't hold it)."""
    return defaultfilters.time(_local(value), arg)
