from django.db import models


class JobStatus(models.Model):
    """A bulk request (create_many, update_many, destroy_many) run in the background: the items it was
    given, how far it got and each item's outcome, for the client to poll (GET job_statuses/{id})."""

    class State(models.TextChoices):
        QUEUED = "queued"
        WORKING = "working"
        COMPLETED = "completed"
        FAILED = "failed"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    public_id = models.CharField(max_length=32)  # what clients see: not guessable, not a count
    job_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    items = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list)
    message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Looked up with the account (a job is its own account's), which also leads the key.
        constraints = [models.UniqueConstraint(fields=["account", "public_id"], name="job_status_public_id_unique")]

    def __str__(self):
        return f"{self.job_type} {self.public_id} ({self.status})"
