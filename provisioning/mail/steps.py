"""Mail job kinds: steps on the mail server and, in the same saga, on the zone's DNS server.

Adding a domain whose zone is hosted here: the domain on the mail server, the records
(MX, SPF, DKIM, DMARC, autoconfig) published as a zone revision and checked over DNS,
then the DKIM key on the mail server (published before anything is signed with it). A
failure anywhere walks back across both servers.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction

from provisioning.dns import steps as dns_steps
from provisioning.dns.choices import RevisionState
from provisioning.dns.models import Record, Zone, ZoneRevision
from provisioning.engine.backends import BackendError
from provisioning.engine.choices import ResourceState
from provisioning.engine.drift import register_drift_rule
from provisioning.engine.models import ProvisioningJob
from provisioning.engine.registry import JobKind, Step, StepContext, register
from provisioning.mail.drift import DRIFT_RULE
from provisioning.mail.models import Alias, Mailbox, MailDomain, Vacation

SECRETS = ("dkim_private", "password_hash")

# --- the DNS half: the DNS kind's own steps, run on the zone of the mail domain ---------


def _zone_ctx(ctx: StepContext) -> StepContext:
    zone = Zone.objects.get(pk=ctx.resource.zone_id)
    return dataclasses.replace(ctx, resource=zone)


def _on_zone(func):
    def step(ctx: StepContext) -> None:
        func(_zone_ctx(ctx))

    step.__name__ = func.__name__
    return step


def _zone_server(job, domain):
    return domain.zone.server


publish = Step(
    "publish_dns",
    _on_zone(dns_steps.apply_change),
    _on_zone(dns_steps.restore_previous),
    role="dns",
    server=_zone_server,
)
verify = Step("verify_dns", _on_zone(dns_steps.verify_change), role="dns", server=_zone_server)


def _zone_outcome(job, applied: bool) -> None:
    revision = ZoneRevision.objects.filter(pk=job.params.get("revision")).first()
    if revision is None:
        return
    if applied:
        ZoneRevision.objects.filter(pk=revision.pk).update(state=RevisionState.APPLIED)
    else:
        ZoneRevision.objects.filter(pk=revision.pk).update(
            state=RevisionState.FAILED, error_message=job.error_message[:500]
        )
        _restore_working(revision)
    Zone.objects.filter(pk=revision.zone_id).update(state=ResourceState.ACTIVE)


def _restore_working(revision: ZoneRevision) -> None:
    """The records this revision added leave the working copy; the ones it removed return."""
    zone = revision.zone
    for name, rtype, _ttl, content in revision.diff.get("added", []):
        zone.records.filter(name=name, type=rtype, content=content).delete()
    have = {r.as_tuple() for r in zone.records.all()}
    Record.objects.bulk_create(
        Record(zone=zone, name=n, type=t, ttl=int(ttl), content=c)
        for n, t, ttl, c in revision.diff.get("removed", [])
        if (n, t, int(ttl), c) not in have
    )


def _wipe_secrets(job) -> None:
    """Hashes and private keys leave the panel's database once the job is over."""
    params = {k: v for k, v in job.params.items() if k not in SECRETS}
    if params != job.params:
        ProvisioningJob.objects.filter(pk=job.pk).update(params=params)


def _secret(ctx: StepContext, key: str) -> str:
    value = ctx.job.params.get(key)
    if not value:
        raise BackendError(
            "The secret this step needs is gone; start the change again.",
            detail=f"job param {key} was wiped",
        )
    return value


# --- mail domain steps ------------------------------------------------------------------


def add_domain(ctx: StepContext) -> None:
    ctx.backend.ensure_domain(ctx.resource.name)
    ctx.log(f"domain {ctx.resource.name} on the mail server")


def remove_domain(ctx: StepContext) -> None:
    ctx.backend.remove_domain(ctx.resource.name)
    ctx.log(f"domain {ctx.resource.name} removed from the mail server")


def domain_there(ctx: StepContext) -> bool:
    return ctx.backend.inspect_domain(ctx.resource.name) is not None


def add_dkim(ctx: StepContext) -> None:
    selector = ctx.job.params["selector"]
    ctx.backend.ensure_dkim_key(ctx.resource.name, selector, _secret(ctx, "dkim_private"))
    ctx.log(f"DKIM key {selector} installed")


def remove_dkim(ctx: StepContext) -> None:
    selector = ctx.job.params["selector"]
    ctx.backend.remove_dkim_key(ctx.resource.name, selector)
    ctx.log(f"DKIM key {selector} removed")


def remove_all_dkim(ctx: StepContext) -> None:
    for selector in ctx.job.params.get("selectors", []):
        ctx.backend.remove_dkim_key(ctx.resource.name, selector)
        ctx.log(f"DKIM key {selector} removed")


def domain_ready(job, domain) -> None:
    _zone_outcome(job, applied=True)
    _wipe_secrets(job)
    if domain is not None:
        MailDomain.objects.filter(pk=domain.pk).update(state=ResourceState.ACTIVE, error_message="")


def domain_failed(job, domain) -> None:
    _zone_outcome(job, applied=False)
    _wipe_secrets(job)
    if domain is not None:
        MailDomain.objects.filter(pk=domain.pk).update(
            state=ResourceState.FAILED, error_message=job.error_message[:500]
        )


def domain_gone(job, domain) -> None:
    _zone_outcome(job, applied=True)
    if domain is not None:
        with transaction.atomic():
            domain.delete()


def back_to_active(job, resource) -> None:
    _zone_outcome(job, applied=False)
    _wipe_secrets(job)
    if resource is not None:
        type(resource).objects.filter(pk=resource.pk).update(
            state=ResourceState.ACTIVE, error_message=job.error_message[:500]
        )


def rotated(job, domain) -> None:
    _zone_outcome(job, applied=True)
    _wipe_secrets(job)
    if domain is not None:
        from provisioning.mail.domains import retire_at

        MailDomain.objects.filter(pk=domain.pk).update(
            state=ResourceState.ACTIVE,
            error_message="",
            dkim_old_selector=domain.dkim_selector,
            dkim_old_txt=domain.dkim_txt,
            dkim_retire_at=retire_at(),
            dkim_selector=job.params["selector"],
            dkim_txt=job.params["txt"],
        )


def retired(job, domain) -> None:
    _zone_outcome(job, applied=True)
    if domain is not None:
        MailDomain.objects.filter(pk=domain.pk).update(
            state=ResourceState.ACTIVE,
            error_message="",
            dkim_old_selector="",
            dkim_old_txt="",
            dkim_retire_at=None,
        )


on_mail_domain = Step("ensure_domain", add_domain, remove_domain, domain_there)
dkim_key = Step("dkim_key", add_dkim, remove_dkim)

register(
    JobKind(
        name="mail_domain.create",
        role="mail",
        steps=[on_mail_domain, publish, verify, dkim_key],
        running_state=ResourceState.PENDING,
        on_done=domain_ready,
        on_failed=domain_failed,
    )
)
register(
    JobKind(
        name="mail_domain.create_external",
        role="mail",
        steps=[on_mail_domain, dkim_key],
        running_state=ResourceState.PENDING,
        on_done=domain_ready,
        on_failed=domain_failed,
    )
)
register(
    JobKind(
        name="mail_domain.rotate_dkim",
        role="mail",
        steps=[publish, verify, dkim_key],
        running_state=ResourceState.UPDATING,
        on_done=rotated,
        on_failed=back_to_active,
    )
)
register(
    JobKind(
        name="mail_domain.retire_dkim",
        role="mail",
        steps=[Step("remove_old_key", remove_dkim), publish, verify],
        running_state=ResourceState.UPDATING,
        on_done=retired,
        on_failed=back_to_active,
    )
)
register(
    JobKind(
        name="mail_domain.delete",
        role="mail",
        steps=[
            Step("remove_dkim_keys", remove_all_dkim),
            Step("remove_domain", remove_domain),
            publish,
            verify,
        ],
        running_state=ResourceState.DELETING,
        on_done=domain_gone,
        on_failed=back_to_active,
    )
)
register(
    JobKind(
        name="mail_domain.delete_external",
        role="mail",
        steps=[Step("remove_dkim_keys", remove_all_dkim), Step("remove_domain", remove_domain)],
        running_state=ResourceState.DELETING,
        on_done=domain_gone,
        on_failed=back_to_active,
    )
)

# --- mailboxes ----------------------------------------------------------------------------


def add_mailbox(ctx: StepContext) -> None:
    box = ctx.resource
    ctx.backend.ensure_mailbox(
        box.address, _secret(ctx, "password_hash"), box.quota_mb, active=not box.suspended
    )
    ctx.log(f"mailbox {box.address} ({box.quota_mb} MB)")


def remove_mailbox(ctx: StepContext) -> None:
    ctx.backend.remove_mailbox(ctx.resource.address)
    ctx.log(f"mailbox {ctx.resource.address} removed")


def mailbox_there(ctx: StepContext) -> bool:
    return ctx.backend.inspect_mailbox(ctx.resource.address) is not None


def mailbox_gone(ctx: StepContext) -> bool:
    return ctx.backend.inspect_mailbox(ctx.resource.address) is None


def send_limit(ctx: StepContext) -> None:
    limit = int(ctx.job.params.get("send_limit", 0))
    ctx.backend.set_send_limit(ctx.resource.address, limit)
    ctx.log(f"sending limited to {limit} messages an hour" if limit else "no sending limit")


def set_password(ctx: StepContext) -> None:
    ctx.backend.set_password(ctx.resource.address, _secret(ctx, "password_hash"))
    ctx.log("password changed")


def set_quota(ctx: StepContext) -> None:
    ctx.backend.set_quota(ctx.resource.address, int(ctx.job.params["quota_mb"]))
    ctx.log(f"quota {ctx.job.params['quota_mb']} MB")


def quota_applied(ctx: StepContext) -> bool:
    found = ctx.backend.inspect_mailbox(ctx.resource.address) or {}
    return int(found.get("quota_mb", -1)) == int(ctx.job.params["quota_mb"])


def set_active(ctx: StepContext) -> None:
    suspended = bool(ctx.job.params["suspended"])
    ctx.backend.set_active(ctx.resource.address, not suspended)
    ctx.log("suspended: login and delivery refused" if suspended else "active again")


def active_applied(ctx: StepContext) -> bool:
    found = ctx.backend.inspect_mailbox(ctx.resource.address) or {}
    return bool(found.get("active")) is not bool(ctx.job.params["suspended"])


def apply_vacation(ctx: StepContext) -> None:
    box = ctx.resource
    vacation = Vacation.objects.filter(mailbox=box).first()
    if ctx.job.params.get("enabled") and vacation is not None:
        ctx.backend.ensure_vacation(
            box.address, vacation.subject, vacation.body, vacation.start, vacation.end
        )
        ctx.log(f"auto-reply from {vacation.start or 'now'} to {vacation.end or 'open end'}")
    else:
        ctx.backend.remove_vacation(box.address)
        ctx.log("auto-reply removed")


def mailbox_ready(job, box) -> None:
    _wipe_secrets(job)
    if box is not None:
        Mailbox.objects.filter(pk=box.pk).update(state=ResourceState.ACTIVE, error_message="")


def mailbox_failed(job, box) -> None:
    _wipe_secrets(job)
    if box is not None:
        Mailbox.objects.filter(pk=box.pk).update(
            state=ResourceState.FAILED, error_message=job.error_message[:500]
        )


def quota_done(job, box) -> None:
    if box is not None:
        Mailbox.objects.filter(pk=box.pk).update(
            state=ResourceState.ACTIVE, error_message="", quota_mb=int(job.params["quota_mb"])
        )


def suspend_done(job, box) -> None:
    if box is not None:
        Mailbox.objects.filter(pk=box.pk).update(
            state=ResourceState.ACTIVE, error_message="", suspended=bool(job.params["suspended"])
        )


def mailbox_deleted(job, box) -> None:
    if box is not None:
        with transaction.atomic():
            Vacation.objects.filter(mailbox=box).delete()
            box.delete()


def _mailbox_kind(name: str, steps: list[Step], on_done, on_failed=back_to_active) -> None:
    register(
        JobKind(
            name=name,
            role="mail",
            steps=steps,
            running_state=ResourceState.UPDATING,
            on_done=on_done,
            on_failed=on_failed,
        )
    )


register(
    JobKind(
        name="mailbox.create",
        role="mail",
        steps=[
            Step("ensure_mailbox", add_mailbox, remove_mailbox, mailbox_there),
            Step("send_limit", send_limit),
        ],
        running_state=ResourceState.PENDING,
        on_done=mailbox_ready,
        on_failed=mailbox_failed,
    )
)
register(
    JobKind(
        name="mailbox.delete",
        role="mail",
        steps=[Step("remove_mailbox", remove_mailbox, inspect=mailbox_gone)],
        running_state=ResourceState.DELETING,
        on_done=mailbox_deleted,
        on_failed=back_to_active,
    )
)
_mailbox_kind("mailbox.password", [Step("set_password", set_password)], mailbox_ready)
_mailbox_kind("mailbox.quota", [Step("set_quota", set_quota, inspect=quota_applied)], quota_done)
_mailbox_kind(
    "mailbox.suspend", [Step("set_active", set_active, inspect=active_applied)], suspend_done
)
_mailbox_kind("mailbox.vacation", [Step("vacation", apply_vacation)], mailbox_ready)

# --- aliases ------------------------------------------------------------------------------


def add_alias(ctx: StepContext) -> None:
    alias = ctx.resource
    ctx.backend.ensure_alias(alias.address, list(alias.destinations))
    ctx.log(f"alias {alias.address} -> {', '.join(alias.destinations)}")


def remove_alias(ctx: StepContext) -> None:
    ctx.backend.remove_alias(ctx.resource.address)
    ctx.log(f"alias {ctx.resource.address} removed")


def alias_there(ctx: StepContext) -> bool:
    return ctx.backend.inspect_alias(ctx.resource.address) is not None


def alias_ready(job, alias) -> None:
    if alias is not None:
        Alias.objects.filter(pk=alias.pk).update(state=ResourceState.ACTIVE, error_message="")


def alias_failed(job, alias) -> None:
    if alias is not None:
        Alias.objects.filter(pk=alias.pk).update(
            state=ResourceState.FAILED, error_message=job.error_message[:500]
        )


def alias_gone(job, alias) -> None:
    if alias is not None:
        alias.delete()


register(
    JobKind(
        name="alias.create",
        role="mail",
        steps=[Step("ensure_alias", add_alias, remove_alias, alias_there)],
        running_state=ResourceState.PENDING,
        on_done=alias_ready,
        on_failed=alias_failed,
    )
)
register(
    JobKind(
        name="alias.delete",
        role="mail",
        steps=[Step("remove_alias", remove_alias)],
        running_state=ResourceState.DELETING,
        on_done=alias_gone,
        on_failed=back_to_active,
    )
)

register_drift_rule(DRIFT_RULE)
