from django.db import migrations, models


class Migration(migrations.Migration):
    """The counters move below the apps that count; their table stays where ops made it."""

    initial = True

    dependencies = [
        ("ops", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Counter",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=64)),
                        ("label", models.CharField(blank=True, help_text="The reason or result counted, if any.",
                                                   max_length=64)),
                        ("value", models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "ops_counter",
                        "constraints": [models.UniqueConstraint(fields=("name", "label"),
                                                                name="counter_unique_name_label")],
                    },
                ),
            ],
        ),
    ]
