"""What the dashboard paints first, before it imports its views, the store or the detector
(ui/app.py builds the views after the first frame): one tab per symbol, under the id its view
keeps, saying the symbol is loading."""

from __future__ import annotations


def symbol_id(symbol: str) -> str:
    """The symbol as a Textual id: letters, digits and '-' kept, anything else (the '.' of BRK.B,
    the '^' of ^SPX) spelled as _hex_, so distinct symbols keep distinct ids."""
    return "".join(
        c if c.isascii() and (c.isalnum() or c == "-") else f"_{ord(c):x}_" for c in symbol
    )


def tab_id(symbol: str) -> str:
    return f"tab-{symbol_id(symbol)}"


def loading_text(symbol: str) -> str:
    """The state panel's text until the symbol's first answer (and on the first frame)."""
    return f"Loading {symbol}: fetching the session so far…"
