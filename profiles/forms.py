from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Locale, User, time_zone_choices
from common.tags import normalize_tags
from common.widgets import LargeSelect
from profiles.services import EDITABLE_FIELDS
from tickets.models import Status


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search customers"), required=False, max_length=200)


class TicketListForm(forms.Form):
    """The controls of a customer's ticket list; anything malformed falls back to the default."""

    RELATIONS = [("requested", _("Requested tickets")), ("ccd", _("CC'd tickets"))]

    relation = forms.ChoiceField(label=_("Show"), choices=RELATIONS, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.CharField(required=False)
    dir = forms.ChoiceField(choices=[("asc", "asc"), ("desc", "desc")], required=False)
    after = forms.CharField(required=False, max_length=500)
    before = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), ("unsolved", _("Unsolved"))] + list(Status.choices)

    def params(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "relation": data.get("relation") or "requested",
            "status": data.get("status") or "",
            "sort": data.get("sort") or "updated",
            "descending": (data.get("dir") or "desc") == "desc",
            "after": data.get("after") or None,
            "before": data.get("before") or None,
        }


class CustomerFieldsForm(forms.Form):
    """The customer's own fields, with the values they had when the form was loaded (to detect conflicts)."""

    name = forms.CharField(label=_("Name"), max_length=255, error_messages={"required": _("Enter a name.")})
    locale = forms.ChoiceField(label=_("Language"), choices=Locale.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, widget=LargeSelect)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Only team members can see details."),
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
        help_text=_("Separated by spaces; added to new tickets this customer creates."),
        widget=forms.TextInput(attrs={"data-tags": "", "data-remove-label": _("Remove tag %s")}),
    )

    def __init__(self, *args, customer: User, **kwargs):
        self.customer = customer
        initial = {f: getattr(customer, f) for f in EDITABLE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        for f in EDITABLE_FIELDS:
            self.fields[f"was_{f}"] = forms.CharField(required=False, widget=forms.HiddenInput, initial=initial[f])

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def clean_tags(self):
        return normalize_tags(self.cleaned_data["tags"])

    def changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in EDITABLE_FIELDS}

    def originals(self) -> dict:
        return {f: self.cleaned_data.get(f"was_{f}", "") for f in EDITABLE_FIELDS}

    def rebase(self, current: dict) -> None:
        """After a conflict: keep what the agent typed, but compare against what is saved now."""
        data = self.data.copy()
        for f, value in current.items():
            data[self.add_prefix(f"was_{f}")] = value
        self.data = data
