"""Admin-defined custom fields on users, organizations and tickets (B2, B3).

The pages that show or edit a record's custom fields use what this package exports: the fields a role
sees, a form field per field, the values a role may write, and how values (lookups included) read.
Definitions are written through `profiles.custom_fields.services`; lookups in `.lookups`.
"""

from profiles.custom_fields.form_fields import (
    CustomValueField,
    LookupInput,
    custom_field_form_field,
    custom_fields_form_fields,
)
from profiles.custom_fields.values import (
    FORM_PREFIX,
    custom_field_clean,
    custom_field_display,
    custom_field_get,
    custom_field_lookup_labels,
    custom_field_usage_count,
    custom_field_values_apply,
    custom_field_values_clean,
    custom_field_values_writable,
    custom_field_visible_to,
    custom_field_writable_by,
    custom_fields_of,
    custom_fields_visible,
)

__all__ = [
    "FORM_PREFIX",
    "CustomValueField",
    "LookupInput",
    "custom_field_clean",
    "custom_field_display",
    "custom_field_form_field",
    "custom_field_get",
    "custom_field_lookup_labels",
    "custom_field_usage_count",
    "custom_field_values_apply",
    "custom_field_values_clean",
    "custom_field_values_writable",
    "custom_field_visible_to",
    "custom_field_writable_by",
    "custom_fields_form_fields",
    "custom_fields_of",
    "custom_fields_visible",
]
