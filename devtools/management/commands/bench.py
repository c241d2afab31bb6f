"""Every benchmark of the issue's table in one run: the Activity tab and ingestion (`bench_timeline`), the
profile page, tickets tab and search (`bench_profile`), the profile page with reads on a streaming replica
(`bench_replicas`), then the table itself, each figure beside its target.
Run on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench make bench
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from devtools.bench import targets_report
from devtools.management.commands import bench_profile, bench_replicas, bench_timeline


class Command(BaseCommand):
    help = "Run bench_timeline and bench_profile, then print every figure of the targets table with its ratio."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--ingest", type=int, default=200_000, help="Events for each ingestion measurement.")
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--customers", type=int, default=20_000)
        parser.add_argument("--related-tickets", type=int, default=100_000)
        parser.add_argument("--related-customers", type=int, default=1_000)
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument("--replica-seconds", type=float, default=12, help="Concurrent load per mode, replicas.")
        parser.add_argument(
            "--profile",
            action="store_true",
            help="Also profile the ingestion paths and the timeline reads (pyinstrument).",
        )

    def handle(
        self,
        *args,
        events,
        ingest,
        tickets,
        customers,
        related_tickets,
        related_customers,
        runs,
        profile,
        replica_seconds,
        **options,
    ):
        timeline = bench_timeline.Command(stdout=self.stdout, stderr=self.stderr)
        call_command(timeline, events=events, ingest=ingest, runs=runs, profile=profile)
        profile_page = bench_profile.Command(stdout=self.stdout, stderr=self.stderr)
        call_command(
            profile_page,
            tickets=tickets,
            customers=customers,
            related_tickets=related_tickets,
            related_customers=related_customers,
            runs=runs,
        )
        replicas = bench_replicas.Command(stdout=self.stdout, stderr=self.stderr)
        call_command(
            replicas,
            events=min(events, 100_000),
            tickets=min(tickets, 2_000),
            customers=min(customers, 2_000),
            runs=runs,
            seconds=replica_seconds,
            replay_events=min(2 * ingest, 200_000),
        )
        self.stdout.write("\n\nThe targets, all measured in this run:")
        targets_report(self.stdout, timeline.targets() + profile_page.targets() + replicas.targets())
