from django.apps import AppConfig


class DnsConfig(AppConfig):
    name = "provisioning.dns"
    label = "dns"
    verbose_name = "DNS hosting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import usage
        from provisioning.dns import rollout, steps  # noqa: F401 - registers the job kinds
        from provisioning.dns.quota import zones_used
        from provisioning.engine.backends import register_backend

        register_backend("dns", "provisioning.dns.backend.PowerDnsBackend")
        register_backend("dns-secondary", "provisioning.dns.secondary.BindSecondaryBackend")
        from provisioning.servers.signals import server_retired, server_roles_added

        usage.register_counter("dns_zones", zones_used)
        # A secondary that joins gets every zone; one that is retired has them taken off.
        server_roles_added.connect(rollout.on_roles_added, dispatch_uid="dns.push_zones")
        server_retired.connect(rollout.on_retired, dispatch_uid="dns.retire_zones")
