"""Daily sample partitions are made and dropped through two SECURITY DEFINER functions.

Creating a partition of monitoring_sample (or dropping one) needs to own the table, and
the panel runs as a role that owns nothing (panel/dbroles.py). These functions run as the
owner that migrates; they take only a day, build the partition's name and bounds
themselves, and touch nothing but monitoring_sample's partitions.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION monitoring_create_sample_partition(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    part text := 'monitoring_sample_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass('public.' || quote_ident(part)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.monitoring_sample '
        'FOR VALUES FROM (%L) TO (%L)',
        part, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC'
    );
    RETURN true;
END $$;

CREATE FUNCTION monitoring_drop_sample_partition(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    part text := 'monitoring_sample_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_inherits
        WHERE inhparent = 'public.monitoring_sample'::regclass
          AND inhrelid = to_regclass('public.' || quote_ident(part))
    ) THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE public.%I', part);
    RETURN true;
END $$;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS monitoring_create_sample_partition(date);
DROP FUNCTION IF EXISTS monitoring_drop_sample_partition(date);
"""


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_alert_close_reason")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
