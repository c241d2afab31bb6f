"""The admin center's form for defining a custom field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from custom_fields.models import AgentAccess, CustomField, FieldObject, FieldType
from custom_fields.services import KEY_MAX_LENGTH, option_value_from_name
from custom_fields.values import PATTERN_MAX_LENGTH

AGENT_ACCESS_HELP = {
    AgentAccess.EDITABLE: _("Agents see it and can change it."),
    AgentAccess.READ_ONLY: _("Agents see it but only admins can change it."),
    AgentAccess.HIDDEN: _("Only admins see it and can change it."),
}


def options_from_text(text: str, *, existing: list[dict] = ()) -> list[dict]:
    """Options from the editor's lines, "Name" or "Name | value". A line without a value keeps the value
    of the existing option of that name, so renaming one option never changes another's stored value."""
    known = {o["name"].casefold(): o["value"] for o in existing}
    options = []
    for line in text.splitlines():
        name, separator, value = line.rpartition("|") if "|" in line else (line, "", "")
        name = " ".join(name.split())
        if not name and not value.strip():
            continue
        value = value.strip() if separator else known.get(name.casefold()) or option_value_from_name(name)
        options.append({"name": name, "value": value})
    return options


def options_to_text(options: list[dict]) -> str:
    """The editor's lines for `options`; a value shows only where it isn't the one its name would give."""
    return "\n".join(
        o["name"] if o["value"] == option_value_from_name(o["name"]) else f"{o['name']} | {o['value']}" for o in options
    )


class CustomFieldForm(forms.Form):
    """Title, key (only when creating), description, type and its settings, and what agents may do."""

    title = forms.CharField(
        label=_("Title"), max_length=255, help_text=_("The label agents see beside the field."), strip=True
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=KEY_MAX_LENGTH,
        required=False,
        help_text=_(
            "How integrations and the API name this field: lowercase letters, digits and underscores. "
            "Left empty, it is made from the title. It can't change later."
        ),
        widget=forms.TextInput(attrs={"class": "mono", "spellcheck": "false", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        help_text=_("Shown under the field to help agents fill it in."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=50_000,
        help_text=_(
            "For drop-down and multi-select fields: one option per line, in the order agents see them. "
            "To choose the value stored, write it after a bar: “Gold customer | gold”."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    regexp = forms.CharField(
        label=_("Pattern"),
        required=False,
        max_length=PATTERN_MAX_LENGTH,
        help_text=_(
            "For regular expression fields: the whole value must match it, e.g. [A-Z]{3}-[0-9]{4} for ABC-1234."
        ),
        widget=forms.TextInput(attrs={"class": "mono", "spellcheck": "false", "autocomplete": "off"}),
    )
    format_hint = forms.CharField(
        label=_("Format hint"),
        required=False,
        max_length=200,
        help_text=_(
            "What a valid value looks like, in words people understand, e.g. “Format: ABC-1234”. Shown when a "
            "value doesn't match; the pattern itself never is."
        ),
    )
    lookup_target = forms.ChoiceField(
        label=_("Points to"),
        required=False,
        choices=[("", "—"), *FieldObject.choices],
        help_text=_("For lookup relationship fields: the kind of record a value names."),
    )
    agent_access = forms.ChoiceField(
        label=_("Agents"), choices=AgentAccess.choices, initial=AgentAccess.EDITABLE, widget=forms.RadioSelect
    )

    def __init__(self, *args, field: CustomField | None = None, **kwargs):
        self.field = field
        if field is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": field.title,
                    "description": field.description,
                    "type": field.type,
                    "options": options_to_text(field.options),
                    "regexp": field.regexp,
                    "format_hint": field.format_hint,
                    "lookup_target": field.lookup_target,
                    "agent_access": field.agent_access,
                },
            )
        super().__init__(*args, **kwargs)
        if field is not None:
            del self.fields["key"]  # values are stored under it, so it is shown but never edited

    def clean_options(self) -> list[dict]:
        existing = self.field.options if self.field is not None else []
        return options_from_text(self.cleaned_data["options"], existing=existing)

    def definition(self) -> dict:
        """The cleaned values as the services take them."""
        names = (
            "title",
            "key",
            "description",
            "type",
            "options",
            "regexp",
            "format_hint",
            "lookup_target",
            "agent_access",
        )
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's refusal next to the input it is about."""
        for name, messages in error.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)
