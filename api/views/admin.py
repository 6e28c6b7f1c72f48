"""Administrators' resources: every hosting account (read) — more follow on this pattern."""

from __future__ import annotations

from rest_framework import mixins

from accounts.models import HostingAccount
from api import serializers as s
from api.views.base import ApiViewSet, RetrieveWithETag


class AdminAccountViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "admin"
    serializer_class = s.AccountSummarySerializer
    queryset = HostingAccount.objects.none()
    filter_fields = {"status": "status", "prefix": "prefix"}

    def get_base_queryset(self):
        return HostingAccount.objects.for_user(self.request.user).select_related("plan", "owner")
