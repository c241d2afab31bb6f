"""The README stands alone: a reader who has only the repository can follow every path it names."""

import re
from pathlib import Path

BASE = Path(__file__).resolve().parents[1]
README = (BASE / "README.md").read_text()


def test_the_readme_names_no_file_outside_the_repository():
    outside = re.findall(r"\.\./[^\s`)]*|/work/[^\s`)]*|shared/SPEC\.md", README)

    assert outside == []


def test_every_repository_path_the_readme_names_exists():
    # Paths with a folder in them (`docs/scaling.md`, `config/gunicorn.py`), in code spans or links.
    named = set(re.findall(r"`([a-z_.][\w.-]*/[\w./-]+\.(?:md|py|toml|yaml|example|conf|sh))`", README))
    named |= set(re.findall(r"\]\(((?!https?:|#)[^)#\s]+)", README))

    missing = sorted(path for path in named if not (BASE / path).exists())
    assert missing == []


def test_the_readme_documents_port_and_host():
    assert "PORT" in README and "HOST" in README
    assert "make run PORT=" in README
