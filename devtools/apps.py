from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Developer tools (benchmarks): installed by development and test settings, never in production."""

    name = "devtools"
