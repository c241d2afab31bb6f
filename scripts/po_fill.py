"""Fill each French catalogue's untranslated entries from the project's other catalogues.

Moving code from one app to another moves its strings to another catalogue: `make messages` then finds
them untranslated there, while their translation still sits in the catalogue they came from (read here
before makemessages drops it). Usage: po_fill.py MEMORY.json CATALOGUE.po... (see scripts/messages.sh).
"""

import json
import sys
from pathlib import Path

import polib


def remember(paths: list[Path], memory: Path) -> None:
    """Write every translated entry of `paths` to `memory` (msgid -> msgstr or plural forms)."""
    known: dict[str, object] = {}
    for path in paths:
        for entry in polib.pofile(str(path)):
            if "fuzzy" in entry.flags or entry.obsolete:
                continue
            if entry.msgid_plural and all(entry.msgstr_plural.values()):
                known[entry.msgid] = {str(k): v for k, v in entry.msgstr_plural.items()}
            elif entry.msgstr:
                known[entry.msgid] = entry.msgstr
    memory.write_text(json.dumps(known, ensure_ascii=False))


def fill(paths: list[Path], memory: Path) -> None:
    known = json.loads(memory.read_text())
    for path in paths:
        catalogue = polib.pofile(str(path))
        filled = 0
        for entry in catalogue:
            translation = known.get(entry.msgid)
            if translation is None:
                continue
            # A fuzzy entry is makemessages' guess from a similar string: the known translation is better.
            fuzzy = "fuzzy" in entry.flags
            untranslated = not all(entry.msgstr_plural.values()) if entry.msgid_plural else not entry.msgstr
            if entry.msgid_plural and isinstance(translation, dict) and (fuzzy or untranslated):
                entry.msgstr_plural = {int(k): v for k, v in translation.items()}
            elif not entry.msgid_plural and isinstance(translation, str) and (fuzzy or untranslated):
                entry.msgstr = translation
            else:
                continue
            filled += 1
            if fuzzy:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
        if filled:
            catalogue.save()
            print(f"{path}: {filled} entries filled from the other catalogues")


if __name__ == "__main__":
    action, memory, *catalogues = sys.argv[1:]
    {"remember": remember, "fill": fill}[action]([Path(p) for p in catalogues], Path(memory))
