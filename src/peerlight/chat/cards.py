"""Cards: structured messages an app posts into a chat (a shared resource, say).

A card is a title, a few short lines and a link to a page on this site. The
app above the chat builds it from its own data; the chat stores it as JSON
in the message body (encrypted like any message) and renders it with the
message partial. A card is not words a person typed, so it is not masked
or read by the safety check; it is validated instead: plain text only (the
template escapes it), bounded sizes, and a link that can only be a path on
this site.

``post_card`` (the write) lives in ``chat.actions`` with the other writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["MAX_LINE", "MAX_LINES", "MAX_TITLE", "MAX_URL", "Card", "card_from_body"]

MAX_TITLE = 200
MAX_LINE = 200
MAX_LINES = 6
MAX_URL = 300


def _is_same_site_path(url: str) -> bool:
    # "/x" only: not "//host" (another site), not "/\\host" (which browsers
    # read as "//host"), and nothing a browser would strip or reinterpret.
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url.isprintable()
        and " " not in url
    )


@dataclass(frozen=True)
class Card:
    """What a card shows: ``title``, ``lines`` of plain text and a same-site ``url``.

    Construction validates; a bad card is the calling app's mistake and
    raises ``ValueError``.
    """

    title: str
    lines: tuple[str, ...]
    url: str

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError("A card needs a title.")
        if len(self.title) > MAX_TITLE:
            raise ValueError(f"A card title has at most {MAX_TITLE} characters.")
        if not isinstance(self.lines, tuple) or len(self.lines) > MAX_LINES:
            raise ValueError(f"A card has a tuple of at most {MAX_LINES} lines.")
        for line in self.lines:
            if not isinstance(line, str) or len(line) > MAX_LINE:
                raise ValueError(f"Each card line is text of at most {MAX_LINE} characters.")
        if not isinstance(self.url, str) or len(self.url) > MAX_URL:
            raise ValueError(f"A card link is text of at most {MAX_URL} characters.")
        if not _is_same_site_path(self.url):
            raise ValueError("A card links to a path on this site only (starting with '/').")

    def to_body(self) -> str:
        """The JSON stored as the message body."""
        return json.dumps(
            {"title": self.title, "lines": list(self.lines), "url": self.url},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def card_from_body(body: str) -> Card | None:
    """The card a message body holds, or None if it holds no valid card.

    Read defensively: a body that was changed outside ``post_card`` (or a
    future format) renders as nothing rather than failing the page.
    """
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    title, lines, url = data.get("title"), data.get("lines", []), data.get("url")
    if not isinstance(title, str) or not isinstance(lines, list) or not isinstance(url, str):
        return None
    try:
        return Card(title=title, lines=tuple(lines), url=url)
    except ValueError:
        return None
