from django.db import models
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    HOLD = "hold", _("On-hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    TASK = "task", _("Task")


def rank(column: str, values: list[str]) -> RawSQL:
    """Each of a column's values ranked by its place in `values` (anything else comes last), in SQL with its
    constants written out: a query's expression is then the very expression of the index on it, which the
    planner reads in order (Django would send the constants as parameters, which no index expression
    matches). `column` and `values` are this module's own names, never input."""
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for rank, value in enumerate(values))
    return RawSQL(f"CASE {column} {whens} ELSE {len(values)} END", [], output_field=models.IntegerField())  # noqa: S611


STATUS_ORDER = Status.values  # the workflow's order
PRIORITY_ORDER = ["", *Priority.values]  # none first


class Ticket(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True, default="")
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices, blank=True, default="")
    requester = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="tickets_requested")
    submitter = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="tickets_submitted")
    assignee = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets_assigned"
    )
    # The assignee's name as of the assignment ("" when none): the tickets tab sorts by it from an index.
    # Whatever assigns a ticket, or renames a team member, sets it with the assignee.
    assignee_name = models.CharField(max_length=255, blank=True, default="")
    organization = models.ForeignKey(
        "profiles.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    ccs = models.ManyToManyField("accounts.User", through="TicketCC", related_name="tickets_ccd", blank=True)
    tags = models.TextField(_("tags"), blank=True, default="")
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("requested"))
    updated_at = models.DateTimeField(_("updated"))
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requester", "-updated_at", "-id"], name="ticket_requester_updated_idx"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status_idx"),
            # The tickets tab's other sorts, each read in order from its index (either way).
            models.Index(fields=["requester", "subject", "id"], name="ticket_requester_subject_idx"),
            models.Index(fields=["requester", "-created_at", "-id"], name="ticket_requester_created_idx"),
            models.Index(fields=["requester", "assignee_name", "id"], name="ticket_requester_assignee_idx"),
            models.Index(F("requester"), rank("status", STATUS_ORDER), F("id"), name="ticket_requester_srank_idx"),
            models.Index(F("requester"), rank("priority", PRIORITY_ORDER), F("id"), name="ticket_requester_prank_idx"),
            models.Index(fields=["account", "-updated_at", "-id"], name="ticket_account_updated_idx"),
            # An organization's tickets on its page, newest first (replaces the plain organization index).
            models.Index(fields=["organization", "-updated_at", "-id"], name="ticket_org_updated_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def is_unsolved(self) -> bool:
        return self.status in UNSOLVED_STATUSES


class TicketCC(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="cc_links")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="cc_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_cc_unique")]

    def __str__(self):
        return f"{self.user_id} on #{self.ticket_id}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Comment {self.pk} on #{self.ticket_id}"
