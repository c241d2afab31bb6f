"""Each event points at its customer's (source, type) kind; filters seek by kind. Two narrow timeline
indexes replace the three wide ones."""

import django.db.models.deletion
from django.db import migrations, models

# Plain SQL that PostgreSQL and SQLite both run: every (customer, source, type) gets its kind (with its
# tally), then every event points at it.
KINDS = """
INSERT INTO activity_eventkind (customer_id, source, type, count, last_occurred_at)
SELECT customer_id, source, type, count(*), max(occurred_at) FROM activity_event WHERE 1 = 1
GROUP BY customer_id, source, type
ON CONFLICT (customer_id, source, type) DO NOTHING
"""
POINT = """
UPDATE activity_event SET kind_id = (
    SELECT k.id FROM activity_eventkind k
    WHERE k.customer_id = activity_event.customer_id AND k.source = activity_event.source
      AND k.type = activity_event.type
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0003_received_at_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="kind",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="activity.eventkind",
            ),
        ),
        migrations.RunSQL(KINDS, migrations.RunSQL.noop),
        migrations.RunSQL(POINT, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="activity.eventkind"
            ),
        ),
        migrations.RemoveIndex(model_name="event", name="event_source_idx"),
        migrations.RemoveIndex(model_name="event", name="event_source_type_idx"),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["kind", "-occurred_at", "-id"], name="event_kind_timeline_idx"),
        ),
    ]
