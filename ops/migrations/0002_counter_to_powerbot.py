from django.db import migrations


class Migration(migrations.Migration):
    """Counter is powerbot's now (powerbot/models.py); the table stays."""

    dependencies = [
        ("ops", "0001_initial"),
        ("powerbot", "0001_counter_from_ops"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Counter")]),
    ]
