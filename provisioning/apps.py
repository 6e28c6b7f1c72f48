from importlib import import_module

from django.apps import AppConfig

# Each kind's `steps` module declares its backend, job kinds and drift rule when imported.
KINDS = ("databases",)


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        for kind in KINDS:
            import_module(f"provisioning.{kind}.steps")
        from provisioning.databases.services import register_usage_counters

        register_usage_counters()
        from provisioning import dashboard

        dashboard.register()
