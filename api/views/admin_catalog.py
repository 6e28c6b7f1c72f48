"""Administrators' plans and servers: the admin pages' forms and services, over the API.

A server's credentials are write-only: accepted (stored encrypted by the service), never
returned; an answer says only whether some are stored.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import services as account_services
from accounts.forms import PlanForm
from accounts.models import Plan
from api import admin_serializers as a
from api.form_input import body_of, validated
from api.views.base import ApiViewSet, RetrieveWithETag
from monitoring import queries
from monitoring.choices import RANGE_SECONDS
from provisioning.servers import services as server_services
from provisioning.servers.choices import ServerRole
from provisioning.servers.forms import ServerForm
from provisioning.servers.models import Server

PLAN_FIELDS = PlanForm._meta.fields


class AdminPlanViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "admin"
    serializer_class = a.PlanSerializer
    queryset = Plan.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_base_queryset(self):
        return Plan.objects.all()

    def _save(self, plan: Plan, data: dict, status_code: int) -> Response:
        form = validated(PlanForm(data, instance=plan))
        plan = account_services.save_plan(form.save(commit=False), actor=self.request.user)
        return Response(a.PlanSerializer(plan).data, status=status_code)

    @extend_schema(request=a.PlanSerializer, responses={201: a.PlanSerializer})
    def create(self, request):
        return self._save(Plan(), body_of(request), status.HTTP_201_CREATED)

    @extend_schema(request=a.PlanSerializer, responses={200: a.PlanSerializer})
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        current = {name: getattr(plan, name) for name in PLAN_FIELDS}
        return self._save(plan, current | body_of(request), status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        account_services.delete_plan(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _server_form_data(body: dict, server: Server | None = None) -> dict:
    """The API's shape → the server form's fields, over the server's current values."""
    current = server.settings_for(ServerRole.DATABASE) if server else {}
    database = {**current, **(body.get("database") or {})}
    if not isinstance(body.get("database") or {}, dict):
        raise ValidationError({"database": ["Send an object (port, user, dbname, sslmode)."]})
    secondary = body.get("dns_secondary") or {}
    if not isinstance(secondary, dict):
        raise ValidationError({"dns_secondary": ["Send an object (dns_address, rndc_address, …)."]})
    current_secondary = server.settings_for(ServerRole.DNS_SECONDARY) if server else {}
    return {
        "name": body.get("name", server.name if server else ""),
        "address": body.get("address", server.address if server else ""),
        "roles": body.get("roles", server.roles if server else []),
        "db_port": database.get("port", 5432),
        "db_user": database.get("user", "postgres"),
        "db_name": database.get("dbname", "postgres"),
        "db_sslmode": database.get("sslmode", "prefer"),
        # The form's secondary fields; absent secrets keep the stored ones, as on the page.
        **{
            f"sec_{key}": secondary.get(key, current_secondary.get(key, ""))
            for key in ("dns_address", "rndc_address", "tsig_name")
        },
        **{f"sec_{key}": secondary.get(key, "") for key in ("rndc_secret", "tsig_secret")},
    }


# The form's names of the secondary's fields → the API's (`dns_secondary.<key>`).
_API_FIELD = {f"sec_{k}": f"dns_secondary.{k}" for k in (
    "dns_address", "rndc_address", "tsig_name", "rndc_secret", "tsig_secret")}  # fmt: skip


class AdminServerViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "admin"
    serializer_class = a.ServerSerializer
    queryset = Server.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self):
        queryset = Server.objects.all()
        role = self.request.query_params.get("role")
        if role is not None and role not in ServerRole.values:
            raise ValidationError({"role": [f"One of {', '.join(ServerRole.values)}."]})
        return queryset.filter(roles__contains=[role]) if role else queryset

    def get_queryset(self):
        queryset = self.get_base_queryset()
        state = self.request.query_params.get("status")
        return queryset.filter(status=state) if state else queryset

    def _save(self, server: Server, body: dict, status_code: int) -> Response:
        password = body.get("password")
        if password is not None and not isinstance(password, str):
            raise ValidationError({"password": ["A string."]})
        form = ServerForm(_server_form_data(body, server if server.pk else None), instance=server)
        try:
            validated(form)
        except ValidationError as exc:
            raise ValidationError(
                {_API_FIELD.get(k, k): v for k, v in exc.detail.items()}
            ) from None
        server = server_services.save_server(
            form.save(commit=False),
            database=form.database_settings(),
            password=password or None,
            connections=form.connections(),
            actor=self.request.user,
        )
        return Response(a.ServerSerializer(server).data, status=status_code)

    @extend_schema(request=a.ServerWrite, responses={201: a.ServerSerializer})
    def create(self, request):
        return self._save(Server(), body_of(request), status.HTTP_201_CREATED)

    @extend_schema(request=a.ServerWrite, responses={200: a.ServerSerializer})
    def partial_update(self, request, pk=None):
        return self._save(self.get_object(), body_of(request), status.HTTP_200_OK)

    @extend_schema(request=None, responses={200: a.ServerCheck})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Check each role's backend for real; the outcome is stored and audited."""
        ok, message = server_services.test_server(self.get_object(), actor=request.user)
        return Response({"ok": ok, "message": message})

    @extend_schema(request=None, responses={200: a.ServerSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        server = server_services.retire_server(self.get_object(), actor=request.user)
        return Response(a.ServerSerializer(server).data)

    @extend_schema(
        parameters=[OpenApiParameter("range", OpenApiTypes.STR, enum=list(RANGE_SECONDS))],
        responses={200: a.MetricsSeries},
    )
    @action(detail=True, methods=["get"])
    def metrics(self, request, pk=None):
        """The dashboard's series: the server picks the resolution, points stay bounded."""
        server = self.get_object()
        range_key = request.query_params.get("range", "24h")
        if range_key not in RANGE_SECONDS:
            raise ValidationError({"range": [f"One of {', '.join(RANGE_SECONDS)}."]})
        plan = queries.plan_for(range_key, timezone.now())
        body = {
            "range": range_key,
            "resolution": plan.resolution,
            "bucket_seconds": plan.bucket_seconds,
            "start": int(plan.start.timestamp() * 1000),
            "end": int(plan.end.timestamp() * 1000),
            "series": queries.series(server.pk, plan),
        }
        return Response(body)
