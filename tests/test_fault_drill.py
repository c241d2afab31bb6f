"""The fault drill (scripts/fault-drill) as a test: outside the default suite (pytest -m slow), it takes a
minute and needs PostgreSQL's server binaries and wrk."""

import shutil
import subprocess
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_with_synchronous_commits_no_acknowledged_event_is_lost_and_no_answer_is_a_500():
    if shutil.which("wrk") is None:
        pytest.skip("needs wrk (apt-get install -y wrk)")

    result = subprocess.run(  # noqa: S603 - our own script
        [str(BASE / "scripts" / "fault-drill")],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "DRILL_COMMIT": "sync", "DRILL_SECONDS": "20"},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 of them lost" in result.stdout and " 0 500s" in result.stdout
