"""Hearth monitoring agent: collectors, an on-disk buffer and a sender. Imports nothing from the panel."""

__version__ = "0.1.0"
