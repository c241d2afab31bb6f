from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Role, User
from custom_fields.form_fields import LookupInput, custom_fields_form_fields
from custom_fields.lookups import lookup_resolve
from custom_fields.models import FieldObject
from custom_fields.record_form import RecordForm
from custom_fields.values import (
    LOOKUP_TEXT_MAX_LENGTH,
    custom_field_values_writable,
    custom_field_writable_by,
    custom_fields_visible,
    storable_text,
)
from tickets.models import Priority, Status, TicketType


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


class PortalCommentForm(forms.Form):
    """A customer's public comment on their request, from the portal."""

    body = forms.CharField(
        label=_("Add a comment"),
        max_length=65_000,
        validators=[storable_text],
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write your comment before sending it.")},
    )


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


MAX_CCS = 20


class NewTicketForm(forms.Form):
    """A ticket a team member opens on a customer's behalf: subject, description (its first public comment),
    priority, type, assignee, people to CC (one search-as-you-type input each) and the ticket fields the
    member's role may fill in. Nothing typed is lost when it comes back with errors, or with one more CC row."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        validators=[storable_text],
        error_messages={"required": _("Enter a subject.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=65_000,
        validators=[storable_text],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The ticket's first public comment: the customer sees it."),
        error_messages={"required": _("Describe the request.")},
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", "—"), *Priority.choices], required=False)
    type = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *TicketType.choices], required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)

    def __init__(self, data=None, *, account: Account, role: str, requester: User, add_cc: bool = False):
        super().__init__(data)
        self.account, self.role, self.requester = account, role, requester
        self.fields["assignee"].queryset = User.objects.filter(
            account=account, role__in=[Role.AGENT, Role.ADMIN]
        ).order_by("name", "id")
        self.fields["assignee"].empty_label = _("Unassigned")
        if not self.is_bound:
            self.fields["subject"].widget.attrs["autofocus"] = True
        # Only the fields this member may fill in: a read-only one could only ever be empty here.
        self.definitions = [
            f
            for f in custom_fields_visible(account=account, object_type=FieldObject.TICKET, role=role)
            if custom_field_writable_by(f, role)
        ]
        self.custom_fields = custom_fields_form_fields(
            account, FieldObject.TICKET, role=role, fields=self.definitions, read_labels=False
        )
        self.fields.update(self.custom_fields)
        self._cc_widget = LookupInput(target=FieldObject.USER)
        self.cc_rows = self._cc_rows(add_cc)
        self.ccs: list[User] = []

    @property
    def custom_bound_fields(self) -> list:
        return [self[name] for name in self.custom_fields]

    def _cc_rows(self, add_cc: bool) -> list[dict]:
        """The CC inputs: those posted (kept even when empty, so nothing typed is lost), one more when asked
        for, and at least one."""
        values = [v[:LOOKUP_TEXT_MAX_LENGTH] for v in self.data.getlist("cc")][:MAX_CCS] if self.is_bound else []
        if (add_cc and len(values) < MAX_CCS) or not values:
            values.append("")
        last = len(values) - 1
        return [
            {"id": f"id_cc_{i}", "value": value, "error": "", "new": add_cc and i == last}
            for i, value in enumerate(values)
        ]

    def cc_inputs(self) -> list[dict]:
        """Each CC row with its input rendered (a lookup that suggests people as the member types)."""
        for row in self.cc_rows:
            attrs = {"id": row["id"], "aria-describedby": "id_cc_help"}
            if row["error"]:
                attrs.update({"aria-invalid": "true", "aria-describedby": f"{row['id']}_error id_cc_help"})
            if row["new"]:
                attrs["autofocus"] = True
            row["input"] = self._cc_widget.render("cc", row["value"], attrs=attrs)
        return self.cc_rows

    def clean(self):
        data = super().clean()
        found: dict[int, dict] = {}
        for row in self.cc_rows:
            if not row["value"].strip():
                continue
            try:
                person_id = lookup_resolve(account=self.account, target=FieldObject.USER, text=row["value"])
            except forms.ValidationError as error:
                row["error"] = " ".join(error.messages)
                continue
            if person_id == self.requester.pk:
                row["error"] = _("%(name)s is the requester: they get every reply anyway.") % {
                    "name": self.requester.name
                }
                continue
            found.setdefault(person_id, row)
        people = User.objects.filter(
            account=self.account, pk__in=list(found), merged_into__isnull=True, deleted_at__isnull=True
        )
        self.ccs = sorted(people, key=lambda person: list(found).index(person.pk))
        for person_id in set(found) - {person.pk for person in self.ccs}:
            found[person_id]["error"] = _("This person was merged into another: pick them again.")
        if any(row["error"] for row in self.cc_rows):
            raise forms.ValidationError(_("Some people to CC could not be found."), code="cc")
        return data

    def ticket_fields(self) -> dict:
        """What `ticket_create` takes from this form."""
        data = self.cleaned_data
        values = custom_field_values_writable(fields=self.definitions, cleaned_data=data, role=self.role)
        return {
            "subject": " ".join(data["subject"].split()),
            "description": data["description"].strip(),
            "priority": data["priority"],
            "type": data["type"],
            "assignee": data["assignee"],
            "ccs": self.ccs,
            "custom_fields": {key: value for key, value in values.items() if value is not None},
        }

    def clean_subject(self):
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Enter a subject."))
        return subject

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError(_("Describe the request."))
        return description


class TicketFieldsForm(RecordForm):
    """The ticket fields the member's role may see, edited together with one Save."""

    object_type = FieldObject.TICKET
