"""Provisioning services: every state change lives here (see the submodules)."""
