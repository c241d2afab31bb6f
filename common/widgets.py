"""Form widgets that Django's template-based rendering makes slow."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


class LargeSelect(forms.Select):
    """A <select> for long, flat option lists (time zones: ~600 options), built in Python rather than
    through one template render per option, which costs ~20 ms a page."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) == selected else ""}>{escape(label)}</option>'
            for key, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308
