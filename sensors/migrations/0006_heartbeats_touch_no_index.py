from django.db import migrations

# Room on each page of the sensor table for the next version of its rows: PostgreSQL writes
# a heartbeat as a HOT update only when the new row fits on the page of the old one.
FILLFACTOR = 70


def _alter_sensor_table(schema_editor, apps, change: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("sensors", "Sensor")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} {change}")


def leave_room(apps, schema_editor):
    _alter_sensor_table(schema_editor, apps, f"SET (fillfactor = {FILLFACTOR})")


def fill_up(apps, schema_editor):
    _alter_sensor_table(schema_editor, apps, "RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("sensors", "0005_public_list_version"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="sensor", name="sensor_deadline"),
        migrations.RunPython(leave_room, fill_up),
    ]
