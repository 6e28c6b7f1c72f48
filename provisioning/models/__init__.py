from provisioning.models.databases import Database, DatabaseRole
from provisioning.models.drift import DriftFinding, DriftReport
from provisioning.models.jobs import JobStep, ProvisioningJob
from provisioning.models.servers import Server, ServerQuerySet

__all__ = [
    "Database",
    "DatabaseRole",
    "DriftFinding",
    "DriftReport",
    "JobStep",
    "ProvisioningJob",
    "Server",
    "ServerQuerySet",
]
