import gc
import multiprocessing
import os
import queue
import sys
import time
from pathlib import Path
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Account
from api.http import JSON_DECODER
from api.profile_events import Resolution, profile_events_store, profile_item_read
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
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="Processes sharing a large file on PostgreSQL (default: 2, or 1 on a single core).",
        )

    def handle(self, *args, file, account, backfill_tickets, batch_size, workers, **options):
        self.account = Account.objects.filter(subdomain=account).first()
        if self.account is None:
            raise CommandError(f"No account with the subdomain {account!r}.")
        if not file and not backfill_tickets:
            raise CommandError("Give a file to import, --backfill-tickets, or both.")
        if not 1 <= batch_size <= 100_000:
            raise CommandError("--batch-size must be between 1 and 100000.")
        if not 1 <= workers <= 16:
            raise CommandError("--workers must be between 1 and 16.")
        self.batch_size, self.workers = batch_size, workers
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
            parts, total = [_Part(0, None, 1)], 0
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            total = path.stat().st_size
            workers = self.workers if connection.vendor == "postgresql" else 1  # SQLite has one writer at a time
            parts = _split(path, workers if total >= _SPLIT_FROM_BYTES else 1)
        self.progress = _Progress(self.stdout, total, self.tty)
        self.stored = self.already = self.rejected = 0
        if len(parts) == 1:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed by _load
            _load(self.account.pk, stream, parts[0], self.batch_size, self._on_batch, self._reject)
        else:
            self._load_in_parallel(file, parts)
        self.progress.done()
        elapsed = self.progress.elapsed()
        self.stdout.write(
            f"Imported {self.stored:,} events ({self.already:,} already there); {self.rejected:,} lines rejected. "
            f"{elapsed:.2f} s, {(self.stored + self.already) / elapsed if elapsed else 0:,.0f} events/s."
        )

    def _load_in_parallel(self, file: str, parts: list["_Part"]) -> None:
        """One process per part of the file, each with its own database connection: while one parses,
        the other's rows are being written. Each still stores whole batches or nothing."""
        context = multiprocessing.get_context("fork")
        messages = context.Queue()
        connections.close_all()  # each process opens its own
        processes = [
            context.Process(
                target=_load_part, args=(self.account.pk, file, part, self.batch_size, messages), daemon=True
            )
            for part in parts
        ]
        for process in processes:
            process.start()
        running, failure = len(processes), None
        while running:
            try:
                kind, *values = messages.get(timeout=1)
            except queue.Empty:
                # A process killed outright never says it is done: stop waiting once all have exited.
                if all(process.exitcode is not None for process in processes) and messages.empty():
                    failure = failure or "a worker process ended without finishing its part"
                    break
                continue
            if kind == "batch":
                self._on_batch(*values)
            elif kind == "reject":
                self._reject(*values)
            else:  # "done", with the worker's error if it failed
                running -= 1
                failure = failure or values[0]
        for process in processes:
            process.join()
        if failure:
            raise CommandError(f"The import stopped: {failure}. Batches stored before that are kept.")

    def _on_batch(self, stored: int, already: int, read: int) -> None:
        self.stored += stored
        self.already += already
        self.progress.read += read
        self.progress.update(self.stored + self.already, self.rejected)

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


# Files from this size up are split between processes (smaller ones aren't worth starting them).
_SPLIT_FROM_BYTES = 4 * 1024 * 1024


class _Part(NamedTuple):
    start: int  # byte offset of its first line
    end: int | None  # byte offset where the next part starts (None: to the end)
    first_line: int  # the number of its first line in the file


def _split(path: Path, count: int) -> list[_Part]:
    """The file cut into `count` parts of about the same size, each starting at a line."""
    size = path.stat().st_size
    starts = [0]
    with path.open("rb") as stream:
        for n in range(1, count):
            stream.seek(max(size * n // count, starts[-1]))
            stream.readline()  # on to the start of the next line
            starts.append(stream.tell())
        starts = sorted(set(s for s in starts if s < size)) or [0]
        parts, line, position = [], 1, 0
        for i, start in enumerate(starts):
            stream.seek(position)
            line += stream.read(start - position).count(b"\n")
            position = start
            parts.append(_Part(start, starts[i + 1] if i + 1 < len(starts) else None, line))
    return parts


def _load(account_id: int, stream, part: _Part, batch_size: int, on_batch, on_reject) -> None:
    """Read the part's lines and store them batch by batch; report each batch (stored, already there,
    bytes read) and each rejected line (number, reason)."""
    account = Account.objects.get(pk=account_id)
    resolution = Resolution()
    decode = JSON_DECODER.decode
    batch, numbers, read = [], [], 0
    now = timezone.now()  # one per batch: lines are read against it, and stored at it

    def store() -> None:
        outcomes = profile_events_store(
            account=account, actor_id=None, items=batch, resolution=resolution, allow_support_source=True, now=now
        )
        stored = already = 0
        for number, outcome in zip(numbers, outcomes):
            if outcome.errors:
                on_reject(number, "; ".join(f"{f}: {m}" if f else str(m) for f, (_c, m) in outcome.errors.items()))
            elif outcome.stored.created:
                stored += 1
            else:
                already += 1
        on_batch(stored, already, read)
        gc.collect(0)  # the few cycles a batch makes (ORM internals) go now, while they are young

    with stream:
        if part.start:
            stream.seek(part.start)
        position = part.start
        for number, raw in enumerate(stream, part.first_line):
            read += len(raw)
            position += len(raw)
            item = profile_item_read(raw, now=now, allow_support_source=True)
            if item is not None:
                batch.append(item)
                numbers.append(number)
            elif raw.strip():  # not valid beyond doubt: read in full, for the errors
                try:
                    batch.append(decode(raw.decode()))
                    numbers.append(number)
                except UnicodeDecodeError:
                    on_reject(number, "not UTF-8 text")
                except (ValueError, RecursionError) as error:
                    on_reject(number, f"not valid JSON ({error})")
            if len(batch) >= batch_size:
                store()
                batch, numbers, read = [], [], 0
                now = timezone.now()
            if part.end is not None and position >= part.end:
                break
        if batch or read:
            store()


def _load_part(account_id: int, file: str, part: _Part, batch_size: int, messages) -> None:
    """A worker process: load one part, telling the parent what happens through `messages`."""
    error = None
    gc.disable()
    try:
        _load(
            account_id,
            open(file, "rb"),  # noqa: SIM115 - closed by _load
            part,
            batch_size,
            lambda *values: messages.put(("batch", *values)),
            lambda *values: messages.put(("reject", *values)),
        )
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which fails the command
        error = f"{type(exc).__name__}: {exc}"
    finally:
        connections.close_all()
        messages.put(("done", error))


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
