"""The caller's hosting account, jobs, audit events, sessions and tokens."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api import services as token_services
from api.models import ApiToken
from api.permissions import ScopedAccess, readable_kinds, token_of
from api.views.base import ApiViewSet, RetrieveWithETag, etag_of
from panel.errors import NotFound
from provisioning.engine.models import ProvisioningJob
from provisioning.mail.models import MailDomain
from security import user_sessions
from security.models import AuditEvent, UserSession


class AccountView(APIView):
    scope_kind = "account"
    permission_classes = [ScopedAccess]

    @classmethod
    def as_view(cls, **kwargs):
        view = super().as_view(**kwargs)
        view.login_required = False
        return view

    @extend_schema(responses=s.AccountSerializer)
    def get(self, request):
        account = getattr(request.user, "hosting_account", None)
        if account is None:
            raise NotFound("You have no hosting account.")
        data = s.AccountSerializer(account).data
        return Response(data, headers={"ETag": etag_of(data)})


# A job's kind starts with the resource it changes; each prefix is read with that scope.
JOB_KIND_PREFIXES = {
    "databases": ("database",),
    "dns": ("dns_",),
    "mail": ("mail_domain.", "mailbox.", "alias."),
}


def _zone_jobs(ids: set[int]) -> Q:
    return Q(kind__startswith="dns_zone.", resource_id__in=ids)


def _mail_domain_jobs(ids: set[int]) -> Q:
    """A mail domain's own jobs, and those of its mailboxes and aliases: found by the
    address in their lock scope, which the job keeps after the mailbox is deleted."""
    jobs = Q(kind__startswith="mail_domain.", resource_id__in=ids)
    for name in MailDomain.objects.filter(pk__in=ids).values_list("name", flat=True):
        for prefix in ("mailbox.", "alias."):
            jobs |= Q(kind__startswith=prefix, lock_scope__endswith=f"@{name}")
    return jobs


# The jobs of the objects a token may be restricted to (zones, mail domains), by kind.
JOBS_OF_OBJECTS = {"dns": _zone_jobs, "mail": _mail_domain_jobs}


class JobViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Jobs are read with the scope of what they change: a dns token sees the zones' jobs."""

    scope_kind = "databases"
    scope_kinds = tuple(JOB_KIND_PREFIXES)
    queryset = ProvisioningJob.objects.none()
    filter_fields = {"state": "state", "kind": "kind"}

    def get_base_queryset(self):
        queryset = ProvisioningJob.objects.all()
        if not self.request.user.is_admin:
            queryset = queryset.filter(account__owner=self.request.user)
        if self.action == "retrieve":
            return queryset.prefetch_related("steps")
        return queryset

    def get_queryset(self):
        queryset = self.get_base_queryset().filter(self._visible_kinds())
        for param, field in self.filter_fields.items():
            value = self.request.query_params.get(param)
            if value:
                queryset = queryset.filter(**{field: value})
        return queryset

    def _visible_kinds(self) -> Q:
        """The jobs the token's scopes reach. A token restricted to named objects sees only
        the jobs of those objects (a zone, a mail domain and its mailboxes and aliases), else
        none of the kind."""
        token = token_of(self.request)
        if token is None:
            return Q()  # a session has its user's rights
        visible = Q(pk__in=[])
        for kind in readable_kinds(self.request, self.scope_kinds):
            ids = token.allowed_ids(kind)
            if ids is None:
                for prefix in JOB_KIND_PREFIXES[kind]:
                    visible |= Q(kind__startswith=prefix)
            elif kind in JOBS_OF_OBJECTS:
                visible |= JOBS_OF_OBJECTS[kind](ids)
        return visible

    def get_serializer_class(self):
        return s.JobDetailSerializer if self.action == "retrieve" else s.JobSerializer


class AuditEventViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "account"
    serializer_class = s.AuditEventSerializer
    queryset = AuditEvent.objects.none()
    filter_fields = {"action": "action"}

    def get_base_queryset(self):
        return AuditEvent.objects.for_user(self.request.user)


class SessionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    scope_kind = "account"
    serializer_class = s.SessionSerializer
    queryset = UserSession.objects.none()

    def get_base_queryset(self):
        return UserSession.objects.active().filter(user=self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        user_sessions.revoke_session(self.get_object(), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Tokens are listed and revoked here; they are created only in the UI (a session with
    recent 2FA or password confirmation)."""

    scope_kind = "account"
    serializer_class = s.TokenSerializer
    queryset = ApiToken.objects.none()

    def get_base_queryset(self):
        return ApiToken.objects.for_user(self.request.user)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        token_services.revoke_token(self.get_object(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
