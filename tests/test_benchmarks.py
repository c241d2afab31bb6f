"""The benchmark runs end to end on a small data set (its figures are not checked: they are measurements,
not tests) and prints every case and the targets table the README points to."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_benchmark_prints_every_case_and_every_figure_of_the_targets_table():
    out = io.StringIO()

    call_command(
        "bench",
        events=40,
        ingest=1000,
        tickets=60,
        customers=30,
        related_tickets=80,
        related_customers=30,
        runs=5,
        replica_seconds=0.3,
        stdout=out,
        stderr=io.StringIO(),
    )

    printed = out.getvalue()
    for label in (
        "trivial view (/_dev/trivial)",
        "timeline fragment (tab panel, first page)",
        "Show 10 more at depth 10 ",
        "filter: source + type, zero matches",
        "events API, one event a request",
        "events API, create_many (1,000 a request)",
        "import_events (JSON Lines)",
        "tickets tab, page at depth",
        "customer search, by phone digits",
        "The targets, all measured in this run:",
        "events API, one event a request (x trivial view's requests/s)",
        "create_many, 1,000 a request (x bare COPY)",
        "import_events (x bare COPY)",
        "profile page, full load, Activity tab (x trivial view p50)",
        "timeline fragment, first page (x trivial view p50)",
        '"Show 10 more", depth 10 (x trivial view p50)',
        '"Show 10 more", depth 990,000 / depth 10',
        "Tickets tab sorted by assignee, DB time (10,000 tickets)",
        "Tickets tab sorted by status, DB time",
        "Tickets tab sorted by priority, DB time",
        "customer search by phone digits, DB time (20,000 customers)",
        "Related tab, heavy customer (tab switch)",
        "Related, heavy: tickets at depth 55",
        "Related tab, heavy / light:",
        "API v2: GET users/{id}",
        "API v2: PUT users/{id} (notes)",
        "profile page with reads on a replica (x primary-only throughput)",
    ):
        assert label in printed, label
    if connection.vendor == "postgresql":  # on a throwaway primary and replica of its own
        assert "one client:" in printed and "4 clients at once" in printed
    else:
        assert "Reads on a replica: PostgreSQL only" in printed


def test_the_merge_benchmark_prints_the_merge_and_the_kept_customers_timeline():
    out = io.StringIO()

    call_command("bench_merge", events=40, merges=2, runs=5, compare_update=True, stdout=out, stderr=io.StringIO())

    printed = out.getvalue()
    for label in ("Merging a customer with 40 events", "merge (one transaction, committed)", "in one UPDATE"):
        assert label in printed
    assert "kept customer's timeline fragment" in printed and "Show 10 more at depth 10 " in printed
