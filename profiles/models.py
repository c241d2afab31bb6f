from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IdentityType(models.TextChoices):
    EMAIL = "email", pgettext_lazy("email address", "Email")  # a context: contrib.auth's "Email" reads "Courriel"
    PHONE = "phone_number", _("Phone number")


class PhoneLine(models.TextChoices):
    DIRECT = "direct", _("Direct line")
    SHARED = "shared", _("Shared line")


class Identity(models.Model):
    """A way to reach a user: an email address or a phone number."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="identities")
    type = models.CharField(_("type"), max_length=16, choices=IdentityType.choices)
    value = models.CharField(_("value"), max_length=254)  # emails lowercased, phones in E.164
    primary = models.BooleanField(_("primary"), default=False)
    verified = models.BooleanField(_("verified"), default=False)
    phone_line = models.CharField(_("line"), max_length=8, choices=PhoneLine.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["type", "-primary", "id"]
        constraints = [
            # An email address belongs to exactly one user of an account.
            models.UniqueConstraint(
                fields=["account", "value"], condition=Q(type="email"), name="identity_email_unique_per_account"
            ),
            # A direct line belongs to one user; a shared line may appear on several.
            models.UniqueConstraint(
                fields=["account", "value"],
                condition=Q(type="phone_number", phone_line="direct"),
                name="identity_direct_phone_unique_per_account",
            ),
            # The account leads every unique key, so that each stays checkable within one account's shard
            # (docs/scaling.md); a user belongs to one account, so the rule is the same.
            models.UniqueConstraint(fields=["account", "user", "value"], name="identity_unique_per_user"),
            models.UniqueConstraint(
                fields=["account", "user", "type"], condition=Q(primary=True), name="identity_one_primary_per_type"
            ),
        ]
        indexes = [models.Index(fields=["account", "value"], name="identity_value_idx")]

    def __str__(self):
        return self.value

    @property
    def is_email(self) -> bool:
        return self.type == IdentityType.EMAIL

    @property
    def is_phone(self) -> bool:
        return self.type == IdentityType.PHONE


class Organization(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="organizations")
    name = models.CharField(_("name"), max_length=255)
    domains = models.TextField(_("domains"), blank=True, default="")  # space-separated
    details = models.TextField(_("details"), blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    tags = models.TextField(_("tags"), blank=True, default="")
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="organization_name_unique")]

    def __str__(self):
        return self.name

    @property
    def domain_list(self) -> list[str]:
        return self.domains.split()


class OrganizationMembership(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-default", "organization__name"]
        constraints = [
            # The account leads each unique key (docs/scaling.md).
            models.UniqueConstraint(fields=["account", "user", "organization"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["account", "user"], condition=Q(default=True), name="membership_one_default"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} in {self.organization_id}"
