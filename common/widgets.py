"""Form widgets that Django's template-based rendering makes slow."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


class LargeSelect(forms.Select):
    """A <select> for long option lists (time zones: ~400 options in groups), built in Python rather than
    through one template render per option, which costs ~20 ms a page. A value the choices lack (stored
    before they changed) is shown first and selected, so saving the form keeps it."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = "" if value is None else str(value)
        found = False

        def option(key, label) -> str:
            nonlocal found
            chosen = str(key) == selected
            found = found or chosen
            return f'<option value="{escape(key)}"{" selected" if chosen else ""}>{escape(label)}</option>'

        parts = []
        for key, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(k, v) for k, v in label)
                parts.append(f'<optgroup label="{escape(key)}">{inner}</optgroup>')
            else:
                parts.append(option(key, label))
        if selected and not found:
            parts.insert(0, option(selected, selected))
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe("".join(parts)))  # noqa: S308
