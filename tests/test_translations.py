"""Every user-facing string has a French translation: a string marked in code but missing or empty in
its French catalogue fails here, so the French UI never silently falls back to English."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# Each catalogue and the source folders it covers: the project's own, and one per app (a folder with an
# apps.py), so a new app can't be forgotten.
CATALOGUES = {
    "locale": ["templates", "config", "common"],
    **{f"{apps.parent.name}/locale": [apps.parent.name] for apps in BASE.glob("*/apps.py")},
}


def _extract(sources: list[str], tmp_path: Path) -> set[str]:
    """The msgids Django's makemessages finds in `sources` (run on a copy, so the tree is untouched)."""
    work = tmp_path / "src"
    for source in sources:
        if (BASE / source).exists():
            shutil.copytree(BASE / source, work / source, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (work / "locale").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "PYTHONPATH": str(BASE)}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fr", "--no-location", "-v", "0"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    po = work / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    return {entry.msgid for entry in polib.pofile(str(po))} if po.exists() else set()


@pytest.mark.parametrize("catalogue", sorted(CATALOGUES))
def test_every_marked_string_has_a_french_translation(catalogue, tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext (gettext) is required in CI to check translations")
        pytest.skip("gettext's xgettext is not installed (apt-get install gettext)")
    marked = _extract(CATALOGUES[catalogue], tmp_path)
    po_path = BASE / catalogue / "fr" / "LC_MESSAGES" / "django.po"
    translated = {}
    if po_path.exists():
        translated = {e.msgid: e for e in polib.pofile(str(po_path)) if not e.obsolete}
    missing = sorted(
        m
        for m in marked
        if m not in translated
        or "fuzzy" in translated[m].flags
        or not (translated[m].msgstr or all(translated[m].msgstr_plural.values()))
    )
    assert not missing, f"{len(missing)} string(s) lack a French translation in {po_path}: {missing[:15]}"


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("Sign in", "Se connecter"),  # accounts/locale
        ("Skip to content", "Aller au contenu"),  # the project's own locale/, for templates/
        ("Show 10 more", "En afficher 10 autres"),  # profiles/locale
    ],
)
def test_french_catalogues_compile_and_are_used(db, english, french):
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext(english) == french
