from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    """Custom fields for users, organizations and tickets: definitions, values and their rules, form fields,
    lookups and the admin center's pages. It names the records it describes by string, so the apps that
    hold them (profiles, tickets) both use it and it imports neither."""

    name = "custom_fields"
