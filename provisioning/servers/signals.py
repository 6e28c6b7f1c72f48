"""Signals provisioning sends for other apps to act on (monitoring imports provisioning,
never the other way round): sent explicitly by services, never from model saves."""

from django.dispatch import Signal

# Sent by `retire_server` inside its transaction, with `server` and `actor`.
server_retired = Signal()

# Sent by `save_server` inside its transaction when a server gains roles (or is created with
# them), with `server`, `roles` (the roles added) and `actor`.
server_roles_added = Signal()
