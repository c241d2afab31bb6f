from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Account, Locale, User
from common.tags import normalize_tags
from common.time_zones import TimeZoneField
from custom_fields.models import FieldObject
from custom_fields.record_form import RecordForm
from profiles.identities import IdentityError, identity_normalize
from profiles.models import IdentityType
from profiles.organizations import ORGANIZATION_FIELDS, organization_domains_clean
from profiles.services import EDITABLE_FIELDS, NewContact


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search customers"), required=False, max_length=200)


MAX_NEW_CONTACTS = 10


class _NamedRecordForm(RecordForm):
    """What customers and organizations share: a name, details and notes only team members see, tags."""

    name = forms.CharField(label=_("Name"), max_length=255, error_messages={"required": _("Enter a name.")})
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("For example a postal address. Only team members can see details."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Only team members can see notes."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"data-tags": "", "data-remove-label": _("Remove tag %s")}),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def clean_tags(self):
        return normalize_tags(self.cleaned_data["tags"])


class CustomerDetailsForm(_NamedRecordForm):
    """Everything a team member edits on a customer: their own fields, the custom fields the member's
    role may see, and new emails or phone numbers. Carries the values it was loaded with (`was_…`), so
    a save merges with, or refuses, what someone else saved meanwhile."""

    locale = forms.ChoiceField(label=_("Language"), choices=Locale.choices)
    time_zone = TimeZoneField(label=_("Time zone"))

    object_type = FieldObject.USER
    tracked = tuple(EDITABLE_FIELDS)
    record_argument = "customer"

    def __init__(
        self,
        data=None,
        *,
        customer: User | None = None,
        account: Account | None = None,
        role: str,
        add_contact: str = "",
        definitions=None,
        lookup_labels=None,
    ):
        super().__init__(
            data, record=customer, account=account, role=role, definitions=definitions, lookup_labels=lookup_labels
        )
        self.customer = customer
        self.fields["tags"].help_text = _("Added automatically to new tickets this customer creates.")
        self.new_contacts = self._new_contacts(add_contact)

    def _new_contacts(self, add_contact: str) -> list[dict]:
        """The "+ Add contact" rows: those posted (kept even when empty, so nothing typed is lost) and
        one more when the agent just asked for it."""
        rows = []
        if self.is_bound:
            types = self.data.getlist("new_contact_type")[:MAX_NEW_CONTACTS]
            values = self.data.getlist("new_contact_value")[:MAX_NEW_CONTACTS]
            rows = [
                {"type": t, "value": v[:254], "error": ""}
                for t, v in zip(types, values, strict=False)
                if t in IdentityType.values
            ]
        if add_contact in IdentityType.values and len(rows) < MAX_NEW_CONTACTS:
            rows.append({"type": add_contact, "value": "", "error": ""})
        for i, row in enumerate(rows):
            row["id"] = f"id_new_contact_{i}"
            row["label"] = IdentityType(row["type"]).label
        return rows

    def clean(self):
        data = super().clean()
        seen = set()
        for row in self.new_contacts:
            if not row["value"].strip():
                continue
            try:
                value = identity_normalize(type=row["type"], value=row["value"])
            except IdentityError as error:
                row["error"] = error.message
                continue
            if value in seen:
                row["error"] = _("You entered this twice.")
            seen.add(value)
        if any(row["error"] for row in self.new_contacts):
            raise forms.ValidationError(_("Check the new contact details."), code="contacts")
        return data

    def contacts_to_add(self) -> list[NewContact]:
        return [NewContact(type=r["type"], value=r["value"]) for r in self.new_contacts if r["value"].strip()]

    def has_unsaved_input(self) -> bool:
        return super().has_unsaved_input() or any(r["value"].strip() for r in self.new_contacts)


class OrganizationForm(_NamedRecordForm):
    """An organization's own fields and the organization fields the member's role may see, one Save."""

    object_type = FieldObject.ORGANIZATION
    tracked = ORGANIZATION_FIELDS

    domains = forms.CharField(
        label=_("Domains"),
        required=False,
        max_length=1000,
        help_text=_("Separate domains with spaces, e.g. acme.com acme.fr."),
    )
    field_order = ["name", "domains"]

    def clean_domains(self):
        return organization_domains_clean(self.cleaned_data["domains"])


class PasswordResetAskForm(forms.Form):
    email = forms.EmailField(
        label=pgettext_lazy("email address", "Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={"required": _("Enter your email address."), "invalid": _("Enter a valid email address.")},
    )


class NewPasswordForm(SetPasswordForm):
    """Django's new password, typed twice: the validators' verdict shows next to the new password, and the
    confirmation field says only whether the two match."""

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)
