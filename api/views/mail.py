"""Mail domains, mailboxes, aliases and auto-replies: thin calls into provisioning.mail."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from api import mail_serializers as s
from api.idempotency import idempotent
from api.permissions import may_create, restrict
from api.serializers import Accepted
from api.views.base import ApiViewSet, RetrieveWithETag, accepted_job, account_of
from panel.errors import NotFound
from provisioning.mail import aliases, check, domains, mailboxes
from provisioning.mail.models import Alias, Mailbox, MailDomain


def _domain(request, pk) -> MailDomain:
    queryset = restrict(request, "mail", MailDomain.objects.for_user(request.user))
    domain = queryset.select_related("account", "server", "zone").filter(pk=pk).first()
    if domain is None:
        raise NotFound()
    return domain


def _in_allowed_domains(request, queryset):
    """A token restricted to some mail domains sees only their mailboxes and aliases."""
    allowed = restrict(request, "mail", MailDomain.objects.all()).values("pk")
    return queryset.filter(domain__in=allowed)


def _accepted_box(request, box: Mailbox, password=None):
    box.refresh_from_db()
    body = {"mailbox": s.MailboxSerializer(box).data, "password": password}
    return accepted_job(request, box, body)


class MailDomainViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "mail"
    serializer_class = s.MailDomainSerializer
    queryset = MailDomain.objects.none()
    filter_fields = {"state": "state", "name": "name"}

    def get_base_queryset(self):
        return MailDomain.objects.for_user(self.request.user).select_related("server")

    @extend_schema(request=s.MailDomainCreateSerializer, responses={202: s.MailDomainAccepted})
    @idempotent
    def create(self, request):
        may_create(request, self.scope_kind)
        data = s.MailDomainCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = domains.create_domain(
            account_of(request),
            data.validated_data["name"],
            dmarc_policy=data.validated_data["dmarc_policy"],
            actor=request.user,
        )
        return accepted_job(request, domain, {"domain": s.MailDomainSerializer(domain).data})

    @extend_schema(request=None, responses={202: Accepted})
    def destroy(self, request, pk=None):
        domain = domains.delete_domain(self.get_object(), actor=request.user)
        return accepted_job(request, domain)

    @extend_schema(request=None, responses={200: s.RecordStatusSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def records(self, request, pk=None):
        """The records the domain needs; `?check=1` also asks DNS whether they are there."""
        domain = self.get_object()
        rows = check.check(domain) if request.query_params.get("check") else check.expected(domain)
        return Response(s.RecordStatusSerializer(rows, many=True).data)

    @extend_schema(request=None, responses={202: Accepted})
    @action(detail=True, methods=["post"], url_path="rotate-dkim")
    def rotate_dkim(self, request, pk=None):
        domain = domains.rotate_dkim(self.get_object(), actor=request.user)
        return accepted_job(request, domain)


class MailboxViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "mail"
    serializer_class = s.MailboxSerializer
    queryset = Mailbox.objects.none()
    filter_fields = {"domain": "domain_id", "state": "state", "address": "address"}

    def get_base_queryset(self):
        return Mailbox.objects.for_user(self.request.user).select_related("domain__server")

    def get_queryset(self):
        return _in_allowed_domains(self.request, super().get_queryset())

    @extend_schema(request=s.MailboxCreateSerializer, responses={202: s.MailboxAccepted})
    @idempotent
    def create(self, request):
        data = s.MailboxCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = _domain(request, data.validated_data["domain"])
        box, password = mailboxes.create_mailbox(
            domain,
            data.validated_data["local_part"],
            quota_mb=data.validated_data.get("quota_mb"),
            password=data.validated_data.get("password") or None,
            actor=request.user,
        )
        return _accepted_box(request, box, password)

    @extend_schema(request=None, responses={202: Accepted})
    def destroy(self, request, pk=None):
        box = mailboxes.delete_mailbox(self.get_object(), actor=request.user)
        return accepted_job(request, box)

    @extend_schema(request=s.MailPasswordSerializer, responses={202: s.MailboxAccepted})
    @action(detail=True, methods=["post"], url_path="password")
    def password(self, request, pk=None):
        box = self.get_object()
        data = s.MailPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plain = mailboxes.change_password(
            box, data.validated_data.get("password") or None, actor=request.user
        )
        return _accepted_box(request, box, plain)

    @extend_schema(request=s.QuotaSerializer, responses={202: s.MailboxAccepted})
    @action(detail=True, methods=["post"], url_path="quota")
    def quota(self, request, pk=None):
        box = self.get_object()
        data = s.QuotaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mailboxes.change_quota(box, data.validated_data["quota_mb"], actor=request.user)
        return _accepted_box(request, box)

    @extend_schema(
        methods=["PUT"], request=s.VacationSerializer, responses={202: s.MailboxAccepted}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={202: s.MailboxAccepted})
    @action(detail=True, methods=["put", "delete"], url_path="vacation")
    def vacation(self, request, pk=None):
        box = self.get_object()
        if request.method == "DELETE":
            mailboxes.clear_vacation(box, actor=request.user)
            return _accepted_box(request, box)
        data = s.VacationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dates = {"start": None, "end": None}  # both optional: no dates, always on
        mailboxes.set_vacation(box, **(dates | data.validated_data), actor=request.user)
        return _accepted_box(request, box)


class AliasViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "mail"
    serializer_class = s.AliasSerializer
    queryset = Alias.objects.none()
    filter_fields = {"domain": "domain_id", "state": "state"}

    def get_base_queryset(self):
        return Alias.objects.for_user(self.request.user).select_related("domain")

    def get_queryset(self):
        return _in_allowed_domains(self.request, super().get_queryset())

    @extend_schema(request=s.AliasCreateSerializer, responses={202: s.AliasAccepted})
    @idempotent
    def create(self, request):
        data = s.AliasCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = _domain(request, data.validated_data["domain"])
        alias = aliases.create_alias(
            domain,
            data.validated_data["local_part"],
            data.validated_data["destinations"],
            actor=request.user,
        )
        return accepted_job(request, alias, {"alias": s.AliasSerializer(alias).data})

    @extend_schema(request=None, responses={202: Accepted})
    def destroy(self, request, pk=None):
        alias = aliases.delete_alias(self.get_object(), actor=request.user)
        return accepted_job(request, alias)


class AdminMailboxViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Administrators: every mailbox; suspend or reactivate one."""

    scope_kind = "admin"
    serializer_class = s.MailboxSerializer
    queryset = Mailbox.objects.none()
    filter_fields = {"domain": "domain_id", "suspended": "suspended"}

    def get_base_queryset(self):
        return Mailbox.objects.select_related("domain__server")

    @extend_schema(request=s.SuspendSerializer, responses={202: s.MailboxAccepted})
    @action(detail=True, methods=["post"], url_path="suspend")
    def suspend(self, request, pk=None):
        box = self.get_object()
        data = s.SuspendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mailboxes.set_suspended(box, data.validated_data["suspended"], actor=request.user)
        return _accepted_box(request, box)
