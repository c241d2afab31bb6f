import gc
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from common.api import JSON_DECODER
from profiles.profile_events import Resolution, profile_events_store
from tickets.backfill import ticket_events_backfill


class Command(BaseCommand):
    help = (
        "Load events into customers' timelines from a JSON Lines file, one events-API body "
        '({"profile": …, "event": …}) a line; optionally backfill the events of existing tickets. '
        "Bad lines are reported with their number and skipped; each batch is stored whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="The .jsonl file to load ('-' reads standard input).")
        parser.add_argument("--account", required=True, help="The account's subdomain.")
        parser.add_argument(
            "--backfill-tickets",
            action="store_true",
            help="Also put every ticket's requested and solved events on its requester's timeline (once).",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Events per transaction (default 5000).")

    def handle(self, *args, file, account, backfill_tickets, batch_size, **options):
        self.account = Account.objects.filter(subdomain=account).first()
        if self.account is None:
            raise CommandError(f"No account with the subdomain {account!r}.")
        if not file and not backfill_tickets:
            raise CommandError("Give a file to import, --backfill-tickets, or both.")
        if not 1 <= batch_size <= 100_000:
            raise CommandError("--batch-size must be between 1 and 100000.")
        self.batch_size = batch_size
        self.tty = self.stdout.isatty()
        # Parsed JSON holds no reference cycles, so reference counting frees it all; the cyclic collector
        # would only rescan each batch's objects again and again (a third of the import's time).
        gc.disable()
        try:
            if file:
                self._import(file)
            if backfill_tickets:
                self._backfill()
        finally:
            gc.enable()

    # The file

    def _import(self, file: str) -> None:
        if file == "-":
            stream, total = sys.stdin.buffer, 0
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            stream, total = path.open("rb"), path.stat().st_size
        self.progress = _Progress(self.stdout, total, self.tty)
        self.stored = self.already = self.rejected = 0
        resolution = Resolution()
        decode = JSON_DECODER.decode
        batch, line_numbers = [], []
        with stream:
            for number, raw in enumerate(stream, 1):
                self.progress.read += len(raw)
                if not raw.strip():
                    continue
                try:
                    batch.append(decode(raw.decode()))
                except UnicodeDecodeError:
                    self._reject(number, "not UTF-8 text")
                    continue
                except (ValueError, RecursionError) as error:
                    self._reject(number, f"not valid JSON ({error})")
                    continue
                line_numbers.append(number)
                if len(batch) >= self.batch_size:
                    self._store(batch, line_numbers, resolution)
                    batch, line_numbers = [], []
            if batch:
                self._store(batch, line_numbers, resolution)
        self.progress.done()
        elapsed = self.progress.elapsed()
        self.stdout.write(
            f"Imported {self.stored:,} events ({self.already:,} already there); {self.rejected:,} lines rejected. "
            f"{elapsed:.2f} s, {(self.stored + self.already) / elapsed if elapsed else 0:,.0f} events/s."
        )

    def _store(self, batch: list, line_numbers: list[int], resolution: Resolution) -> None:
        outcomes = profile_events_store(
            account=self.account, actor_id=None, items=batch, resolution=resolution, allow_support_source=True
        )
        for number, outcome in zip(line_numbers, outcomes):
            if outcome.errors:
                self._reject(number, "; ".join(f"{f}: {m}" if f else str(m) for f, (_c, m) in outcome.errors.items()))
            elif outcome.stored.created:
                self.stored += 1
            else:
                self.already += 1
        self.progress.update(self.stored + self.already, self.rejected)
        gc.collect(0)  # the few cycles a batch makes (ORM internals) go now, while they are young

    def _reject(self, number: int, reason: str) -> None:
        self.rejected += 1
        self.progress.clear()
        self.stderr.write(f"line {number}: {reason}")

    # Tickets

    def _backfill(self) -> None:
        progress = _Progress(self.stdout, 0, self.tty)
        counts = [0, 0]

        def on_batch(stored: int, already: int) -> None:
            counts[0] += stored
            counts[1] += already
            progress.update(sum(counts), 0, label="ticket events")

        stored, already = ticket_events_backfill(account=self.account, batch_size=self.batch_size, on_batch=on_batch)
        progress.done()
        self.stdout.write(f"Backfilled {stored:,} ticket events ({already:,} already there).")


class _Progress:
    """A bar redrawn in place on a terminal; elsewhere (logs, pipes) a plain line every few seconds."""

    EVERY = 5.0  # seconds between plain lines

    def __init__(self, stdout, total: int, tty: bool):
        self.stdout, self.total, self.tty = stdout, total, tty
        self.read = 0
        self.started = self.last = time.monotonic()
        self.drawn = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def update(self, events: int, rejected: int, label: str = "events") -> None:
        now = time.monotonic()
        rate = events / (now - self.started) if now > self.started else 0
        counts = f"{events:,} {label}, {rejected:,} rejected, {rate:,.0f}/s"
        if self.tty:
            share = self.read / self.total if self.total else 0
            bar = "#" * int(share * 30)
            percent = f"{share:4.0%} " if self.total else ""
            self.stdout.write(f"\r[{bar:<30}] {percent}{counts}\x1b[K", ending="")
            self.stdout.flush()
            self.drawn = True
        elif now - self.last >= self.EVERY:
            self.stdout.write(counts)
            self.last = now

    def clear(self) -> None:
        if self.drawn:
            self.stdout.write("\r\x1b[K", ending="")
            self.drawn = False

    def done(self) -> None:
        if self.drawn:
            self.stdout.write("")
            self.drawn = False
