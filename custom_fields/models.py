"""Admin-defined custom fields on users, organizations and tickets (B2, B3). A record keeps its values in
its own `custom_fields` JSON, keyed by the field's key; this app defines the fields and what a value may be.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldObject(models.TextChoices):
    USER = "user", _("User")
    ORGANIZATION = "organization", _("Organization")
    TICKET = "ticket", _("Ticket")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Multi-line")
    INTEGER = "integer", _("Number")
    DECIMAL = "decimal", _("Decimal")
    CHECKBOX = "checkbox", _("Checkbox")
    DATE = "date", _("Date")
    DROPDOWN = "dropdown", _("Drop-down")
    MULTISELECT = "multiselect", _("Multi-select")
    REGEXP = "regexp", _("Regular expression")
    LOOKUP = "lookup", _("Lookup relationship")


class AgentAccess(models.TextChoices):
    EDITABLE = "editable", _("Editable")
    READ_ONLY = "read_only", _("Read-only")
    HIDDEN = "hidden", _("Hidden")


class CustomField(models.Model):
    """An admin-defined field on users, organizations or tickets; values live in `custom_fields` JSON."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="custom_fields")
    object_type = models.CharField(_("applies to"), max_length=16, choices=FieldObject.choices)
    key = models.SlugField(_("key"), max_length=64)
    title = models.CharField(_("title"), max_length=255)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    # For drop-downs and multi-selects: [{"name": "Gold", "value": "gold"}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    regexp = models.CharField(_("pattern"), max_length=500, blank=True, default="")
    # What a regular-expression field's value looks like, in the admin's words ("Format: ABC-1234"): people
    # who type a value that doesn't match read this, never the pattern.
    format_hint = models.CharField(_("format hint"), max_length=200, blank=True, default="")
    lookup_target = models.CharField(
        _("lookup target"), max_length=16, choices=FieldObject.choices, blank=True, default=""
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    agent_access = models.CharField(
        _("agent access"), max_length=16, choices=AgentAccess.choices, default=AgentAccess.EDITABLE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "object_type", "key"], name="custom_field_key_unique")
        ]

    def __str__(self):
        return self.title


# Who points at whom through lookup fields. A record's lookup values live in its `custom_fields` JSON (the
# truth); these two tables index them the other way round, so a page finds everything pointing at a record,
# and how many, without reading the records that do. Why a table and not an index over the JSON: fields are
# defined by each account at any time, so an expression index per field would mean DDL at run time (on
# tables shared by every account); one GIN index over the whole JSON finds the rows but must still visit
# each of them to count or to page in order, which grows with the count (100,000 tickets pointing at one
# customer). Here a count is one row and a page of sources one index range, whatever the numbers.
# `custom_fields.relations` keeps both in step with the values, in the transaction that writes them, and
# rebuilds them from the JSON after a bulk load.


class LookupLink(models.Model):
    """One record (`source_id`, of the field's kind) whose lookup `field` holds `target_id`."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="+", db_index=False)
    target_id = models.BigIntegerField()
    source_id = models.BigIntegerField()

    class Meta:
        constraints = [
            # Also the index that pages a relationship's sources: field, target, then sources by id.
            models.UniqueConstraint(fields=["field", "target_id", "source_id"], name="lookup_link_unique")
        ]
        indexes = [models.Index(fields=["source_id", "field"], name="lookup_link_source_idx")]

    def __str__(self):
        return f"{self.source_id} -> {self.target_id} ({self.field_id})"


class LookupCount(models.Model):
    """How many records' lookup `field` holds `target_id`: what the Related tab shows without counting."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="+", db_index=False)
    target_id = models.BigIntegerField()
    total = models.BigIntegerField(default=0)  # never fails a save: a drifted count reads as none

    class Meta:
        constraints = [models.UniqueConstraint(fields=["field", "target_id"], name="lookup_count_unique")]

    def __str__(self):
        return f"{self.total} -> {self.target_id} ({self.field_id})"
