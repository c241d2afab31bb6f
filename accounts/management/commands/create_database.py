"""Create the PostgreSQL database DATABASE_URL names when the server does not have it yet.

`make setup` (and so `make run`) runs it before migrating, so pointing DATABASE_URL at a fresh server is
enough. It connects to the server's `postgres` maintenance database as DATABASE_URL's user, who needs the
CREATEDB privilege; on SQLite, or when the database exists, it does nothing.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, ProgrammingError, connections


class Command(BaseCommand):
    help = "Create the PostgreSQL database DATABASE_URL names if it does not exist yet."

    def handle(self, *args, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            return
        name = connection.settings_dict["NAME"]
        try:
            connection.ensure_connection()
            return
        except OperationalError as error:
            refused = error
        try:
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                missing = cursor.fetchone() is None
                if missing:
                    cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        except ProgrammingError as error:  # e.g. the user may not create databases
            raise CommandError(f"The database {name} does not exist and can't be created: {error}") from error
        except OperationalError:
            missing = False
        if not missing:  # the server is unreachable, or the error was about something else (password, rights)
            raise CommandError(f"Can't connect to the database: {refused}")
        self.stdout.write(f"Created the database {name}.")
