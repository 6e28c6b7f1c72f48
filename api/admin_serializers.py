"""What the administrators' endpoints show and accept. Input is validated by the pages' own
forms (api.form_input); these shapes describe it for the schema and render the answers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Plan
from api.dns_serializers import RevisionSerializer, ZoneSerializer
from monitoring.models import AlertEvent, AlertRule
from provisioning.engine.models import DriftFinding, DriftReport
from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server

SSL_MODES = ["prefer", "require", "verify-full", "disable"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "description",
            "max_databases",
            "max_mailboxes",
            "max_dns_zones",
            "disk_quota_mb",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class DatabaseConnection(serializers.Serializer):
    port = serializers.IntegerField(min_value=1, max_value=65535, required=False)
    user = serializers.CharField(required=False)
    dbname = serializers.CharField(required=False)
    sslmode = serializers.ChoiceField(choices=SSL_MODES, required=False)


class SecondaryConnection(serializers.Serializer):
    """A BIND secondary's addresses and key name, as shown (its secrets never are)."""

    dns_address = serializers.CharField(
        required=False, help_text="host:port where BIND answers queries (and NOTIFY)."
    )
    rndc_address = serializers.CharField(required=False, help_text="host:port of its rndc.")
    tsig_name = serializers.CharField(
        required=False, help_text="The key BIND signs its transfers with; one per secondary."
    )


class SecondaryConnectionWrite(SecondaryConnection):
    rndc_secret = serializers.CharField(
        write_only=True,
        required=False,
        help_text="base64 (hmac-sha256); stored encrypted, never shown. Absent: keep.",
    )
    tsig_secret = serializers.CharField(
        write_only=True,
        required=False,
        help_text="base64 (hmac-sha256); stored encrypted, never shown. Absent: keep.",
    )


class ServerSerializer(serializers.ModelSerializer):
    """A server as shown: its credentials are never returned, only whether some are stored."""

    roles = serializers.ListField(child=serializers.ChoiceField(choices=ServerRole.choices))
    status = serializers.CharField(help_text="active or retired")
    database = serializers.SerializerMethodField()
    dns_secondary = serializers.SerializerMethodField()
    has_credentials = serializers.SerializerMethodField()

    class Meta:
        model = Server
        fields = [
            "id",
            "name",
            "address",
            "roles",
            "status",
            "database",
            "dns_secondary",
            "has_credentials",
            "last_check_at",
            "last_check_ok",
            "last_check_message",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(DatabaseConnection(allow_null=True))
    def get_database(self, server) -> dict | None:
        settings = server.settings_for(ServerRole.DATABASE)
        return DatabaseConnection(settings).data if settings else None

    @extend_schema_field(SecondaryConnection(allow_null=True))
    def get_dns_secondary(self, server) -> dict | None:
        settings = server.settings_for(ServerRole.DNS_SECONDARY)
        return SecondaryConnection(settings).data if settings else None

    def get_has_credentials(self, server) -> bool:
        return bool(server.credentials_encrypted)


class ServerWrite(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    address = serializers.CharField(max_length=255)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ServerRole.choices), required=False
    )
    database = DatabaseConnection(required=False)
    dns_secondary = SecondaryConnectionWrite(
        required=False, help_text="With the dns-secondary role: the BIND secondary's connection."
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="The database role's password; stored encrypted, never shown. Empty: keep.",
    )


class ServerCheck(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()


class MetricsSeries(serializers.Serializer):
    range = serializers.CharField()
    resolution = serializers.CharField()
    bucket_seconds = serializers.IntegerField()
    start = serializers.IntegerField(help_text="Milliseconds since the epoch.")
    end = serializers.IntegerField()
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text='{"t": [ms, ...], "<metric>": [value or null, ...]}',
    )


class FindingSerializer(serializers.ModelSerializer):
    server = serializers.CharField(source="server.name", allow_null=True, default=None)

    class Meta:
        model = DriftFinding
        fields = ["id", "kind", "server", "resource_id", "resource_label", "problem", "resolution"]


class DriftReportSerializer(serializers.ModelSerializer):
    findings = serializers.IntegerField(source="finding_count", read_only=True)

    class Meta:
        model = DriftReport
        fields = ["id", "started_at", "finished_at", "checked", "findings"]


class DriftReportDetail(DriftReportSerializer):
    findings = FindingSerializer(many=True, read_only=True)


class DriftStarted(serializers.Serializer):
    detail = serializers.CharField()
    reports = serializers.URLField()


class DropConfirmation(serializers.Serializer):
    confirm = serializers.CharField(max_length=255, help_text="The stray's name, typed.")


class ServerStateImported(serializers.Serializer):
    """The server's records recorded as the zone's new revision (already served: no job)."""

    zone = ZoneSerializer()
    revision = RevisionSerializer()


class AlertRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["id", "name", "kind", "threshold", "duration_seconds", "enabled", "updated_at"]
        read_only_fields = ["id", "kind", "updated_at"]


class AlertEventSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")
    kind = serializers.CharField(source="rule.kind")
    server = serializers.CharField(source="server.name")

    class Meta:
        model = AlertEvent
        fields = [
            "id",
            "rule",
            "kind",
            "server",
            "opened_at",
            "closed_at",
            "close_reason",
            "value",
            "message",
        ]


class TemplateRecord(serializers.Serializer):
    name = serializers.CharField(max_length=255, help_text='Relative to the zone; "@" is the apex.')
    type = serializers.CharField(max_length=10)
    value = serializers.CharField(max_length=4096)


class ZoneTemplateSerializer(serializers.Serializer):
    """A zone template; `records` are checked like records of a zone (every rule, by line)."""

    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(max_length=40)
    label = serializers.CharField(max_length=100)
    records = TemplateRecord(many=True, required=False)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance):
        records = [{"name": n, "type": t, "value": v} for n, t, v in instance.records]
        return {
            "id": instance.pk,
            "slug": instance.slug,
            "label": instance.label,
            "records": records,
            "updated_at": serializers.DateTimeField().to_representation(instance.updated_at),
        }
