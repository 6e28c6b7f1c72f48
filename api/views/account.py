"""The caller's hosting account, jobs, audit events, sessions and tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api import services as token_services
from api.models import ApiToken
from api.permissions import ScopedAccess, token_of
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


class JobViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Jobs are read with the scope of what they change; the databases scope covers them."""

    scope_kind = "databases"
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
        # Object restrictions name resources, not jobs: a restricted token sees no jobs.
        token = token_of(self.request)
        if token is not None and token.allowed_ids(self.scope_kind) is not None:
            return ProvisioningJob.objects.none()
        queryset = self.get_base_queryset()
        for param, field in self.filter_fields.items():
            value = self.request.query_params.get(param)
            if value:
                queryset = queryset.filter(**{field: value})
        return queryset

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
