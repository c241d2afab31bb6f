"""The form that edits one record (a customer, an organization, a ticket): some of its own fields and the
custom fields the member's role may see, carrying the values it was loaded with, so that a save merges
with, or refuses, what someone else saved meanwhile (`common.merge`, `custom_fields.merge`)."""

from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from custom_fields.form_fields import custom_fields_form_fields
from custom_fields.merge import custom_value_loaded, custom_value_token
from custom_fields.models import FieldType
from custom_fields.values import FORM_PREFIX, custom_fields_visible

WAS = "was_"  # the hidden field carrying a field's loaded value is its name behind this prefix


class RecordForm(forms.Form):
    """A subclass names its kind of record (`object_type`) and its own fields a save merges (`tracked`).

    Shows `record`'s values. A posted form may be read without the record (`account` then): every field
    posts back the value it was loaded with (its `was_` field), which is all a save compares with."""

    object_type: str = ""
    tracked: tuple[str, ...] = ()
    record_argument = "record"  # what the subclass's constructor calls the record

    def __init__(
        self,
        data=None,
        *,
        record=None,
        account: Account | None = None,
        role: str,
        definitions=None,
        lookup_labels=None,
    ):
        self.record = record
        self.role = role
        account = account or record.account
        if record is not None:
            initial = {f: self.loaded(record, f) for f in self.tracked}
            stored = record.custom_fields or {}
        else:
            initial = {f: data.get(WAS + f, "") for f in self.tracked}
            stored = {}
            for name, value in data.items():
                if name.startswith(WAS + FORM_PREFIX) and (loaded := custom_value_loaded(value)) is not None:
                    stored[name.removeprefix(WAS + FORM_PREFIX)] = loaded
        super().__init__(data, initial=initial)
        for f in self.tracked:
            self.fields[WAS + f] = forms.CharField(required=False, widget=forms.HiddenInput, initial=initial[f])
        if definitions is None:
            definitions = custom_fields_visible(account=account, object_type=self.object_type, role=role)
        # The fields this member sees and the lookup labels read for them: the save and the next form reuse
        # both instead of reading them again.
        self.definitions = definitions
        self.lookup_labels = {} if lookup_labels is None else lookup_labels
        self.custom_fields = custom_fields_form_fields(
            account,
            self.object_type,
            role=role,
            values=stored,
            fields=definitions,
            labels=self.lookup_labels,
            read_labels=record is not None,
        )
        for name, custom in self.custom_fields.items():
            self.fields[name] = custom
            if not custom.disabled:
                token = custom_value_token(stored.get(custom.custom_field.key))
                self.fields[WAS + name] = forms.CharField(required=False, widget=forms.HiddenInput, initial=token)

    def loaded(self, record, name: str) -> Any:
        """The value of the record's own field `name` as the form shows it."""
        return getattr(record, name)

    @property
    def custom_bound_fields(self) -> list:
        return [self[name] for name in self.custom_fields]

    def after_save(self, record) -> "RecordForm":
        """A fresh form showing `record` as the save left it, reusing the definitions and labels read."""
        return type(self)(
            **{self.record_argument: record},
            role=self.role,
            definitions=self.definitions,
            lookup_labels=self.lookup_labels,
        )

    def merge_arguments(self) -> dict:
        """What a service's save takes from this form: the arguments of `custom_fields.merge.record_merge`."""
        arguments = {
            "custom_changes": self.custom_changes(),
            "custom_originals": self.custom_originals(),
            "definitions": self.definitions,
        }
        if self.tracked:
            arguments.update(changes=self.changes(), originals=self.originals())
        return arguments

    def changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.tracked}

    def originals(self) -> dict:
        return {f: self.cleaned_data.get(WAS + f, "") for f in self.tracked}

    def custom_changes(self) -> dict:
        """Custom field values by key, only for fields this member may write."""
        return {c.custom_field.key: self.cleaned_data[n] for n, c in self.custom_fields.items() if not c.disabled}

    def custom_originals(self) -> dict:
        """The loaded values (as JSON tokens) of the writable custom fields; a missing one means "no
        conflict check", never "it was empty"."""
        return {
            c.custom_field.key: self.cleaned_data[WAS + n]
            for n, c in self.custom_fields.items()
            if not c.disabled and self.cleaned_data.get(WAS + n)
        }

    def has_unsaved_input(self) -> bool:
        return self.is_bound and self.has_changed()

    def show_conflicts(self, conflict) -> None:
        """After an EditConflict: each field both changed says what the other person saved and offers the
        choice, and the form compares what the member typed (kept) with what is saved now."""
        for c in conflict.conflicts:
            self.add_error(c.field, self.conflict_message(c))
            self[c.field].conflict = c
        self.rebase(conflict.current)

    def conflict_message(self, conflict) -> str:
        theirs = conflict.theirs or _("(empty)")
        if conflict.by and conflict.at:
            return _("%(name)s changed this to “%(theirs)s” at %(time)s while you were editing.") % {
                "name": conflict.by,
                "theirs": theirs,
                "time": _when(conflict.at),
            }
        return _("Another agent changed this to “%(theirs)s” while you were editing.") % {"theirs": theirs}

    def rebase(self, current: dict) -> None:
        """After a conflict: keep what the member typed, but compare against what is saved now."""
        data = self.data.copy()
        for name, value in current.items():
            data[self.add_prefix(WAS + name)] = value
        self.data = data

    def resolve(self) -> None:
        """Apply the member's choices after a conflict (`resolve_<field>` = "theirs": keep the other value)."""
        for key, choice in list(self.data.items()):
            if key.startswith("resolve_") and choice == "theirs":
                self.keep_theirs(key.removeprefix("resolve_"))

    def keep_theirs(self, name: str) -> None:
        """The member chose the other person's value for `name`: put the loaded (rebased) value back."""
        if name not in self.fields or WAS + name not in self.fields:
            return
        data = self.data.copy()
        loaded = data.get(WAS + name, "")
        custom = self.custom_fields.get(name)
        if custom is None:
            data[name] = loaded
        else:
            data.setlist(name, _widget_values(custom, loaded))
        self.data = data

    def show_as_typed(self) -> None:
        """Show what was posted without judging it: it was not submitted for saving, so no field may show
        an error yet."""
        self._errors = ErrorDict()


def _widget_values(custom, token: str) -> list[str]:
    """What the widget of a custom field posts for a stored value (given as its JSON token)."""
    value = custom_value_loaded(token)
    if value is None or value is False:
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [f"#{value}"] if custom.custom_field.type == FieldType.LOOKUP else [str(value)]


def _when(moment) -> str:
    """A moment in the viewer's time zone and language: the time alone when it is today, else with the date."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "TIME_FORMAT")
    return formats.date_format(local, "DATETIME_FORMAT")
