"""Text that came from outside (a server, a file, a child process) made safe to show.

Such text is data, never terminal control or markup: control characters (escape sequences
included) are dropped, whitespace runs become one space, the result is truncated, and any
secret (the API key) is replaced. Markup is not interpreted because the UI shows this text as
`rich.text.Text`, never as a markup string.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 160
REDACTED = "***"
_WHITESPACE = re.compile(r"\s+")


def _printable(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: C0/C1 controls and DEL; Cf: format characters (bidi overrides, zero-width joiners)
    return not category.startswith(("Cc", "Cf", "Cs", "Co", "Cn")) or char in " \t\n"


def safe_text(value: object, limit: int = MAX_LENGTH, secrets: tuple[str | None, ...] = ()) -> str:
    """One printable line of at most `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 8]  # bound the work on a huge string before cleaning it
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = "".join(char for char in text if _printable(char))
    text = _WHITESPACE.sub(" ", text).strip()
    for secret in secrets:  # a key split by control characters is whole again now
        if secret:
            text = text.replace(secret, REDACTED)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
