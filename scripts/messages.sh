#!/usr/bin/env bash
# Refresh the French catalogues from the source (needs gettext). Then translate the empty msgstr lines.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
for app in accounts profiles tickets activity; do
  (cd "$app" && "../$PY" ../manage.py makemessages -l fr --no-location --no-obsolete -v 0)
done
"$PY" manage.py makemessages -l fr --no-location --no-obsolete -v 0 \
  -i ".venv/*" -i "node_modules/*" -i "accounts/*" -i "profiles/*" -i "tickets/*" -i "activity/*" -i "demo/*" -i "tests/*"
