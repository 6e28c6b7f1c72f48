from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import dashboard, signals  # noqa: F401  (connects the receivers)

        dashboard.register()
