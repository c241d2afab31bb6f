"""Helpers for the tests of read replicas: which database served which query."""

import re
from contextlib import ExitStack, contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.services import team_member_set_profile_preference
from common import replica_health
from common.replicas import WROTE_COOKIE

_LAG_CHECK = re.compile(r"pg_current_wal_insert_lsn|pg_is_in_recovery")
_TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', re.IGNORECASE)


def add_replica(alias: str, **settings_changes):
    """A connection named `alias` to the test database (or elsewhere, with `settings_changes`), as Django
    would open to a replica: with the primary's settings and its own connection."""
    default = connections["default"]
    replica = default.__class__({**default.settings_dict, **settings_changes}, alias)
    connections[alias] = replica
    return replica


def remove_replica(alias: str) -> None:
    connections[alias].close()
    del connections[alias]
    replica_health.forget()


class Served:
    """The queries each database ran inside the block: `served.on["default"]`, `served.on["replica1"]`."""

    def __init__(self, aliases):
        self.aliases = list(aliases)
        self.queries: dict[str, list[str]] = {}

    @property
    def on(self) -> dict[str, list[str]]:
        """The requests' own queries, less the replicas' lag measurements (once a second, on any request)."""
        return {alias: [q for q in queries if not _LAG_CHECK.search(q)] for alias, queries in self.queries.items()}

    def tables(self, alias: str) -> set[str]:
        """The tables the queries of `alias` read or wrote."""
        return {table for sql in self.on[alias] for table in _TABLE.findall(sql)}


@contextmanager
def served(*aliases):
    result = Served(aliases)
    captures = {}
    with ExitStack() as stack:
        for alias in aliases:
            captures[alias] = stack.enter_context(CaptureQueriesContext(connections[alias]))
        yield result
    # Kept now: the next request clears the connections' query logs.
    result.queries = {alias: [q["sql"] for q in capture.captured_queries] for alias, capture in captures.items()}


def forget_writes(client) -> None:
    """As if the client's last write was long ago: its reads may go to a replica again."""
    client.cookies.pop(WROTE_COOKIE, None)


def use_new_page(*members) -> None:
    for member in members:
        team_member_set_profile_preference(member=member, use_new_profile=True)


# What every signed-in page reads before its view, on the primary whatever the view does: the session, the
# team member and the host's account.
REQUEST_LOOKUPS = {"django_session", "accounts_user", "accounts_account"}
