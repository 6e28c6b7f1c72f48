"""What every API view shares: scoped access, throttles, cursor pages, filters, ETags."""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from api.choices import ScopeKind
from api.permissions import ScopedAccess, restrict
from panel.errors import Forbidden
from provisioning.engine.models import ProvisioningJob


def etag_of(data) -> str:
    body = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def job_url(request, resource) -> str:
    """The URL of RESOURCE's latest job (the one a 202 just started). An admin endpoint
    links the admin API's job, which its admin-scoped token can read (the customers' job
    route asks for the scope of the resource's kind)."""
    job = ProvisioningJob.objects.for_resource(resource).order_by("-pk").first()
    view = (getattr(request, "parser_context", None) or {}).get("view")
    admin = getattr(view, "scope_kind", "") == ScopeKind.ADMIN
    route = "api:admin-job-detail" if admin else "api:job-detail"
    return reverse(route, args=[job.pk], request=request)


def accepted(body: dict) -> Response:
    """A 202 whose Location is the job doing the work."""
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["job"]})


def accepted_job(request, resource, body: dict | None = None) -> Response:
    """The 202 of long work on RESOURCE: BODY plus the URL of the job just started."""
    return accepted({**(body or {}), "job": job_url(request, resource)})


def account_of(request):
    account = getattr(request.user, "hosting_account", None)
    if account is None:
        raise Forbidden("Only a customer with a hosting account can do this.", code="no_account")
    return account


class ApiViewSet(GenericViewSet):
    """Subclasses set `scope_kind`, `get_base_queryset()` and optionally `filter_fields`
    (query parameter → model field, exact match)."""

    scope_kind = ""
    permission_classes = [ScopedAccess]
    filter_fields: dict[str, str] = {}
    lookup_value_regex = "[0-9]+"

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False  # the API answers 401 itself, never a login redirect
        return view

    def get_base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        queryset = restrict(self.request, self.scope_kind, self.get_base_queryset())
        for param, field in self.filter_fields.items():
            value = self.request.query_params.get(param)
            if value not in (None, ""):
                queryset = queryset.filter(**{field: value})
        return queryset


class RetrieveWithETag(mixins.RetrieveModelMixin):
    """GET one object with an ETag; If-None-Match with the same tag answers 304."""

    def retrieve(self, request, *args, **kwargs):
        data = self.get_serializer(self.get_object()).data
        tag = etag_of(data)
        if tag in request.headers.get("If-None-Match", ""):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(data, headers={"ETag": tag})
