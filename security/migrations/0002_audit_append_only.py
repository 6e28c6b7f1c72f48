"""A trigger makes the audit table append-only: UPDATE and DELETE are refused.

TRUNCATE stays possible for the database owner (an operator's deliberate act, and how
the test suite resets tables), but the application never issues it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION security_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER security_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON security_auditevent
    FOR EACH ROW EXECUTE FUNCTION security_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS security_auditevent_no_update_delete ON security_auditevent;
DROP FUNCTION IF EXISTS security_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
