"""Access helpers: mail objects scoped to the user; another owner's id is a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from provisioning.mail.models import Alias, Mailbox, MailDomain


def get_domain_for_user(request, pk: int) -> MailDomain:
    queryset = MailDomain.objects.for_user(request.user).select_related("account", "server", "zone")
    return get_object_or_404(queryset, pk=pk)


def get_mailbox_for_user(request, pk: int) -> Mailbox:
    queryset = Mailbox.objects.for_user(request.user).select_related(
        "domain__account", "domain__server"
    )
    return get_object_or_404(queryset, pk=pk)


def get_alias_for_user(request, pk: int) -> Alias:
    queryset = Alias.objects.for_user(request.user).select_related("domain__account")
    return get_object_or_404(queryset, pk=pk)
