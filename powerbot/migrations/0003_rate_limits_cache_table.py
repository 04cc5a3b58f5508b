"""The database's cache table that keeps the rate limits' counts when there is no Redis
(powerbot.throttling): made by migrate, so no install path can leave it out."""

from django.core.management import call_command
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CACHE_TABLE = "powerbot_rate_limits"  # powerbot.throttling.CACHE_TABLE, as it was made


def create_table(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("powerbot", "0002_sourcehealth_from_schedules")]

    operations = [migrations.RunPython(create_table, drop_table)]
