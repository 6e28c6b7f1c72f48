"""The samples table, partitioned by day on ts, with partitions for the days around now.

Later partitions are created ahead by beat (monitoring.storage.maintain_partitions).
"""

from datetime import timedelta

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

CREATE = """
CREATE TABLE monitoring_sample (
    server_id bigint NOT NULL REFERENCES provisioning_server (id) ON DELETE CASCADE,
    ts timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    cpu_percent double precision,
    load1 double precision,
    load5 double precision,
    load15 double precision,
    mem_total bigint,
    mem_used bigint,
    mem_available bigint,
    mem_percent double precision,
    swap_total bigint,
    swap_used bigint,
    swap_percent double precision,
    disk_percent double precision,
    disk_read_bps double precision,
    disk_write_bps double precision,
    net_rx_bps double precision,
    net_tx_bps double precision,
    net_rx_pps double precision,
    net_tx_pps double precision,
    net_errors bigint,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (server_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX monitoring_sample_received_idx ON monitoring_sample (received_at);
"""


def create_partitions(apps, schema_editor):
    today = timezone.now().date()
    with schema_editor.connection.cursor() as cursor:
        for offset in range(-1, 4):
            day = today + timedelta(days=offset)
            name = f"monitoring_sample_p{day:%Y%m%d}"
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF monitoring_sample "  # noqa: S608
                f"FOR VALUES FROM ('{day.isoformat()} 00:00+00') "
                f"TO ('{(day + timedelta(days=1)).isoformat()} 00:00+00')"
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial"), ("provisioning", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(CREATE, reverse_sql="DROP TABLE monitoring_sample CASCADE;"),
            ],
            state_operations=[
                migrations.CreateModel(
                    name='Sample',
                    fields=[
                        ('pk', models.CompositePrimaryKey('server_id', 'ts', blank=True, editable=False, primary_key=True, serialize=False)),
                        ('ts', models.DateTimeField()),
                        ('received_at', models.DateTimeField()),
                        ('cpu_percent', models.FloatField(null=True)),
                        ('load1', models.FloatField(null=True)),
                        ('load5', models.FloatField(null=True)),
                        ('load15', models.FloatField(null=True)),
                        ('mem_total', models.BigIntegerField(null=True)),
                        ('mem_used', models.BigIntegerField(null=True)),
                        ('mem_available', models.BigIntegerField(null=True)),
                        ('mem_percent', models.FloatField(null=True)),
                        ('swap_total', models.BigIntegerField(null=True)),
                        ('swap_used', models.BigIntegerField(null=True)),
                        ('swap_percent', models.FloatField(null=True)),
                        ('disk_percent', models.FloatField(null=True)),
                        ('disk_read_bps', models.FloatField(null=True)),
                        ('disk_write_bps', models.FloatField(null=True)),
                        ('net_rx_bps', models.FloatField(null=True)),
                        ('net_tx_bps', models.FloatField(null=True)),
                        ('net_rx_pps', models.FloatField(null=True)),
                        ('net_tx_pps', models.FloatField(null=True)),
                        ('net_errors', models.BigIntegerField(null=True)),
                        ('detail', models.JSONField(default=dict)),
                        ('server', models.ForeignKey(on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='provisioning.server')),
                    ],
                    options={
                        'db_table': 'monitoring_sample',
                    },
                ),
            ],
        ),
        migrations.RunPython(create_partitions, migrations.RunPython.noop),
    ]
