"""The benchmark commands run end to end on a small data set (their figures are not checked: they are
measurements, not tests) and print the table the README points to."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_timeline_benchmark_prints_every_case_and_the_ingestion_rates():
    out = io.StringIO()

    call_command("bench_timeline", events=40, runs=5, ingest=1000, stdout=out, stderr=io.StringIO())

    printed = out.getvalue()
    for label in (
        "trivial view (/healthz)",
        "timeline fragment (tab panel, first page)",
        "Show 10 more at depth 10 ",
        "filter: source + type, zero matches",
        "events API, one event a request",
        "events API, create_many (1,000 a request)",
        "import_events (JSON Lines)",
        "Deepest page / depth 10:",
    ):
        assert label in printed


def test_the_profile_benchmark_prints_every_case():
    out = io.StringIO()

    call_command("bench_profile", tickets=60, customers=30, runs=5, stdout=out)

    printed = out.getvalue()
    assert "trivial view (/healthz)" in printed
    assert "tickets tab, page at depth" in printed
    assert "customer search, by phone digits" in printed
