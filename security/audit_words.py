"""Human words for audit actions and the kinds of things they concern.

Events keep their typed codes (`database.created`); pages show these sentences. An action
missing from the table still reads as words (`dns.zone_created` -> "DNS zone created"), so a
new event never shows a raw code; the table is for the ones a generated phrase says badly.
"""

from __future__ import annotations

from django.apps import apps

ACTIONS = {
    "account.created": "Hosting account created",
    "account.deleted": "Hosting account deleted",
    "account.quota_warning": "Quota warning emailed",
    "account.resumed": "Hosting account resumed",
    "account.suspended": "Hosting account suspended",
    "account.updated": "Hosting account changed",
    "api.credential_created": "API token created",
    "api.credential_revoked": "API token revoked",
    "auth.2fa_disabled": "Two-factor authentication turned off",
    "auth.2fa_enabled": "Two-factor authentication turned on",
    "auth.2fa_failed": "Wrong two-factor code",
    "auth.backup_code_used": "Signed in with a backup code",
    "auth.backup_codes_generated": "New backup codes made",
    "auth.email_marked_verified": "Email address marked confirmed by an administrator",
    "auth.email_verified": "Email address confirmed",
    "auth.locked_out": "Sign-in locked after too many failures",
    "auth.login_failed": "Failed sign-in",
    "auth.login_succeeded": "Signed in",
    "auth.logout": "Signed out",
    "auth.new_device": "Signed in from a new device",
    "auth.password_changed": "Password changed",
    "auth.password_reset": "Password reset",
    "auth.password_reset_requested": "Password reset asked for",
    "auth.session_expired": "Session ended by its time limit",
    "auth.session_revoked": "Session ended",
    "auth.sudo_failed": "Wrong password when confirming an action",
    "auth.sudo_granted": "Password confirmed for a sensitive action",
    "auth.verification_sent": "Confirmation email sent",
    "database.adopt": "Database adopted",
    "database.create": "Database requested",
    "database.created": "Database created",
    "database.delete": "Database deletion requested",
    "database.deleted": "Database deleted",
    "database.role_added": "Database role added",
    "database.role_password_reset": "Database role password reset",
    "database.role_removed": "Database role removed",
    "dns.dnssec_disabled": "DNSSEC turned off",
    "dns.dnssec_enabled": "DNSSEC turned on",
    "drift.checked": "Servers checked against the panel",
    "drift.database_recreated": "Missing database created again",
    "drift.stray_adopted": "Unknown database adopted",
    "drift.stray_dropped": "Unknown database or role dropped",
    "job.retried": "Job retried",
    "job.rollback_requested": "Job undo requested",
    "monitoring.agent_key_revoked": "Agent key revoked",
    "monitoring.agent_registered": "Agent registered",
    "monitoring.alert_closed": "Alert cleared",
    "monitoring.alert_opened": "Alert raised",
    "monitoring.alert_rule_updated": "Alert rule changed",
    "monitoring.enrolment_token_created": "Agent enrolment token made",
    "outbox.message_resent": "Email sent again",
    "user.admin_created": "Administrator created",
}

# Words a generated phrase should spell the way people write them.
WORDS = {"dns": "DNS", "dnssec": "DNSSEC", "api": "API", "2fa": "two-factor", "ip": "IP"}


def _words(text: str) -> str:
    return " ".join(WORDS.get(word, word) for word in text.replace("_", " ").split())


def humanize_code(code: str) -> str:
    """'dns.zone_created' -> 'DNS zone created'; 'database.create' -> 'Database create'."""
    subject, _, verb = code.partition(".")
    phrase = _words(verb)
    first = phrase.split()[0].lower() if phrase else ""
    if subject and first != _words(subject).lower():
        phrase = f"{_words(subject)} {phrase}".strip()
    return phrase[:1].upper() + phrase[1:] if phrase else ""


def action_words(code: str) -> str:
    return ACTIONS.get(code) or humanize_code(code)


def target_words(label: str) -> str:
    """A model label ('provisioning.database') as its verbose name ('database')."""
    if not label:
        return ""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return _words(label.rpartition(".")[2])
