"""Text a database can keep: PostgreSQL refuses NUL in text, and UTF-8 can't encode a lone surrogate."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_is_storable(text: str) -> bool:
    """Whether a text can be stored (or searched for) as it is: no NUL, no lone surrogate."""
    if text.isascii():  # the usual case, and far quicker to check
        return "\x00" not in text
    return _UNSTORABLE.search(text) is None
