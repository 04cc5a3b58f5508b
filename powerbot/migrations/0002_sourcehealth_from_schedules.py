from django.db import migrations, models


class Migration(migrations.Migration):
    """Source health moves below the apps that fetch (schedules, alerts); its table stays
    where schedules made it."""

    dependencies = [
        ("powerbot", "0001_counter_from_ops"),
        ("schedules", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SourceHealth",
                    fields=[
                        ("source", models.CharField(max_length=8, primary_key=True, serialize=False)),
                        ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("last_success_at", models.DateTimeField(blank=True, null=True)),
                        ("failures", models.PositiveIntegerField(
                            default=0, help_text="Failed fetches since the last good one.")),
                        ("last_error", models.CharField(blank=True, max_length=300)),
                    ],
                    options={"db_table": "schedules_sourcehealth", "verbose_name_plural": "source health"},
                ),
            ],
        ),
        migrations.AlterField(
            model_name="sourcehealth", name="source",
            field=models.CharField(max_length=24, primary_key=True, serialize=False),
        ),
        migrations.AddField(
            model_name="sourcehealth", name="backoff_until",
            field=models.DateTimeField(blank=True, null=True,
                                       help_text="Not asked again before this (failures, or a 429)."),
        ),
        migrations.AddField(
            model_name="sourcehealth", name="recent_requests",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
    ]
