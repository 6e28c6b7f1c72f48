"""Administrators' resources: every hosting account (read) and every job (retry, roll back)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import HostingAccount
from api import serializers as s
from api.views.base import ApiViewSet, RetrieveWithETag
from provisioning.engine import services as job_services
from provisioning.engine.models import ProvisioningJob


class AdminAccountViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "admin"
    serializer_class = s.AccountSummarySerializer
    queryset = HostingAccount.objects.none()
    filter_fields = {"status": "status", "prefix": "prefix"}

    def get_base_queryset(self):
        return HostingAccount.objects.for_user(self.request.user).select_related("plan", "owner")


class AdminJobViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    """Every job, with retry and roll back (provisioning.engine.services decides if allowed)."""

    scope_kind = "admin"
    queryset = ProvisioningJob.objects.none()
    filter_fields = {"state": "state", "kind": "kind", "account": "account_id"}

    def get_base_queryset(self):
        queryset = ProvisioningJob.objects.all()
        return queryset.prefetch_related("steps") if self.action != "list" else queryset

    def get_serializer_class(self):
        return s.JobSerializer if self.action == "list" else s.JobDetailSerializer

    def _act(self, service):
        job = service(self.get_object(), actor=self.request.user)
        job = ProvisioningJob.objects.prefetch_related("steps").get(pk=job.pk)
        data = s.JobDetailSerializer(job, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: s.JobDetailSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self._act(job_services.retry_job)

    @extend_schema(request=None, responses={202: s.JobDetailSerializer})
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        return self._act(job_services.rollback_job)
