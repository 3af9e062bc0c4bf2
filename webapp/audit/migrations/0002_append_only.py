"""The access log is append-only: the database itself refuses UPDATE and DELETE on it."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION audit_accesslog_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'the access log is append-only (' || TG_OP || ' refused)';
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accesslog_no_update BEFORE UPDATE OR DELETE ON audit_accesslog
  FOR EACH ROW EXECUTE FUNCTION audit_accesslog_append_only();
CREATE TRIGGER audit_accesslog_no_truncate BEFORE TRUNCATE ON audit_accesslog
  FOR EACH STATEMENT EXECUTE FUNCTION audit_accesslog_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_accesslog_no_update ON audit_accesslog;
DROP TRIGGER IF EXISTS audit_accesslog_no_truncate ON audit_accesslog;
DROP FUNCTION IF EXISTS audit_accesslog_append_only();
"""
SQLITE_UP = [
    "CREATE TRIGGER audit_accesslog_no_update BEFORE UPDATE ON audit_accesslog "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only (UPDATE refused)'); END;",
    "CREATE TRIGGER audit_accesslog_no_delete BEFORE DELETE ON audit_accesslog "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only (DELETE refused)'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_accesslog_no_update;",
               "DROP TRIGGER IF EXISTS audit_accesslog_no_delete;"]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
