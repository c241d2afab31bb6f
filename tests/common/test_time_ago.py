"""Relative times read as people say them: one unit, rounded, in the reader's language."""

import datetime

import pytest
from django.utils import translation

from common.moments import time_ago

NOW = datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("elapsed", "english", "french"),
    [
        (datetime.timedelta(seconds=20), "just now", "à l’instant"),
        (datetime.timedelta(minutes=1), "1 minute ago", "il y a 1 minute"),
        (datetime.timedelta(minutes=59, seconds=50), "1 hour ago", "il y a 1 heure"),
        (datetime.timedelta(hours=2, minutes=10), "2 hours ago", "il y a 2 heures"),
        (datetime.timedelta(days=1, hours=23), "2 days ago", "il y a 2 jours"),
        (datetime.timedelta(days=1), "1 day ago", "il y a 1 jour"),
        (datetime.timedelta(days=9), "1 week ago", "il y a 1 semaine"),
        (datetime.timedelta(days=62), "2 months ago", "il y a 2 mois"),
        (datetime.timedelta(days=800), "2 years ago", "il y a 2 ans"),
        (-datetime.timedelta(days=2, hours=1), "in 2 days", "dans 2 jours"),
    ],
)
def test_a_relative_time_says_one_unit_rounded_in_both_languages(elapsed, english, french):
    with translation.override("en"):
        assert time_ago(NOW - elapsed, NOW) == english
    with translation.override("fr"):
        assert time_ago(NOW - elapsed, NOW) == french


def test_nearly_two_days_is_never_said_in_two_units():
    said = time_ago(NOW - datetime.timedelta(days=1, hours=23, minutes=59), NOW)

    assert said == "2 days ago" and "," not in said
