"""Drill: migration activity/0006 turns an event table of the previous schema (0005), rows in it, into the
partitioned store without losing or changing a row, and turns it back. It runs the real migrations, in
their own processes, on a database of its own."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]
BASE = Path(__file__).resolve().parents[2]
COLUMNS = (
    "id, account_id, customer_id, kind_id, source, type, description, properties, occurred_at, received_at, client_id"
)
# Rows of today's schema: every month from late 2023 to now in UTC, instants on either side of month
# boundaries, client ids on some, ids with gaps as a real sequence leaves them.
ROWS = f"""
INSERT INTO activity_event ({COLUMNS})
SELECT n * 3, 1 + n % 2, 10 + n % 7, 100 + n % 5, 'Shop', 'type_' || n % 5, 'event ' || n,
       jsonb_build_object('n', n, 'big', 123456789012345678901234567890, 'text', 'é ✓ "quoted"'),
       timestamptz '2023-11-01 00:00:00+00' + n * interval '1 hour 7 minutes', now(),
       CASE WHEN n % 4 = 0 THEN 'client-' || n END
FROM generate_series(1, 20000) AS n;
INSERT INTO activity_event ({COLUMNS}) VALUES
    (900001, 1, 10, 100, 'Shop', 'edge', 'February ends', '{{}}', '2024-02-29 23:59:59.999999+00', now(), NULL),
    (900002, 1, 10, 100, 'Shop', 'edge', 'March begins', '{{}}', '2024-03-01 00:00:00+00', now(), 'edge-2'),
    (900003, 1, 10, 100, 'Shop', 'edge', 'March in UTC, not in Brazil', '{{}}', '2024-02-29 23:30:00-03', now(), NULL);
SELECT setval(pg_get_serial_sequence('activity_event', 'id'), 900010);
"""  # noqa: S608 - constant text


def _migrate(database_url: str, *target: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "migrate", *target, "-v", "0"], cwd=BASE, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _rows(db) -> list[tuple]:
    return db.execute(f"SELECT {COLUMNS} FROM activity_event ORDER BY id").fetchall()  # noqa: S608


@pytest.fixture
def drill_database():
    main = settings.DATABASES["default"]
    name = f"{main['NAME']}_partition_drill"
    server = f"postgresql://{main['USER']}@{main['HOST']}:{main['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_partitions_a_filled_event_table_without_losing_a_row_and_back(drill_database):
    _migrate(drill_database, "activity", "0005")
    with psycopg.connect(drill_database, autocommit=True) as db:
        db.execute(ROWS)
        before = _rows(db)

    _migrate(drill_database)

    with psycopg.connect(drill_database, autocommit=True) as db:
        assert db.execute("SELECT relkind FROM pg_class WHERE oid = 'activity_event'::regclass").fetchone()[0] == "p"
        assert _rows(db) == before
        misplaced = db.execute(
            "SELECT count(*) FROM activity_event "
            "WHERE tableoid::regclass::text <> 'activity_event_' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY_MM')"
        ).fetchone()[0]
        assert misplaced == 0
        edges = dict(db.execute("SELECT id, tableoid::regclass::text FROM activity_event WHERE id > 900000").fetchall())
        assert edges == {
            900001: "activity_event_2024_02",
            900002: "activity_event_2024_03",
            900003: "activity_event_2024_03",
        }
        claims = db.execute(
            "SELECT account_id, client_id, event_id, occurred_at FROM activity_eventclientid ORDER BY event_id"
        ).fetchall()
        assert claims == [(r[1], r[10], r[0], r[8]) for r in before if r[10] is not None]
        [new_id] = db.execute(
            "INSERT INTO activity_event (account_id, customer_id, kind_id, source, type, description, properties, "
            "occurred_at, received_at) VALUES (1, 10, 100, 'Shop', 'after', '', '{}', now(), now()) RETURNING id"
        ).fetchone()
        assert new_id > 900010
        db.execute("DELETE FROM activity_event WHERE id = %s", [new_id])

    _migrate(drill_database, "activity", "0005")

    with psycopg.connect(drill_database, autocommit=True) as db:
        assert db.execute("SELECT relkind FROM pg_class WHERE oid = 'activity_event'::regclass").fetchone()[0] == "r"
        assert _rows(db) == before
        with pytest.raises(psycopg.errors.UniqueViolation):
            db.execute(
                "INSERT INTO activity_event (account_id, customer_id, kind_id, source, type, description, "
                "properties, occurred_at, received_at, client_id) "
                "VALUES (1, 10, 100, 'Shop', 't', '', '{}', now(), now(), 'edge-2')"
            )
