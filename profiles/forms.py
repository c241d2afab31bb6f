import json

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Locale, User, time_zone_choices
from common.tags import normalize_tags
from common.widgets import LargeSelect
from custom_fields.form_fields import custom_fields_form_fields
from custom_fields.models import FieldObject, FieldType
from custom_fields.values import FORM_PREFIX, custom_fields_visible
from profiles.identities import IdentityError, identity_normalize
from profiles.models import IdentityType
from profiles.services import EDITABLE_FIELDS, NewContact, custom_value_token


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search customers"), required=False, max_length=200)


MAX_NEW_CONTACTS = 10


class CustomerDetailsForm(forms.Form):
    """Everything a team member edits on a customer: their own fields, the custom fields the member's
    role may see, and new emails or phone numbers. Carries the values it was loaded with (`was_…`), so
    a save merges with, or refuses, what someone else saved meanwhile."""

    name = forms.CharField(label=_("Name"), max_length=255, error_messages={"required": _("Enter a name.")})
    locale = forms.ChoiceField(label=_("Language"), choices=Locale.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, widget=LargeSelect)
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
        help_text=_("Added automatically to new tickets this customer creates."),
        widget=forms.TextInput(attrs={"data-tags": "", "data-remove-label": _("Remove tag %s")}),
    )

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
        """Shows `customer`'s values; a posted form may be read without them (`account` then): every field
        posts back the value it was loaded with (its `was_` field), which is all a save compares with."""
        self.customer = customer
        account = account or customer.account
        if customer is not None:
            initial = {f: getattr(customer, f) for f in EDITABLE_FIELDS}
            stored = customer.custom_fields or {}
        else:
            initial = {f: data.get(f"was_{f}", "") for f in EDITABLE_FIELDS}
            stored = {}
            for name, value in data.items():
                if name.startswith("was_" + FORM_PREFIX) and (loaded := _loaded_value(value)) is not None:
                    stored[name.removeprefix("was_" + FORM_PREFIX)] = loaded
        super().__init__(data, initial=initial)
        for f in EDITABLE_FIELDS:
            self.fields[f"was_{f}"] = forms.CharField(required=False, widget=forms.HiddenInput, initial=initial[f])
        if definitions is None:
            definitions = custom_fields_visible(account=account, object_type=FieldObject.USER, role=role)
        # The user fields this member sees and the lookup labels read for them: the save and the next form
        # reuse both instead of reading them again.
        self.definitions = definitions
        self.lookup_labels = {} if lookup_labels is None else lookup_labels
        self.custom_fields = custom_fields_form_fields(
            account,
            FieldObject.USER,
            role=role,
            values=stored,
            fields=definitions,
            labels=self.lookup_labels,
            read_labels=customer is not None,
        )
        for name, custom in self.custom_fields.items():
            self.fields[name] = custom
            if not custom.disabled:
                key = custom.custom_field.key
                self.fields[f"was_{name}"] = forms.CharField(
                    required=False, widget=forms.HiddenInput, initial=custom_value_token(stored.get(key))
                )
        self.new_contacts = self._new_contacts(add_contact)

    @property
    def custom_bound_fields(self) -> list:
        return [self[name] for name in self.custom_fields]

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

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def clean_tags(self):
        return normalize_tags(self.cleaned_data["tags"])

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

    def changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in EDITABLE_FIELDS}

    def originals(self) -> dict:
        return {f: self.cleaned_data.get(f"was_{f}", "") for f in EDITABLE_FIELDS}

    def custom_changes(self) -> dict:
        """Custom field values by key, only for fields this member may write."""
        return {c.custom_field.key: self.cleaned_data[n] for n, c in self.custom_fields.items() if not c.disabled}

    def custom_originals(self) -> dict:
        """The loaded values (as JSON tokens) of the writable custom fields; a missing one means "no
        conflict check", never "it was empty"."""
        return {
            c.custom_field.key: self.cleaned_data[f"was_{n}"]
            for n, c in self.custom_fields.items()
            if not c.disabled and self.cleaned_data.get(f"was_{n}")
        }

    def contacts_to_add(self) -> list[NewContact]:
        return [NewContact(type=r["type"], value=r["value"]) for r in self.new_contacts if r["value"].strip()]

    def has_unsaved_input(self) -> bool:
        return self.is_bound and (self.has_changed() or any(r["value"].strip() for r in self.new_contacts))

    def rebase(self, current: dict) -> None:
        """After a conflict: keep what the agent typed, but compare against what is saved now."""
        data = self.data.copy()
        for name, value in current.items():
            data[self.add_prefix(f"was_{name}")] = value
        self.data = data

    def show_as_typed(self) -> None:
        """Show what was posted without judging it: it was not submitted for saving, so no field may
        show an error yet."""
        self._errors = ErrorDict()

    def keep_theirs(self, name: str) -> None:
        """The agent chose the other agent's value for `name`: put the loaded (rebased) value back."""
        if name not in self.fields or f"was_{name}" not in self.fields:
            return
        data = self.data.copy()
        loaded = data.get(f"was_{name}", "")
        custom = self.custom_fields.get(name)
        if custom is None:
            data[name] = loaded
        else:
            data.setlist(name, _widget_values(custom, loaded))
        self.data = data


def _widget_values(custom, token: str) -> list[str]:
    """What the widget of a custom field posts for a stored value (given as its JSON token)."""
    try:
        value = json.loads(token)
    except ValueError:
        return []
    if value is None or value is False:
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [f"#{value}"] if custom.custom_field.type == FieldType.LOOKUP else [str(value)]


def _loaded_value(token: str):
    try:
        return json.loads(token)
    except ValueError:
        return None
