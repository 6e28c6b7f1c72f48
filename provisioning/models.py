"""Django finds the provisioning app's models here: engine, servers and databases keep their own,
this module imports them (one migration history). DNS and mail are apps of their own.
"""

from provisioning.databases.models import Database, DatabaseRole
from provisioning.engine.models import DriftFinding, DriftReport, JobStep, ProvisioningJob
from provisioning.servers.models import Server, ServerQuerySet

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
