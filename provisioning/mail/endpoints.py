"""Where customers' mail programs connect: host, ports and TLS of a mail server.

The server's `mail` settings may name them (hostname, imap_port, submission_port,
smtp_port, imap_tls, submission_tls); otherwise the defaults below apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Endpoints:
    hostname: str
    imap_port: int
    imap_tls: str  # "SSL/TLS", "STARTTLS" or "none" (the test stack on loopback)
    submission_port: int
    submission_tls: str
    smtp_port: int


def endpoints_for(server) -> Endpoints:
    config = server.settings_for("mail") if server is not None else {}
    return Endpoints(
        hostname=(config.get("hostname") or settings.MAIL_PUBLIC_HOSTNAME).rstrip("."),
        imap_port=(imap := int(config.get("imap_port") or 993)),
        imap_tls=config.get("imap_tls") or ("SSL/TLS" if imap == 993 else "STARTTLS"),
        submission_port=int(config.get("submission_port") or 587),
        submission_tls=config.get("submission_tls") or "STARTTLS",
        smtp_port=int(config.get("smtp_port") or 25),
    )
