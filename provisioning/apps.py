from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        from provisioning.jobs import database_kinds  # noqa: F401 - registers the job kinds
        from provisioning.services.databases import register_usage_counters

        register_usage_counters()
