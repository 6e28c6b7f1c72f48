"""What the mail API shows and accepts; the rules are the mail services' (names.py and co.)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import Accepted
from provisioning.mail.choices import DmarcPolicy
from provisioning.mail.models import Alias, Mailbox, MailDomain, Vacation


class MailDomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = MailDomain
        fields = [
            "id",
            "name",
            "display_name",
            "dns_mode",
            "dmarc_policy",
            "dkim_selector",
            "dkim_txt",
            "dkim_old_selector",
            "dkim_retire_at",
            "state",
            "error_message",
            "created_at",
        ]


class MailDomainCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=253)
    dmarc_policy = serializers.ChoiceField(
        choices=DmarcPolicy.choices, default=DmarcPolicy.QUARANTINE
    )


class RecordStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    value = serializers.CharField()
    status = serializers.CharField(help_text="ok, missing, different, unknown, or empty")
    found = serializers.ListField(child=serializers.CharField())


class MailboxSerializer(serializers.ModelSerializer):
    domain = serializers.PrimaryKeyRelatedField(read_only=True)
    used_mb = serializers.FloatField(read_only=True)

    class Meta:
        model = Mailbox
        fields = [
            "id",
            "domain",
            "address",
            "quota_mb",
            "used_bytes",
            "used_mb",
            "message_count",
            "suspended",
            "state",
            "error_message",
            "created_at",
        ]


class MailboxCreateSerializer(serializers.Serializer):
    domain = serializers.IntegerField()
    local_part = serializers.CharField(max_length=200, trim_whitespace=False)
    quota_mb = serializers.IntegerField(required=False, min_value=1)
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, trim_whitespace=False
    )


class MailPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, trim_whitespace=False
    )


class QuotaSerializer(serializers.Serializer):
    quota_mb = serializers.IntegerField(min_value=1)


class VacationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vacation
        fields = ["subject", "body", "start", "end"]


class AliasSerializer(serializers.ModelSerializer):
    domain = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Alias
        fields = ["id", "domain", "address", "destinations", "state", "error_message", "created_at"]


class AliasCreateSerializer(serializers.Serializer):
    domain = serializers.IntegerField()
    local_part = serializers.CharField(
        max_length=200, allow_blank=True, help_text="Empty or * for the catch-all."
    )
    destinations = serializers.ListField(child=serializers.CharField(max_length=254), min_length=1)


class SuspendSerializer(serializers.Serializer):
    suspended = serializers.BooleanField()


class MailDomainAccepted(Accepted):
    domain = MailDomainSerializer()


class MailboxAccepted(Accepted):
    mailbox = MailboxSerializer()
    password = serializers.CharField(allow_null=True)


class AliasAccepted(Accepted):
    alias = AliasSerializer()
