"""Throwaway PostgreSQL servers for tests and benchmarks: a primary of our own on a spare port and a streaming
replica of it (pg_basebackup), both stopped and removed afterwards. Never the server DATABASE_URL names.

Needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup; the newest /usr/lib/postgresql/*/bin, or
PG_BIN). PostgreSQL refuses to run as root: as root, the servers run as the postgres user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from django.core.cache import cache
from django.db import connections

from activity.partitions import known_partitions_forget


class ClusterUnavailable(Exception):
    """PostgreSQL servers can't be started here; the message says why."""


def server_binaries() -> Path:
    """The directory of initdb, pg_ctl and pg_basebackup."""
    candidates = [Path(os.environ["PG_BIN"])] if os.environ.get("PG_BIN") else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return directory
    raise ClusterUnavailable("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) aren't installed")


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One PostgreSQL server in `directory`, on 127.0.0.1:`port`."""

    def __init__(self, directory: Path, port: int, binaries: Path, runs_as: list[str]):
        self.directory, self.port, self.binaries, self.runs_as = directory, port, binaries, runs_as

    def start(self) -> None:
        # No fsync: the servers are thrown away (the WAL they stream and replay is the same as with it). No
        # autovacuum: nothing writes unless told to, so a replica's lag is what the caller made it.
        options = (
            f"-p {self.port} -k {self.directory.parent} -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off "
            "-c shared_buffers=32MB -c max_connections=50 -c wal_receiver_status_interval=1"
        )
        self._pg_ctl("start", "-o", options, "-l", str(self.directory.parent / f"{self.directory.name}.log"))

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    @property
    def running(self) -> bool:
        return (self.directory / "postmaster.pid").exists()

    def sql(self, query: str, database: str = "postgres") -> str:
        """The query's result as psql prints it unaligned (one row a line, columns split by |)."""
        return self._run(
            [
                self.binaries / "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atqc",
                query,
            ]  # fmt: skip
        ).strip()

    def _pg_ctl(self, *args: str) -> None:
        self._run([*self.runs_as, self.binaries / "pg_ctl", "-D", str(self.directory), "-w", "-t", "60", *args])

    @staticmethod
    def _run(command: list, **kwargs) -> str:
        result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # noqa: S603 - our own tools
        if result.returncode != 0:
            raise ClusterUnavailable(f"{Path(str(command[0])).name} failed: {result.stderr.strip()}")
        return result.stdout


class ReplicatedServers:
    """A primary and a streaming replica of it, in a temporary directory: `with ReplicatedServers() as pair:`."""

    def __init__(self):
        self.binaries = server_binaries()
        self.runs_as = _as_postgres()
        self.work = Path(tempfile.mkdtemp(prefix="replicas-"))
        self.primary = Server(self.work / "primary", spare_port(), self.binaries, self.runs_as)
        self.replica = Server(self.work / "replica", spare_port(), self.binaries, self.runs_as)

    def __enter__(self) -> "ReplicatedServers":
        try:
            self.work.chmod(0o755)
            if self.runs_as:
                shutil.chown(self.work, user="postgres")
            Server._run([*self.runs_as, self.binaries / "initdb", "-D", str(self.primary.directory), "-U", "postgres",
                         "--auth=trust", "-N"])  # fmt: skip
            self.primary.start()
            Server._run([*self.runs_as, self.binaries / "pg_basebackup", "-h", "127.0.0.1", "-p",
                         str(self.primary.port), "-U", "postgres", "-D", str(self.replica.directory), "-R",
                         "-X", "stream", "-c", "fast"])  # fmt: skip
            self.replica.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for server in (self.replica, self.primary):
            if server.running:
                with suppress(ClusterUnavailable):
                    server.stop("immediate")
        shutil.rmtree(self.work, ignore_errors=True)

    def load(self, database: str, source: dict) -> None:
        """Create `database` on the primary as a copy of the one Django's `source` settings name (schema and
        rows): a migrated database in a second, not the minute migrations take."""
        self.primary.sql(f'CREATE DATABASE "{database}"')
        environment = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
        dump = subprocess.Popen(  # noqa: S603 - our own tools
            [self.binaries / "pg_dump", "-h", source.get("HOST") or "127.0.0.1", "-p", str(source.get("PORT") or 5432),
             "-U", source.get("USER") or "postgres", "-d", source["NAME"], "--no-owner", "--no-privileges"],
            stdout=subprocess.PIPE, env=environment,
        )  # fmt: skip
        try:
            Server._run(
                [self.binaries / "psql", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                 "-d", database, "-v", "ON_ERROR_STOP=1", "-q"],
                stdin=dump.stdout,
            )  # fmt: skip
        finally:
            dump.stdout.close()
            if dump.wait() != 0:
                raise ClusterUnavailable(f"pg_dump of {source['NAME']} failed")

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        position = self.primary.sql("SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + timeout
        while self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn") != "t":
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica hasn't replayed up to {position} in {timeout} s")
            time.sleep(0.02)

    def pause_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_resume()")

    def cut_replication(self) -> None:
        """The primary stops replicating: its replication connections are refused and the current one ended
        (as when the network between the two fails); the replica goes on serving what it has."""
        hba = self.primary.directory / "pg_hba.conf"
        lines = hba.read_text().splitlines()
        hba.write_text("\n".join(line for line in lines if " replication " not in f" {line} ") + "\n")
        self.primary.sql("SELECT pg_reload_conf()")
        time.sleep(0.1)
        self.primary.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_replication")


def _as_postgres() -> list[str]:
    """The prefix that runs a server command as its owner: PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterUnavailable("running as root, and there is no postgres user to run PostgreSQL as") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ClusterUnavailable("running as root without runuser to run PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--"]


@contextmanager
def pointed_at(alias: str, port: int, host: str = "127.0.0.1"):
    """Django's connection `alias` goes to another server (the same database name) inside the block; what the
    process kept of one database (field definitions by account id, the event store's months) is forgotten
    on the way in and out."""
    connection = connections[alias]
    kept = {key: connection.settings_dict.get(key) for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=port)
    _forget_what_the_process_kept()
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(kept)
        _forget_what_the_process_kept()


def _forget_what_the_process_kept() -> None:
    cache.clear()
    known_partitions_forget()
