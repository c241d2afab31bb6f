"""Tags are stored as one space-separated, lower-case string, like the helpdesk this mirrors."""

import re

_TAG_CHARS = re.compile(r"[^\w\-:/.]+", re.UNICODE)


def normalize_tags(raw: str | list[str]) -> str:
    """Lower-case, de-duplicated tags in first-seen order; spaces inside a tag become underscores."""
    items = raw if isinstance(raw, list) else re.split(r"[,\s]+", raw or "")
    seen: dict[str, None] = {}
    for item in items:
        tag = _TAG_CHARS.sub("_", str(item).strip().lower()).strip("_")
        if tag:
            seen.setdefault(tag[:80], None)
    return " ".join(seen)


def merge_tags(*sources: str) -> str:
    return normalize_tags(" ".join(sources))
