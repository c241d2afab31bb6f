from django.db import models
from django.utils import timezone

SUPPORT_SOURCE = "Support"


class Event(models.Model):
    """Something a customer did or that happened to them, from this product or an integrated app."""

    # An append-only log growing by millions of rows a day: no index on the foreign keys (the timeline
    # indexes below lead with the customer and the kind) and no database-level constraint either, whose
    # checks would cost three lookups per row at each commit. Rows are written by the ingestion alone,
    # which resolves every reference in the same transaction; deletions cascade through Django.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False
    )
    # The customer's (source, type): filters seek by it. Source and type are kept as text too, for reading.
    kind = models.ForeignKey(
        "EventKind", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    source = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    # Set once per batch by the ingestion, so every event of a request shares one arrival time.
    received_at = models.DateTimeField(default=timezone.now)
    # Set by integrated apps so that a retried request stores the event once: unique per account, which
    # `EventClientId` enforces (the partitioned table can't: its unique keys must hold occurred_at).
    client_id = models.CharField(max_length=128, null=True, blank=True)

    class Meta:
        # On PostgreSQL the table is partitioned by month of occurred_at (migration 0006, activity/partitions.py)
        # and its primary key is (id, occurred_at); ids still come from one sequence, so each is unique.
        # Two narrow indexes serve every timeline read, newest first, keyset on (occurred_at, id): all of a
        # customer's events, and those of one kind (a source filter merges its few kinds). Each index more
        # would cost ingestion speed on a table that grows by millions of rows a day.
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="event_timeline_idx"),
            models.Index(fields=["kind", "-occurred_at", "-id"], name="event_kind_timeline_idx"),
        ]

    def __str__(self):
        return f"{self.source}/{self.type}"


class EventKind(models.Model):
    """One (source, type) of one customer's events, with its tally: the timeline filter reads these
    instead of scanning the history, and each event points at its kind."""

    customer = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="event_kinds", db_index=False
    )  # the unique (customer, source, type) constraint is the index
    source = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)
    last_occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["source", "type"]
        constraints = [models.UniqueConstraint(fields=["customer", "source", "type"], name="event_kind_unique")]

    def __str__(self):
        return f"{self.source}/{self.type}: {self.count}"


class EventClientId(models.Model):
    """An integrated app's own id for an event (`event.id` in the API), once per account: claimed in the
    transaction that stores the event, so a retried request finds it and stores nothing."""

    pk = models.CompositePrimaryKey("account_id", "client_id")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )  # the primary key leads with it
    client_id = models.CharField(max_length=128)
    # The event's key (no foreign key: the partitioned event table's primary key is (id, occurred_at)).
    event_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()

    def __str__(self):
        return f"{self.client_id} -> {self.event_id}"
