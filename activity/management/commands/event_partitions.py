from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from activity.partitions import (
    MONTHS_AHEAD,
    event_partitions,
    event_partitions_create_ahead,
    event_partitions_drop_expired,
)


class Command(BaseCommand):
    help = (
        "Keep the event store's monthly partitions (PostgreSQL): create this month's and the next ones' ahead "
        "of time, and drop whole the months older than EVENT_RETENTION_MONTHS. Run it daily (cron, a scheduled "
        "job); it does nothing that is already done."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            default=MONTHS_AHEAD,
            help=f"Months to prepare beyond this one (default {MONTHS_AHEAD}).",
        )
        parser.add_argument("--list", action="store_true", dest="only_list", help="Only list the partitions.")

    def handle(self, *args, ahead, only_list, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite keeps events in one plain table: no partitions to create or drop.")
            return
        if not 0 <= ahead <= 36:
            raise CommandError("--ahead must be between 0 and 36.")
        if only_list:
            for partition in event_partitions():
                state = "" if partition.attached else " (detached: dropped on the next run if expired)"
                self.stdout.write(f"{partition.name}  {partition.start:%Y-%m}{state}")
            return
        now = timezone.now()
        created = event_partitions_create_ahead(now=now, months=ahead)
        self.stdout.write(f"Created {len(created)} partitions ahead{': ' + ', '.join(created) if created else ''}.")
        months = settings.EVENT_RETENTION_MONTHS
        if not months:
            self.stdout.write("EVENT_RETENTION_MONTHS is not set: every month is kept.")
            return
        dropped = event_partitions_drop_expired(now=now, months=months)
        for partition in dropped:
            self.stdout.write(f"Dropped {partition.name} ({partition.events:,} events).")
        self.stdout.write(f"Kept this month and the {months} before it; dropped {len(dropped)} partitions.")
