"""What the DNS endpoints show and accept. Shapes only: every rule is provisioning.dns's."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from provisioning.dns import names
from provisioning.dns.choices import RecordType
from provisioning.dns.content import friendly
from provisioning.dns.models import Record, Zone, ZoneRevision
from provisioning.dns.names import relative

CHANGE_TYPES = [("REPLACE", "Replace the rrset"), ("DELETE", "Delete the rrset")]


class ZoneSerializer(serializers.ModelSerializer):
    server = serializers.CharField(source="server.name")

    class Meta:
        model = Zone
        fields = [
            "id",
            "name",
            "display_name",
            "state",
            "error_message",
            "dnssec",
            "server",
            "created_at",
            "updated_at",
        ]


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 255,
        # The documented shape (what schemathesis generates); the panel's own rules decide,
        # and accept Unicode names too (stored in IDNA form).
        "pattern": r"^([a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?\.){1,3}[a-z]{2,20}\.?$",
        "description": "e.g. example.com; Unicode names are accepted too (stored as IDNA).",
    }
)
class ZoneNameField(serializers.CharField):
    pass


class ZoneCreateSerializer(serializers.Serializer):
    name = ZoneNameField(max_length=255, trim_whitespace=False)
    template = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A zone template's slug."
    )


class RecordSerializer(serializers.ModelSerializer):
    fqdn = serializers.CharField(source="name")
    name = serializers.SerializerMethodField(help_text='Relative to the zone; "@" is the apex.')
    value = serializers.SerializerMethodField(help_text="As a person writes it.")

    class Meta:
        model = Record
        fields = ["id", "name", "fqdn", "type", "ttl", "value", "content"]

    def get_name(self, record) -> str:
        return relative(record.name, record.zone.name)

    def get_value(self, record) -> str:
        return friendly(record.type, record.content)


class RRSetSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    ttl = serializers.IntegerField()
    values = serializers.ListField(child=serializers.CharField())


class RRSetList(serializers.Serializer):
    zone = serializers.CharField()
    rrsets = RRSetSerializer(many=True)
    staged = serializers.BooleanField(
        help_text="The records differ from what was last applied (edits staged on the zone page)."
    )


class TtlField(serializers.IntegerField):
    """Seconds. A string is read as IntegerField reads it, except with a CR or LF in it
    (int() would quietly drop a trailing line break): the DNS rules refuse those."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                names.check_characters(data)
            except names.InvalidName as exc:
                raise serializers.ValidationError(f"TTL: {exc}") from None
        return super().to_internal_value(data)


# Names and values are not trimmed: the DNS rules refuse a CR or LF in them (even a trailing
# one) with a message, where trimming would quietly drop it.
class RRSetChangeSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=255,
        allow_blank=True,
        trim_whitespace=False,
        help_text='Relative ("www"), "@" or absolute.',
    )
    type = serializers.ChoiceField(choices=RecordType.choices)
    changetype = serializers.ChoiceField(choices=CHANGE_TYPES, default="REPLACE")
    ttl = TtlField(required=False, allow_null=True)
    values = serializers.ListField(
        child=serializers.CharField(max_length=4096, allow_blank=True, trim_whitespace=False),
        required=False,
        max_length=1000,
        help_text="The rrset's values as people write them (REPLACE only).",
    )

    def validate(self, attrs):
        if attrs["changetype"] == "REPLACE" and not attrs.get("values"):
            raise serializers.ValidationError({"values": "REPLACE needs at least one value."})
        return attrs


class ChangeSetSerializer(serializers.Serializer):
    rrsets = RRSetChangeSerializer(many=True, allow_empty=False, max_length=1000)


class RevisionSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    diff = serializers.DictField(child=serializers.ListField(child=serializers.ListField()))

    class Meta:
        model = ZoneRevision
        fields = [
            "number",
            "reason",
            "state",
            "error_message",
            "serial",
            "diff",
            "created_by",
            "created_at",
        ]


class ZoneAccepted(serializers.Serializer):
    zone = ZoneSerializer()
    job = serializers.URLField()


class ChangeAccepted(ZoneAccepted):
    revision = RevisionSerializer()


class ImportSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=2_000_000, trim_whitespace=False, help_text="A BIND-format zone file."
    )
    apply = serializers.BooleanField(
        default=False, help_text="false: only preview; true: apply it as one change set."
    )


class PreviewRRSet(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    before = RRSetSerializer(allow_null=True)
    after = RRSetSerializer(allow_null=True)


class ImportPreview(serializers.Serializer):
    added = PreviewRRSet(many=True)
    changed = PreviewRRSet(many=True)
    removed = PreviewRRSet(many=True)


class DnssecSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    ds_records = serializers.ListField(child=serializers.CharField(), read_only=True)
    dnskey_records = serializers.ListField(child=serializers.CharField(), read_only=True)
