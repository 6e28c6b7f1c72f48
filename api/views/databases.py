"""Databases and their roles: thin calls into provisioning.databases.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action

from api import serializers as s
from api.idempotency import idempotent
from api.permissions import may_create, restrict
from api.views.base import ApiViewSet, RetrieveWithETag, accepted_job, account_of
from panel.errors import NotFound
from provisioning.databases import services
from provisioning.databases.models import Database, DatabaseRole
from provisioning.databases.views import connection_string


class DatabaseViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "databases"
    serializer_class = s.DatabaseSerializer
    queryset = Database.objects.none()  # for the schema; requests use get_queryset
    filter_fields = {"state": "state", "name": "name"}

    def get_base_queryset(self):
        return Database.objects.for_user(self.request.user).select_related("server")

    @extend_schema(request=s.DatabaseCreateSerializer, responses={202: s.DatabaseAccepted})
    @idempotent
    def create(self, request):
        may_create(request, self.scope_kind)
        account = account_of(request)
        data = s.DatabaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        db, password = services.create_database(
            account,
            data.validated_data["name"],
            password=data.validated_data.get("password") or None,
            actor=request.user,
        )
        body = {
            "database": s.DatabaseSerializer(db).data,
            "role": db.owner_role,
            "password": password,
            "connection": connection_string(db, db.owner_role, password),
        }
        return accepted_job(request, db, body)

    @extend_schema(request=None, responses={202: s.Accepted})
    def destroy(self, request, pk=None):
        db = services.delete_database(self.get_object(), actor=request.user)
        return accepted_job(request, db)


class RoleViewSet(mixins.ListModelMixin, RetrieveWithETag, ApiViewSet):
    scope_kind = "databases"
    serializer_class = s.RoleSerializer
    queryset = DatabaseRole.objects.none()

    def database(self) -> Database:
        databases = Database.objects.for_user(self.request.user)
        databases = restrict(self.request, "databases", databases)
        queryset = databases.select_related("account", "server")
        db = queryset.filter(pk=self.kwargs["database_pk"]).first()
        if db is None:
            raise NotFound()
        return db

    def get_base_queryset(self):
        roles = DatabaseRole.objects.for_user(self.request.user)
        return roles.filter(database_id=self.kwargs["database_pk"]).select_related("database")

    def get_queryset(self):
        self.database()  # another owner's (or a restricted token's other) database is a 404
        return self.get_base_queryset()

    @extend_schema(request=s.RoleCreateSerializer, responses={202: s.RoleAccepted})
    @idempotent
    def create(self, request, database_pk=None):
        db = self.database()
        data = s.RoleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role, password = services.add_role(
            db,
            data.validated_data["name"],
            privilege=data.validated_data["privilege"],
            password=data.validated_data.get("password") or None,
            actor=request.user,
        )
        body = {"role": s.RoleSerializer(role).data, "password": password}
        return accepted_job(request, role, body)

    @extend_schema(request=s.PasswordSerializer, responses={202: s.RoleAccepted})
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, database_pk=None, pk=None):
        data = s.PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role, password = services.reset_role_password(
            self.get_object(),
            password=data.validated_data.get("password") or None,
            actor=request.user,
        )
        body = {"role": s.RoleSerializer(role).data, "password": password}
        return accepted_job(request, role, body)

    @extend_schema(request=None, responses={202: s.Accepted})
    def destroy(self, request, database_pk=None, pk=None):
        role = services.remove_role(self.get_object(), actor=request.user)
        return accepted_job(request, role)
