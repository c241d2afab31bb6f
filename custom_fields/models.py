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
