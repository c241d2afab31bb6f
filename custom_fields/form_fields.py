"""Form fields for custom field values: the right widget per type, lookups that suggest as you type."""

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Role
from custom_fields.lookups import lookup_named_id
from custom_fields.models import CustomField, FieldObject, FieldType
from custom_fields.values import (
    FORM_PREFIX,
    REGEXP_VALUE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TEXTAREA_MAX_LENGTH,
    custom_field_clean,
    custom_field_lookup_labels,
    custom_field_visible_to,
    custom_field_writable_by,
    custom_fields_visible,
)


class LookupInput(forms.TextInput):
    """A text input that suggests records as the agent types (HTMX fills a datalist from the lookup
    endpoint); without JavaScript an #id, an exact email or an exact name works just the same."""

    template_name = "custom_fields/widgets/lookup_input.html"

    def __init__(self, *, target: str, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.target = target

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if widget_attrs.get("id") and not widget_attrs.get("disabled"):
            suggestions = f"{widget_attrs['id']}_suggestions"
            widget_attrs.update(
                {
                    "list": suggestions,
                    "hx-get": reverse("custom_fields:lookup", args=[self.target]),
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": f"#{suggestions}",
                    "hx-swap": "innerHTML",  # never inherit the swap of a form it sits in
                    "hx-indicator": "this",
                    "hx-sync": "this:replace",
                    "hx-vals": json.dumps({"param": name}),
                }
            )
            context["widget"]["suggestions_id"] = suggestions
        return context


class CustomValueField(forms.Field):
    """A form field for one custom field: validates with `custom_field_clean`. A value left as it was
    stays, even if the field's rules changed since it was saved, so an unrelated edit never fails on it."""

    def __init__(self, *, custom_field: CustomField, account: Account, stored: Any, **kwargs):
        self.custom_field = custom_field
        self.account = account
        self.stored = stored
        super().__init__(**kwargs)

    def _unchanged(self, data: Any) -> bool:
        if self.stored is None or self.initial is None:
            return False
        if self.custom_field.type == FieldType.LOOKUP:  # the label may have changed, the record it names not
            return isinstance(data, str) and lookup_named_id(self.custom_field.lookup_target, data) == self.stored
        if isinstance(self.initial, list):
            return isinstance(data, list) and sorted(map(str, data)) == sorted(map(str, self.initial))
        return isinstance(data, str) and data.strip() == str(self.initial).strip()

    def clean(self, value):
        if self.disabled or self._unchanged(value):
            return self.stored
        return custom_field_clean(self.custom_field, value, account=self.account)

    def has_changed(self, initial, data):
        if self.disabled or self._unchanged(data):
            return False
        try:
            return custom_field_clean(self.custom_field, data, account=self.account) != self.stored
        except ValidationError:
            return True


def _widget_value(field: CustomField, stored: Any, label: str | None) -> Any:
    if stored is None:
        return None
    if field.type == FieldType.CHECKBOX:
        return stored is True
    if field.type == FieldType.MULTISELECT:
        return [str(v) for v in stored] if isinstance(stored, list) else [str(stored)]
    if field.type == FieldType.LOOKUP:
        return label or f"#{stored}"
    return str(stored)


def _widget(field: CustomField, initial: Any) -> forms.Widget:
    choices = [(o["value"], o["name"]) for o in field.options]
    # A value saved before its option was removed still shows, so saving the form doesn't silently drop it.
    known = {value for value, _name in choices}
    stale = [v for v in (initial if isinstance(initial, list) else [initial]) if v is not None and v not in known]
    choices += [(v, _("%(value)s (no longer an option)") % {"value": v}) for v in stale]
    match field.type:
        case FieldType.TEXTAREA:
            return forms.Textarea(attrs={"rows": 3, "maxlength": TEXTAREA_MAX_LENGTH})
        case FieldType.INTEGER:
            return forms.NumberInput(attrs={"step": "1"})
        case FieldType.DECIMAL:
            return forms.TextInput(attrs={"inputmode": "decimal"})
        case FieldType.CHECKBOX:
            return forms.CheckboxInput()
        case FieldType.DATE:
            return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        case FieldType.DROPDOWN:
            return forms.Select(choices=[("", "—"), *choices])
        case FieldType.MULTISELECT:
            return forms.CheckboxSelectMultiple(choices=choices)
        case FieldType.LOOKUP:
            return LookupInput(target=field.lookup_target)
        case FieldType.REGEXP:
            return forms.TextInput(attrs={"maxlength": REGEXP_VALUE_MAX_LENGTH})
    return forms.TextInput(attrs={"maxlength": TEXT_MAX_LENGTH})


LOOKUP_HELP = {
    FieldObject.USER: gettext_lazy("Type a name or an email address and pick a suggestion, or type an #id."),
    FieldObject.ORGANIZATION: gettext_lazy("Type an organization's name and pick a suggestion, or type an #id."),
    FieldObject.TICKET: gettext_lazy("Type words of a ticket's subject and pick a suggestion, or type an #id."),
}
# Why a field shown to an agent can't be edited: an admin made it read-only for agents.
READ_ONLY_HELP = gettext_lazy("Read-only: only an admin can change this field.")


def custom_field_form_field(
    field: CustomField,
    *,
    account: Account,
    initial: Any = None,
    role: str = Role.AGENT,
    lookup_label: str | None = None,
) -> CustomValueField:
    """The form field for `field` holding the stored value `initial`: the right widget, the admin's
    title and description, never required, disabled when `role` may only read it."""
    if field.type == FieldType.LOOKUP and initial is not None and lookup_label is None:
        lookup_label = (
            custom_field_lookup_labels(account=account, fields=[field], values=[{field.key: initial}])
            .get(field.lookup_target, {})
            .get(initial)
        )
    widget_initial = _widget_value(field, initial, lookup_label)
    writable = custom_field_writable_by(field, role)
    help_text = field.description
    if field.type == FieldType.LOOKUP and writable:
        help_text = " ".join(filter(None, [field.description, str(LOOKUP_HELP.get(field.lookup_target, ""))]))
    elif field.type == FieldType.REGEXP and writable and field.format_hint:
        help_text = " ".join(filter(None, [field.description, field.format_hint]))
    if not writable:
        help_text = " ".join(filter(None, [field.description, str(READ_ONLY_HELP)]))
    return CustomValueField(
        custom_field=field,
        account=account,
        stored=initial,
        label=field.title,
        help_text=help_text,
        required=False,
        initial=widget_initial,
        widget=_widget(field, widget_initial),
        disabled=not writable,
    )


def custom_fields_form_fields(
    account: Account,
    object_type: str,
    *,
    role: str,
    values: Mapping[str, Any] | None = None,
    fields: list[CustomField] | None = None,
    labels: dict[str, dict[int, str]] | None = None,
    read_labels: bool = True,
) -> dict[str, CustomValueField]:
    """Form fields, by form name (FORM_PREFIX + key), for the active fields `role` sees on one kind of
    record, in order, holding the record's `values`. Lookup labels cost one query per target kind, for
    those not in `labels` (a dict this fills in, for the next form to reuse); none without `read_labels`
    (a posted form that will not be shown as it is: lookups then read "#42")."""
    if fields is None:
        fields = custom_fields_visible(account=account, object_type=object_type, role=role)
    fields = [f for f in fields if custom_field_visible_to(f, role)]
    values = values or {}
    found = labels or {}
    if read_labels:
        found = custom_field_lookup_labels(account=account, fields=fields, values=[values], known=labels)
        if labels is not None:
            labels.update(found)
    labels = found
    return {
        FORM_PREFIX + f.key: custom_field_form_field(
            f,
            account=account,
            initial=values.get(f.key),
            role=role,
            lookup_label=_label(f, values.get(f.key), labels, read_labels),
        )
        for f in fields
    }


def _label(field: CustomField, value: Any, labels: dict, read_labels: bool) -> str | None:
    if field.type != FieldType.LOOKUP or value is None:
        return None
    return labels.get(field.lookup_target, {}).get(value) or (None if read_labels else f"#{value}")
