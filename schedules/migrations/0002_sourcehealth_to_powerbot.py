from django.db import migrations


class Migration(migrations.Migration):
    """Source health now belongs to powerbot (its table stays)."""

    dependencies = [
        ("schedules", "0001_initial"),
        ("powerbot", "0002_sourcehealth_from_schedules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="SourceHealth")]),
    ]
