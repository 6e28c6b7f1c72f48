"""What the API shows and accepts. Input serializers only shape input; the rules are the
services' (names, quotas, states)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.models import HostingAccount
from api.models import ApiToken
from provisioning.databases.choices import Privilege
from provisioning.databases.models import Database, DatabaseRole
from provisioning.engine.models import JobStep, ProvisioningJob
from security.models import AuditEvent, UserSession


class QuotaSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class AccountSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.name")
    quotas = serializers.SerializerMethodField()

    class Meta:
        model = HostingAccount
        fields = ["id", "name", "prefix", "status", "plan", "created_at", "quotas"]

    def get_quotas(self, account) -> list[dict]:
        from accounts.usage import usage_for

        return QuotaSerializer(usage_for(account), many=True).data


class AccountSummarySerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.name")
    owner = serializers.EmailField(source="owner.email")

    class Meta:
        model = HostingAccount
        fields = ["id", "name", "prefix", "status", "plan", "owner", "created_at"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = DatabaseRole
        fields = ["id", "name", "privilege", "is_owner", "state", "error_message", "created_at"]


class DatabaseSerializer(serializers.ModelSerializer):
    server = serializers.CharField(source="server.name")
    host = serializers.CharField(source="server.address")

    class Meta:
        model = Database
        fields = [
            "id",
            "name",
            "owner_role",
            "state",
            "error_message",
            "server",
            "host",
            "connection_limit",
            "size_bytes",
            "created_at",
            "updated_at",
        ]


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 63,
        "pattern": "^[a-z][a-z0-9_]{0,39}$",  # the shape; provisioning.databases.names decides
        "description": "Without the account prefix.",
    }
)
class DatabaseNameField(serializers.CharField):
    pass


class DatabaseCreateSerializer(serializers.Serializer):
    name = DatabaseNameField(max_length=63)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)


class RoleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=63)
    privilege = serializers.ChoiceField(choices=Privilege.choices, default=Privilege.ALL)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobStep
        fields = ["position", "name", "state", "attempts", "started_at", "finished_at", "log"]


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProvisioningJob
        fields = [
            "id",
            "url",
            "kind",
            "resource_label",
            "state",
            "phase",
            "attempts",
            "error_message",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, job) -> str:
        return reverse("api:job-detail", args=[job.pk], request=self.context.get("request"))


class JobDetailSerializer(JobSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "steps"]


class Accepted(serializers.Serializer):
    """A 202: the resource as it is now and the job that does the rest."""

    job = serializers.URLField()


class DatabaseAccepted(Accepted):
    database = DatabaseSerializer()
    role = serializers.CharField()
    password = serializers.CharField(allow_null=True)
    connection = serializers.CharField(allow_null=True)


class RoleAccepted(Accepted):
    role = RoleSerializer()
    password = serializers.CharField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "action",
            "actor_label",
            "target_type",
            "target_id",
            "target_label",
            "ip",
            "request_id",
            "details",
            "created_at",
        ]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserSession
        fields = ["id", "browser", "os", "device", "ip", "created_at", "last_activity"]


class TokenSerializer(serializers.ModelSerializer):
    scopes = serializers.DictField(child=serializers.CharField())
    objects_allowed = serializers.ListField(child=serializers.CharField())
    source_cidrs = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "scopes",
            "objects_allowed",
            "source_cidrs",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        ]
