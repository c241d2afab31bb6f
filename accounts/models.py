from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    """One helpdesk instance (a tenant). Every other record belongs to exactly one account."""

    name = models.CharField(_("name"), max_length=120)
    subdomain = models.SlugField(_("subdomain"), max_length=63, unique=True)
    customer_profile_enabled = models.BooleanField(_("customer profile page enabled"), default=False)
    # Admins may always sign in as a customer to see what they see; agents only when an admin allows it.
    agents_may_assume_identity = models.BooleanField(_("agents may assume customers' identity"), default=False)
    # Goes up with every change to the account's custom field definitions: read with the account on every
    # request, it tells each process whether the definitions it keeps are still current.
    custom_fields_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    END_USER = "end-user", _("End user")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Admin")


class Locale(models.TextChoices):
    # Each language in its own name, whatever the reader's: someone looking for theirs recognises it.
    EN = "en", "English"
    FR = "fr", "Français"


class UserManager(BaseUserManager):
    def get_by_natural_key(self, username):
        raise NotImplementedError("Users are looked up per account; use accounts.backends.")


class User(AbstractBaseUser):
    """Everyone who can sign in or be helped: customers (end users) and team members alike."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.END_USER)
    name = models.CharField(_("name"), max_length=255)
    # The primary email, mirrored from the primary email identity by the identity services,
    # so lists and sign-in never need a join.
    email = models.EmailField(_("primary email"), max_length=254, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=255, blank=True, default="")
    locale = models.CharField(_("language"), max_length=8, choices=Locale.choices, default=Locale.EN)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    details = models.TextField(_("details"), blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    tags = models.TextField(_("tags"), blank=True, default="")  # space-separated, normalized
    suspended = models.BooleanField(_("suspended"), default=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    prefers_new_profile = models.BooleanField(_("uses the new customer profile"), default=False)
    # Set when this customer was merged into another: their address leads there and their events stay on
    # that customer's timeline, so deleting the kept customer deletes them too.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="merged_from")
    # Set when the customer was deleted but tickets still name them: the row stays, emptied of everything
    # personal, so the tickets keep a requester ("Deleted user"); nothing else finds it (profiles.deletion).
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"], condition=~Q(email=""), name="user_primary_email_unique_per_account"
            ),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id=""),
                name="user_external_id_unique_per_account",
            ),
        ]
        indexes = [models.Index(fields=["account", "role", "name", "id"], name="user_role_name_idx")]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return not self.suspended

    @property
    def is_team_member(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_end_user(self) -> bool:
        return self.role == Role.END_USER

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def display_name(self) -> str:
        """The name to show beside their tickets and comments: a deleted customer's is gone."""
        return gettext("Deleted user") if self.deleted_at else self.name

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p[:1].isalnum()]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class AuditEntry(models.Model):
    """Who changed what, when, from which value to which."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at", "-id"], name="audit_recent_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.target_type}:{self.target_id}"


class ApiToken(models.Model):
    """A secret that lets an integrated app call the API of one account. Only its hash is kept."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The token's first characters, shown in lists so admins can tell tokens apart without the secret.
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # When the token last wrote, to the second, kept only with read replicas: its reads stay on the primary
    # for REPLICA_PIN_SECONDS after, whichever process serves them (common/replicas.py).
    wrote_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        # A token is looked up with its host's account: the key leads with it (docs/scaling.md).
        constraints = [models.UniqueConstraint(fields=["account", "secret_hash"], name="api_token_secret_unique")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
