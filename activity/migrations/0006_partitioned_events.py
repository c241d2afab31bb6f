"""Client ids (idempotency keys) move to their own table, and on PostgreSQL the event store becomes a table
range-partitioned by month of occurred_at: old months leave by dropping their partition (retention), and
reads of recent events touch recent partitions only. SQLite keeps one plain table.

The conversion copies every row of the existing table into the partitioned one in this migration's
transaction, with writers locked out from the start (readers until the rename): nothing is lost, ids are
kept and the id sequence carries on from where it was. It takes about as long as rebuilding the table's
indexes: plan a maintenance window for a large table (docs/scaling.md).
"""

import django.db.models.deletion
from django.db import migrations, models

# Creates the partition holding `moment`'s month (UTC) unless it exists; returns its name. A new partition
# starts as a plain table that is then attached: the events table is locked in SHARE UPDATE EXCLUSIVE mode
# only, so reads and writes go on (CREATE TABLE … PARTITION OF would stop them all until commit). The lock
# is taken first, always: creators queue on it, and taking it makes the caller's transaction see partitions
# that others attached since it began (its planned statements would not).
PARTITION_CREATE_FUNCTION = r"""
CREATE FUNCTION activity_event_partition_create(moment timestamptz) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    month_start timestamp := date_trunc('month', moment AT TIME ZONE 'UTC');
    partition_name text := 'activity_event_' || to_char(month_start, 'YYYY_MM');
BEGIN
    LOCK TABLE activity_event IN SHARE UPDATE EXCLUSIVE MODE;
    IF to_regclass(partition_name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I (LIKE activity_event)', partition_name);
        EXECUTE format(
            'ALTER TABLE activity_event ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            partition_name, month_start AT TIME ZONE 'UTC', (month_start + interval '1 month') AT TIME ZONE 'UTC'
        );
    END IF;
    RETURN partition_name;
END
$fn$
"""

FORWARDS = [
    "LOCK TABLE activity_event IN EXCLUSIVE MODE",
    "ALTER TABLE activity_event RENAME TO activity_event_unpartitioned",
    "ALTER TABLE activity_event_unpartitioned RENAME CONSTRAINT activity_event_pkey TO activity_event_unpartitioned_pkey",
    "ALTER INDEX event_timeline_idx RENAME TO event_timeline_unpartitioned_idx",
    "ALTER INDEX event_kind_timeline_idx RENAME TO event_kind_timeline_unpartitioned_idx",
    "ALTER SEQUENCE activity_event_id_seq RENAME TO activity_event_unpartitioned_id_seq",
    "CREATE TABLE activity_event (LIKE activity_event_unpartitioned INCLUDING IDENTITY) PARTITION BY RANGE (occurred_at)",
    PARTITION_CREATE_FUNCTION,
    # A partition for each month that has events, and for this month and the next three.
    """
    SELECT activity_event_partition_create(month) FROM (
        SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
        FROM activity_event_unpartitioned
        UNION SELECT now() + ahead * interval '1 month' FROM generate_series(0, 3) AS ahead
    ) AS months ORDER BY month
    """,
    # Rows first, keys and indexes after: building an index at once is far quicker than row by row.
    "INSERT INTO activity_event SELECT * FROM activity_event_unpartitioned",
    """
    SELECT setval(
        pg_get_serial_sequence('activity_event', 'id'),
        GREATEST((SELECT max(id) FROM activity_event_unpartitioned), (SELECT last_value FROM activity_event_unpartitioned_id_seq))
    )
    """,
    "ALTER TABLE activity_event ADD CONSTRAINT activity_event_pkey PRIMARY KEY (id, occurred_at)",
    'CREATE INDEX event_timeline_idx ON activity_event (customer_id, occurred_at DESC, id DESC)',
    'CREATE INDEX event_kind_timeline_idx ON activity_event (kind_id, occurred_at DESC, id DESC)',
    "DROP TABLE activity_event_unpartitioned",
    "ANALYZE activity_event",
]

BACKWARDS = [
    "LOCK TABLE activity_event IN EXCLUSIVE MODE",
    "ALTER TABLE activity_event RENAME TO activity_event_partitioned",
    "ALTER TABLE activity_event_partitioned RENAME CONSTRAINT activity_event_pkey TO activity_event_partitioned_pkey",
    "ALTER INDEX event_timeline_idx RENAME TO event_timeline_partitioned_idx",
    "ALTER INDEX event_kind_timeline_idx RENAME TO event_kind_timeline_partitioned_idx",
    "ALTER SEQUENCE activity_event_id_seq RENAME TO activity_event_partitioned_id_seq",
    "CREATE TABLE activity_event (LIKE activity_event_partitioned INCLUDING IDENTITY)",
    "INSERT INTO activity_event SELECT * FROM activity_event_partitioned",
    """
    SELECT setval(
        pg_get_serial_sequence('activity_event', 'id'),
        GREATEST((SELECT max(id) FROM activity_event_partitioned), (SELECT last_value FROM activity_event_partitioned_id_seq))
    )
    """,
    "ALTER TABLE activity_event ADD CONSTRAINT activity_event_pkey PRIMARY KEY (id)",
    'CREATE INDEX event_timeline_idx ON activity_event (customer_id, occurred_at DESC, id DESC)',
    'CREATE INDEX event_kind_timeline_idx ON activity_event (kind_id, occurred_at DESC, id DESC)',
    "DROP TABLE activity_event_partitioned",
    "DROP FUNCTION activity_event_partition_create(timestamptz)",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("activity", "0005_log_without_constraints"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventClientId",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "account_id", "client_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.account",
                    ),
                ),
                ("client_id", models.CharField(max_length=128)),
                ("event_id", models.BigIntegerField()),
                ("occurred_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(
            "INSERT INTO activity_eventclientid (account_id, client_id, event_id, occurred_at) "
            "SELECT account_id, client_id, id, occurred_at FROM activity_event WHERE client_id IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveConstraint(model_name="event", name="event_client_id_unique"),
        migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS)),
    ]
