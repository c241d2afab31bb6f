import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[1]


def _check(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "config.settings"
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE, env=environment | env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/helpdesk"),
        ("DATABASE_URL", "postgres://"),
        ("DEBUG", "maybe"),
        ("EMAIL_BACKEND", "carrier-pigeon"),
        ("EMAIL_PORT", "twenty-five"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(variable, value):
    result = _check(**{variable: value})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_good_settings_start_cleanly():
    result = _check()

    assert result.returncode == 0, result.stderr
