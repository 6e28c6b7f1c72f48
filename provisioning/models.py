"""Django finds provisioning's models here: each kind keeps its own, this module imports them.

A new kind (DNS, mail) adds one import line; the migration history stays the app's one.
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
