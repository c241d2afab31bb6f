# The model that profiles/0003 handed over: its table (renamed there, rows intact) is already in place,
# so this only records the model in this app's state.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("profiles", "0003_custom_fields_move_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CustomField",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("object_type", models.CharField(choices=[("user", "User"), ("organization", "Organization"), ("ticket", "Ticket")], max_length=16, verbose_name="applies to")),
                        ("key", models.SlugField(max_length=64, verbose_name="key")),
                        ("title", models.CharField(max_length=255, verbose_name="title")),
                        ("description", models.CharField(blank=True, default="", max_length=500, verbose_name="description")),
                        ("type", models.CharField(choices=[("text", "Text"), ("textarea", "Multi-line"), ("integer", "Number"), ("decimal", "Decimal"), ("checkbox", "Checkbox"), ("date", "Date"), ("dropdown", "Drop-down"), ("multiselect", "Multi-select"), ("regexp", "Regular expression"), ("lookup", "Lookup relationship")], max_length=16, verbose_name="type")),
                        ("options", models.JSONField(blank=True, default=list, verbose_name="options")),
                        ("regexp", models.CharField(blank=True, default="", max_length=500, verbose_name="pattern")),
                        ("lookup_target", models.CharField(blank=True, choices=[("user", "User"), ("organization", "Organization"), ("ticket", "Ticket")], default="", max_length=16, verbose_name="lookup target")),
                        ("position", models.PositiveIntegerField(default=0, verbose_name="position")),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        ("agent_access", models.CharField(choices=[("editable", "Editable"), ("read_only", "Read-only"), ("hidden", "Hidden")], default="editable", max_length=16, verbose_name="agent access")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("account", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="custom_fields", to="accounts.account")),
                    ],
                    options={
                        "ordering": ["object_type", "position", "id"],
                        "constraints": [models.UniqueConstraint(fields=("account", "object_type", "key"), name="custom_field_key_unique")],
                    },
                )
            ],
            database_operations=[],
        )
    ]
