"""Managed servers (shared with monitoring, which imports only this package)."""
