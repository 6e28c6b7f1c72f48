"""Drift: the mail database (domains, mailboxes, aliases) against the panel, and strays.

Read-only. `inventory()` of each mail server lists what it holds; anything active in the
panel but missing there is reported, and anything there the panel does not know is a
stray (with the account its domain belongs to, when the panel knows the domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.engine.backends import BackendError, get_backend
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import DriftRule, Finding
from provisioning.mail.models import Alias, Mailbox, MailDomain
from provisioning.servers.models import Server

KINDS = (("domains", "mail_domain"), ("mailboxes", "mailbox"), ("aliases", "mail_alias"))


@dataclass(frozen=True)
class MailDrift:
    server: Server
    kind: str  # mail_domain, mailbox, mail_alias
    label: str
    problem: str
    resource_id: int | None = None
    account: object | None = None


def _names(items) -> set[str]:
    """inventory() rows may be names or dicts with a name/address/source."""
    out = set()
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("address") or item.get("source") or ""
        out.add(str(item).lower())
    return out


def _panel(server: Server) -> dict[str, dict[str, object]]:
    active = ResourceState.ACTIVE
    domains = MailDomain.objects.filter(server=server).select_related("account")
    boxes = Mailbox.objects.filter(domain__server=server).select_related("domain__account")
    aliases = Alias.objects.filter(domain__server=server).select_related("domain__account")
    return {
        "domains": {d.name: d for d in domains if d.state == active},
        "mailboxes": {m.address: m for m in boxes if m.state == active},
        "aliases": {a.address: a for a in aliases if a.state == active},
        "_all": {
            *(d.name for d in domains),
            *(m.address for m in boxes),
            *(a.address for a in aliases),
        },
        "_accounts": {d.name: d.account for d in domains},
    }


def check_server(server: Server) -> list[MailDrift]:
    try:
        held = get_backend(server, "mail").inventory()
    except (BackendError, NotImplementedError) as exc:
        message = getattr(exc, "message", "") or "inventory not available"
        return [MailDrift(server, "mail_domain", server.name, f"Not checked: {message}")]
    panel = _panel(server)
    found: list[MailDrift] = []
    for key, kind in KINDS:
        there = _names(held.get(key, []))
        for name, row in sorted(panel[key].items()):
            if name not in there:
                found.append(MailDrift(server, kind, name, "Missing on the mail server.", row.pk))
        for name in sorted(there - panel["_all"]):
            account = panel["_accounts"].get(name.rpartition("@")[2])
            problem = "On the mail server, unknown to the panel (stray)."
            found.append(MailDrift(server, kind, name, problem, None, account))
    known = set(panel["mailboxes"]) | panel["_all"]
    for home in sorted(_names(held.get("maildirs", [])) - known):
        account = panel["_accounts"].get(home.rpartition("@")[2])
        problem = "A maildir with no mailbox in the panel (stray)."
        found.append(MailDrift(server, "maildir", home, problem, None, account))
    return found


def report() -> list[MailDrift]:
    return [
        drift
        for server in Server.objects.active().with_role("mail")
        for drift in check_server(server)
    ]


def findings() -> tuple[int, list[Finding]]:
    rows = [
        Finding(
            server=d.server,
            resource_id=d.resource_id,
            label=d.label[:255],
            problem=d.problem,
            account=d.account,
            kind=d.kind,
        )
        for d in report()
    ]
    checked = Mailbox.objects.filter(state=ResourceState.ACTIVE).count()
    return checked + MailDomain.objects.filter(state=ResourceState.ACTIVE).count(), rows


DRIFT_RULE = DriftRule(kind="mail_domain", check=findings)
