from django.db import migrations, models

GIN = "CREATE INDEX IF NOT EXISTS run_inputs_gin ON runs_run USING gin (inputs jsonb_path_ops)"


def add_gin(apps, schema_editor):
    # The cache item page asks which runs consumed a file: `inputs @> [{"content_hash": h}]`.
    # PostgreSQL only; SQLite (`make run`) scans its small table instead.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GIN)


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS run_inputs_gin")


class Migration(migrations.Migration):
    dependencies = [("runs", "0003_cancel")]

    operations = [
        migrations.AddIndex(
            model_name="run",
            index=models.Index(fields=["owner", "-created_at"], name="run_by_owner"),
        ),
        migrations.RunPython(add_gin, drop_gin),
    ]
