#!/usr/bin/env bash
# Refresh the French catalogues from the source (needs gettext): one per app (every folder with an apps.py),
# and the project's own (locale/) for templates/, config/ and common/. Strings that moved between apps keep
# their translation; then translate the empty msgstr lines that remain.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
apps=$(for f in */apps.py; do dirname "$f"; done)
catalogues=(locale/fr/LC_MESSAGES/django.po)
for app in $apps; do
  mkdir -p "$app/locale"
  catalogues+=("$app/locale/fr/LC_MESSAGES/django.po")
done
existing=()
for po in "${catalogues[@]}"; do [ -f "$po" ] && existing+=("$po"); done
memory=$(mktemp)
"$PY" scripts/po_fill.py remember "$memory" "${existing[@]}"
for app in $apps; do
  (cd "$app" && "../$PY" ../manage.py makemessages -l fr --no-location --no-obsolete -v 0)
done
ignored=()
for app in $apps; do ignored+=(-i "$app/*"); done
"$PY" manage.py makemessages -l fr --no-location --no-obsolete -v 0 -i ".venv/*" -i "node_modules/*" -i "tests/*" "${ignored[@]}"
present=()
for po in "${catalogues[@]}"; do [ -f "$po" ] && present+=("$po"); done
"$PY" scripts/po_fill.py fill "$memory" "${present[@]}"
rm -f "$memory"
