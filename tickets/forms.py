from django import forms
from django.utils.translation import gettext_lazy as _

from custom_fields.models import FieldObject
from custom_fields.record_form import RecordForm
from tickets.models import Status


class ReplyForm(forms.Form):
    """An agent's answer on a ticket: a public reply or an internal note, submitted as a status."""

    body = forms.CharField(
        label=_("Your reply"), required=False, max_length=65_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    public = forms.TypedChoiceField(
        label=_("Visibility"),
        choices=[("true", _("Public reply")), ("false", _("Internal note"))],
        coerce=lambda value: value == "true",
        initial="true",
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(label=_("Submit as"), choices=Status.choices)
    status_seen = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, initial={"status": ticket.status, "status_seen": ticket.status}, **kwargs)
        self.ticket = ticket

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and data.get("status") == self.ticket.status:
            raise forms.ValidationError(_("Write a reply or choose another status."))
        return data

    def rebase(self, status: str) -> None:
        """After someone else changed the status: keep what the agent wrote, compare with the new status."""
        data = self.data.copy()
        data[self.add_prefix("status_seen")] = status
        self.data = data


class RequestForm(forms.Form):
    """A customer's new request from the portal."""

    subject = forms.CharField(label=_("Subject"), max_length=150)
    description = forms.CharField(
        label=_("How can we help?"), max_length=65_000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Enter a subject."))
        return subject


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


class TicketFieldsForm(RecordForm):
    """The ticket fields the member's role may see, edited together with one Save."""

    object_type = FieldObject.TICKET
