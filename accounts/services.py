"""Every state change of users, plans and hosting accounts, each with its audit event."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.choices import AccountStatus, Role
from accounts.exceptions import AccountsError, PlanInUse
from accounts.models import HostingAccount, Plan, User
from security import audit, verification
from security.password_generator import generate_password


@transaction.atomic
def create_admin(email: str, *, password: str | None = None, display_name: str = "", actor=None):
    """Create a panel administrator; returns (user, password)."""
    password = password or generate_password()
    user = User.objects.create_user(
        email,
        password,
        display_name=display_name,
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
        # An administrator created by an operator chose their own address.
        email_verified_at=timezone.now(),
    )
    audit.record(actor, "user.admin_created", target=user)
    return user, password


@transaction.atomic
def create_customer(
    *,
    name: str,
    email: str,
    prefix: str,
    plan: Plan,
    display_name: str = "",
    password: str | None = None,
    actor,
) -> tuple[HostingAccount, str]:
    """Create a customer user and their hosting account; returns (account, password)."""
    if User.objects.filter(email__iexact=email).exists():
        raise AccountsError(f"A user with the email {email} already exists.")
    if HostingAccount.objects.filter(prefix=prefix).exists():
        raise AccountsError(f"The prefix {prefix!r} is already taken.")
    password = password or generate_password()
    user = User.objects.create_user(email, password, display_name=display_name)
    account = HostingAccount.objects.create(name=name, prefix=prefix, owner=user, plan=plan)
    audit.record(actor, "account.created", target=account, email=email, plan=plan.name)
    # The owner proves the address is theirs by clicking the emailed link (sent on commit).
    verification.send_verification(user, actor=actor)
    return account, password


@transaction.atomic
def update_account(account: HostingAccount, *, name: str, plan: Plan, actor) -> HostingAccount:
    # The diff is taken against the stored row, not ACCOUNT: a bound ModelForm has already
    # written the new values onto the instance it was given.
    stored = HostingAccount.objects.select_for_update().select_related("plan").get(pk=account.pk)
    changes = {}
    if stored.name != name:
        changes["name"] = {"old": stored.name, "new": name}
    if stored.plan_id != plan.pk:
        changes["plan"] = {"old": stored.plan.name, "new": plan.name}
    account.name, account.plan = name, plan
    account.save(update_fields=["name", "plan", "updated_at"])
    if changes:
        audit.record(actor, "account.updated", target=account, changes=changes)
    return account


@transaction.atomic
def _set_status(account: HostingAccount, status: str, action: str, actor) -> HostingAccount:
    account = HostingAccount.objects.select_for_update().get(pk=account.pk)
    if account.status == status:
        return account
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    # A suspended customer cannot log in; resuming lets them back.
    User.objects.filter(pk=account.owner_id).update(is_active=status == AccountStatus.ACTIVE)
    audit.record(actor, action, target=account)
    return account


def suspend_account(account: HostingAccount, *, actor) -> HostingAccount:
    return _set_status(account, AccountStatus.SUSPENDED, "account.suspended", actor)


def resume_account(account: HostingAccount, *, actor) -> HostingAccount:
    return _set_status(account, AccountStatus.ACTIVE, "account.resumed", actor)


@transaction.atomic
def delete_account(account: HostingAccount, *, actor) -> None:
    """Delete a hosting account and its owner user."""
    owner = account.owner
    audit.record(actor, "account.deleted", target=account, email=owner.email)
    try:
        with transaction.atomic():
            account.delete()
    except ProtectedError as exc:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise AccountsError(
            f"{account.name} still has {', '.join(kinds)}; delete them first."
        ) from None
    owner.delete()


@transaction.atomic
def save_plan(plan: Plan, *, actor) -> Plan:
    """Create or update a plan (the form has already validated its fields)."""
    created = plan.pk is None
    plan.save()
    audit.record(actor, "plan.created" if created else "plan.updated", target=plan)
    return plan


@transaction.atomic
def delete_plan(plan: Plan, *, actor) -> None:
    if plan.accounts.exists():
        raise PlanInUse(
            f"The plan {plan.name} is used by {plan.accounts.count()} account(s); "
            "move them to another plan first."
        )
    audit.record(actor, "plan.deleted", target=plan)
    plan.delete()
