"""The replica drill (scripts/replica-drill) as a test: outside the default suite (pytest -m slow), it takes a
minute and needs PostgreSQL's server binaries."""

import subprocess
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_with_the_replica_stopped_then_cut_off_no_request_fails_and_every_writer_reads_its_write():
    result = subprocess.run(  # noqa: S603 - our own script
        [str(BASE / "scripts" / "replica-drill")],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "DRILL_SECONDS": "20"},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed (target 0), 0 stale reads after a write (target 0)" in result.stdout
    # The replica served reads before it was stopped, and again once started.
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.startswith("  replica-")}
    assert int(rows["replica-serving"][6]) > 0 and int(rows["replica-back"][6]) > 0, result.stdout
