from django.apps import AppConfig


class PanelConfig(AppConfig):
    """The project package as an app: its management commands (migrate as the owner role,
    the one-process start-up of `make run`) and development-only pages."""

    name = "panel"
    verbose_name = "Panel"
