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
# Kinds whose jobs' resource is the object a token may be restricted to (a zone's id).
JOBS_OF_OBJECT = {"dns": "dns_zone."}


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
        their jobs where the job's resource is that object (a zone), else none of the kind."""
        token = token_of(self.request)
        if token is None:
            return Q()  # a session has its user's rights
        visible = Q(pk__in=[])
        for kind in readable_kinds(self.request, self.scope_kinds):
            ids = token.allowed_ids(kind)
            for prefix in JOB_KIND_PREFIXES[kind]:
                if ids is None:
                    visible |= Q(kind__startswith=prefix)
                elif kind in JOBS_OF_OBJECT:
                    visible |= Q(kind__startswith=JOBS_OF_OBJECT[kind], resource_id__in=ids)
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
