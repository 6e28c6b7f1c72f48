"""Mailboxes: create (password chosen or generated, shown once), password, quota, suspend,
auto-reply, delete. The password's hash travels to the mail server in the job only."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction

from provisioning.engine.choices import ResourceState
from provisioning.engine.jobs import create_job
from provisioning.exceptions import QuotaExceeded
from provisioning.mail import names
from provisioning.mail.common import (
    MailRefused,
    check_actor,
    check_idle,
    generate_password,
    lock_account,
    name_or_refuse,
)
from provisioning.mail.models import Alias, Mailbox, MailDomain, Vacation
from provisioning.mail.passwords import hash_password
from provisioning.mail.quota import mail_quota_used_mb, mailboxes_used
from security import audit

MB = 1024 * 1024


def _job(kind: str, mailbox: Mailbox, actor, **params) -> None:
    create_job(
        kind,
        mailbox,
        server=mailbox.domain.server,
        account=mailbox.domain.account,
        actor=actor,
        lock_scope=mailbox.lock_scope,
        params=params,
    )


def _password(plain: str | None, actor) -> tuple[str, bool]:
    if not plain:
        return generate_password(), True
    name_or_refuse(names.password, plain, "password", user=None)
    return plain, False


def _check_quota(account, quota_mb: int, *, exclude: int | None = None) -> None:
    if quota_mb < 1:
        raise MailRefused("The quota is at least 1 MB.", field="quota_mb")
    total = account.plan.mail_quota_mb
    used = mail_quota_used_mb(account, exclude=exclude)
    if used + quota_mb > total:
        left = max(0, total - used)
        raise QuotaExceeded(
            f"Your plan allows {total} MB of mail in all; {left} MB are left to give out."
        )


@transaction.atomic
def create_mailbox(
    domain: MailDomain,
    local_part: str,
    *,
    quota_mb: int | None = None,
    password: str | None = None,
    actor,
) -> tuple[Mailbox, str]:
    """Returns (mailbox, password): the password is shown once and never stored."""
    account = lock_account(domain.account)
    check_actor(account, actor)
    domain = MailDomain.objects.select_related("server", "account").get(pk=domain.pk)
    if domain.state != ResourceState.ACTIVE:
        raise MailRefused(f"{domain} is not ready yet; wait until it is active.")
    local = name_or_refuse(names.local_part, local_part, "local_part")
    address = f"{local}@{domain.name}"
    if len(address.encode()) > names.MAX_ADDRESS:
        raise MailRefused(
            f"An address is at most {names.MAX_ADDRESS} bytes long.", field="local_part"
        )
    if Mailbox.objects.filter(address=address).exists():
        raise MailRefused(f"The mailbox {address} already exists.", field="local_part")
    if Alias.objects.filter(address=address).exists():
        raise MailRefused(f"{address} is already an alias.", field="local_part")
    if mailboxes_used(account) >= account.plan.max_mailboxes:
        raise QuotaExceeded(
            f"Your plan allows {account.plan.max_mailboxes} mailboxes and you have used them all."
        )
    quota_mb = settings.MAIL_DEFAULT_QUOTA_MB if quota_mb is None else quota_mb
    _check_quota(account, quota_mb)
    plain, _generated = _password(password, actor)
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(
                domain=domain, local_part=local, address=address, quota_mb=quota_mb
            )
    except IntegrityError:
        raise MailRefused(f"The mailbox {address} already exists.", field="local_part") from None
    _job(
        "mailbox.create",
        mailbox,
        actor,
        password_hash=hash_password(plain),
        send_limit=account.plan.mail_send_limit_per_hour,
    )
    audit.record(actor, "mail.mailbox_created", target=mailbox, quota_mb=quota_mb)
    return mailbox, plain


def lock_mailbox(mailbox: Mailbox) -> Mailbox:
    mailbox = (
        Mailbox.objects.select_for_update()
        .select_related("domain__server", "domain__account__plan")
        .get(pk=mailbox.pk)
    )
    check_idle(mailbox, str(mailbox))
    return mailbox


def _updating(mailbox: Mailbox) -> None:
    mailbox.state, mailbox.error_message = ResourceState.UPDATING, ""
    mailbox.save(update_fields=["state", "error_message", "updated_at"])


@transaction.atomic
def change_password(mailbox: Mailbox, password: str | None = None, *, actor) -> str:
    mailbox = lock_mailbox(mailbox)
    check_actor(mailbox.domain.account, actor)
    plain, _generated = _password(password, actor)
    _updating(mailbox)
    _job("mailbox.password", mailbox, actor, password_hash=hash_password(plain))
    audit.record(actor, "mail.password_changed", target=mailbox)
    return plain


@transaction.atomic
def change_quota(mailbox: Mailbox, quota_mb: int, *, actor) -> Mailbox:
    mailbox = lock_mailbox(mailbox)
    account = lock_account(mailbox.domain.account)
    check_actor(account, actor)
    _check_quota(account, quota_mb, exclude=mailbox.pk)
    if quota_mb * MB < mailbox.used_bytes:
        raise MailRefused(
            f"{mailbox} already holds {mailbox.used_mb} MB; the quota cannot be lower.",
            field="quota_mb",
        )
    _updating(mailbox)
    _job("mailbox.quota", mailbox, actor, quota_mb=quota_mb)
    audit.record(actor, "mail.quota_changed", target=mailbox, old=mailbox.quota_mb, new=quota_mb)
    return mailbox


@transaction.atomic
def set_suspended(mailbox: Mailbox, suspended: bool, *, actor) -> Mailbox:
    """Admins: a suspended mailbox refuses logins and delivery; its mail is kept."""
    mailbox = lock_mailbox(mailbox)
    if mailbox.suspended == suspended:
        raise MailRefused(f"{mailbox} is already {'suspended' if suspended else 'active'}.")
    _updating(mailbox)
    _job("mailbox.suspend", mailbox, actor, suspended=suspended)
    action = "mail.mailbox_suspended" if suspended else "mail.mailbox_unsuspended"
    audit.record(actor, action, target=mailbox)
    return mailbox


@transaction.atomic
def set_vacation(
    mailbox: Mailbox,
    *,
    subject: str,
    body: str,
    start: date | None,
    end: date | None,
    actor,
) -> Vacation:
    mailbox = lock_mailbox(mailbox)
    subject = name_or_refuse(
        names.single_line, subject, "subject", what="The subject", max_length=200
    )
    body = name_or_refuse(names.body_text, body, "body", what="The message", max_length=4000)
    if not subject.strip() or not body.strip():
        raise MailRefused("Enter a subject and a message.", field="body")
    if start and end and end < start:
        raise MailRefused("The auto-reply cannot end before it starts.", field="end")
    vacation, _ = Vacation.objects.update_or_create(
        mailbox=mailbox, defaults={"subject": subject, "body": body, "start": start, "end": end}
    )
    _updating(mailbox)
    _job("mailbox.vacation", mailbox, actor, enabled=True)
    audit.record(actor, "mail.vacation_set", target=mailbox, start=str(start), end=str(end))
    return vacation


@transaction.atomic
def clear_vacation(mailbox: Mailbox, *, actor) -> None:
    mailbox = lock_mailbox(mailbox)
    if not Vacation.objects.filter(mailbox=mailbox).exists():
        raise MailRefused(f"{mailbox} has no auto-reply.")
    Vacation.objects.filter(mailbox=mailbox).delete()
    _updating(mailbox)
    _job("mailbox.vacation", mailbox, actor, enabled=False)
    audit.record(actor, "mail.vacation_cleared", target=mailbox)


@transaction.atomic
def delete_mailbox(mailbox: Mailbox, *, actor) -> Mailbox:
    mailbox = (
        Mailbox.objects.select_for_update().select_related("domain__server").get(pk=mailbox.pk)
    )
    if mailbox.is_busy:
        raise MailRefused(f"{mailbox} is {mailbox.get_state_display().lower()}; wait for it.")
    mailbox.state, mailbox.error_message = ResourceState.DELETING, ""
    mailbox.save(update_fields=["state", "error_message", "updated_at"])
    _job("mailbox.delete", mailbox, actor)
    audit.record(actor, "mail.mailbox_deleted", target=mailbox)
    return mailbox
