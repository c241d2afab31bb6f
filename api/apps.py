from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The integrations API (Zendesk's API v2 shapes): its URLs, JSON in and out, token authentication,
    and the events integrated apps send, through the API or a history import."""

    name = "api"
