"""Hearth monitoring agent: collectors, an on-disk buffer and a sender.

It imports nothing from the panel: it speaks HTTP and JSON only.
"""

__version__ = "0.1.0"
