"""Customers' mail pages: domains (records and their status), mailboxes, aliases, auto-reply."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import customer_required
from accounts.usage import usage_for
from panel.pagination import paginate
from provisioning.engine.models import ProvisioningJob
from provisioning.exceptions import ProvisioningError
from provisioning.mail import aliases, check, domains, mailboxes
from provisioning.mail.access import get_alias_for_user, get_domain_for_user, get_mailbox_for_user
from provisioning.mail.endpoints import endpoints_for
from provisioning.mail.forms import (
    AliasCreateForm,
    DomainCreateForm,
    MailboxCreateForm,
    PasswordForm,
    QuotaForm,
    VacationForm,
)
from provisioning.mail.models import MailDomain
from provisioning.mail.usage import refresh
from provisioning.ui import confirm_delete, form_error, posted, toast_error
from security.verification import require_verified_email

QUOTA_KEYS = ("mail_domains", "mailboxes", "mail_quota_mb")


def _confirm_delete(request, **kwargs):
    """Mail's delete pages share one template and answer 422 while the typed name is wrong."""
    kwargs.setdefault("template", "mail/confirm_delete.html")
    return confirm_delete(request, invalid_status=422, **kwargs)


@customer_required
def domain_list(request):
    rows = MailDomain.objects.for_user(request.user).order_by("name")
    context = {
        "page": paginate(request, rows),
        "usage": usage_for(request.user.hosting_account, keys=QUOTA_KEYS),
    }
    return render(request, "mail/domain_list.html", context)


@customer_required
@require_verified_email
def domain_create(request):
    form = DomainCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            domain = domains.create_domain(
                request.user.hosting_account,
                form.cleaned_data["name"],
                dmarc_policy=form.cleaned_data["dmarc_policy"],
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{domain} is being set up.")
            return redirect("mail:domain_detail", pk=domain.pk)
    return render(
        request, "mail/domain_form.html", {"form": form}, status=422 if form.errors else 200
    )


def _domain_context(request, domain: MailDomain, **extra) -> dict:
    boxes = list(domain.mailboxes.all())
    return {
        "domain": domain,
        "records": check.expected(domain),
        "mailboxes": boxes,
        "aliases": domain.aliases.all(),
        "endpoints": endpoints_for(domain.server),
        "job": ProvisioningJob.objects.for_resource(domain).prefetch_related("steps").first(),
        "mailbox_form": MailboxCreateForm(),
        "alias_form": AliasCreateForm(),
        **extra,
    }


def domain_detail(request, pk: int):
    domain = get_domain_for_user(request, pk)
    return render(request, "mail/domain_detail.html", _domain_context(request, domain))


@require_POST
def domain_check(request, pk: int):
    domain = get_domain_for_user(request, pk)
    context = _domain_context(request, domain, records=check.check(domain), checked=True)
    return render(request, "mail/domain_detail.html", context)


def domain_delete(request, pk: int):
    domain = get_domain_for_user(request, pk)
    return _confirm_delete(
        request,
        expected=domain.display_name,
        delete=lambda: domains.delete_domain(domain, actor=request.user),
        success=f"{domain} is being deleted.",
        done=reverse("mail:domain_list"),
        context={"domain": domain, "what": "domain"},
    )


@require_POST
def domain_rotate_dkim(request, pk: int):
    domain = get_domain_for_user(request, pk)
    try:
        domains.rotate_dkim(domain, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, "A new DKIM key is being published; the old one retires later.")
    return redirect("mail:domain_detail", pk=domain.pk)


@require_verified_email
def mailbox_create(request, pk: int):
    domain = get_domain_for_user(request, pk)
    form = MailboxCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            box, password = mailboxes.create_mailbox(
                domain,
                form.cleaned_data["local_part"],
                quota_mb=form.cleaned_data["quota_mb"],
                password=form.cleaned_data["password"] or None,
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            return _show_password(request, box, password)
    context = _domain_context(request, domain, mailbox_form=form)
    return render(request, "mail/domain_detail.html", context, status=422 if form.errors else 200)


def _show_password(request, box, password: str):
    """The password is in this one response and nowhere else (the page is not cached)."""
    context = {"mailbox": box, "password": password, "endpoints": endpoints_for(box.domain.server)}
    return render(request, "mail/password_shown.html", context)


def mailbox_detail(request, pk: int):
    box = get_mailbox_for_user(request, pk)
    if request.GET.get("refresh") == "usage":
        refresh([box])
    vacation = getattr(box, "vacation", None)
    context = {
        "mailbox": box,
        "domain": box.domain,
        "endpoints": endpoints_for(box.domain.server),
        "password_form": PasswordForm(),
        "quota_form": QuotaForm(initial={"quota_mb": box.quota_mb}),
        "vacation": vacation,
        "vacation_form": VacationForm(
            initial=vacation.__dict__ if vacation else {"subject": "Out of office"}
        ),
        "job": ProvisioningJob.objects.for_resource(box).prefetch_related("steps").first(),
    }
    return render(request, "mail/mailbox_detail.html", context)


def _mailbox_form_post(request, pk: int, form_class, action):
    box = get_mailbox_for_user(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = action(box, form.cleaned_data)
        except ProvisioningError as exc:
            toast_error(request, exc)
        else:
            if isinstance(result, str):
                return _show_password(request, box, result)
            messages.success(request, f"{box} is being updated.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("mail:mailbox_detail", pk=box.pk)


@require_POST
def mailbox_password(request, pk: int):
    def action(box, data):
        return mailboxes.change_password(box, data["password"] or None, actor=request.user)

    return _mailbox_form_post(request, pk, PasswordForm, action)


@require_POST
def mailbox_quota(request, pk: int):
    def action(box, data):
        return mailboxes.change_quota(box, data["quota_mb"], actor=request.user)

    return _mailbox_form_post(request, pk, QuotaForm, action)


@require_POST
def mailbox_vacation(request, pk: int):
    if request.POST.get("clear"):
        box = get_mailbox_for_user(request, pk)
        try:
            mailboxes.clear_vacation(box, actor=request.user)
        except ProvisioningError as exc:
            toast_error(request, exc)
        return redirect("mail:mailbox_detail", pk=box.pk)

    def action(box, data):
        return mailboxes.set_vacation(
            box,
            subject=data["subject"],
            body=data["body"],
            start=data["start"],
            end=data["end"],
            actor=request.user,
        )

    return _mailbox_form_post(request, pk, VacationForm, action)


def mailbox_delete(request, pk: int):
    box = get_mailbox_for_user(request, pk)
    return _confirm_delete(
        request,
        expected=box.address,
        delete=lambda: mailboxes.delete_mailbox(box, actor=request.user),
        success=f"{box} is being deleted with all its mail.",
        done=reverse("mail:domain_detail", args=[box.domain_id]),
        context={"domain": box.domain, "object": box, "what": "mailbox"},
    )


@require_POST
@require_verified_email
def alias_create(request, pk: int):
    domain = get_domain_for_user(request, pk)
    form = AliasCreateForm(request.POST)
    if form.is_valid():
        try:
            alias = aliases.create_alias(
                domain,
                form.cleaned_data["local_part"],
                form.cleaned_data["destinations"],
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{alias} is being set up.")
            return redirect("mail:domain_detail", pk=domain.pk)
    context = _domain_context(request, domain, alias_form=form)
    return render(request, "mail/domain_detail.html", context, status=422)


def alias_delete(request, pk: int):
    alias = get_alias_for_user(request, pk)
    return _confirm_delete(
        request,
        expected=alias.address,
        delete=lambda: aliases.delete_alias(alias, actor=request.user),
        success=f"{alias} is being removed.",
        done=reverse("mail:domain_detail", args=[alias.domain_id]),
        context={"domain": alias.domain, "object": alias, "what": "alias"},
        needs_sudo=False,
    )
