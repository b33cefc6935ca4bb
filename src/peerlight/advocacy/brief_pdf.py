"""A brief's HTML document as a PDF, by WeasyPrint, fetching nothing.

Imported only when a PDF is made (``briefs.render_pdf``): WeasyPrint takes
a second or two to import, which every process would otherwise pay at start.
"""

from __future__ import annotations

from typing import Any, NoReturn

from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetchingError  # type: ignore[import-untyped]

__all__ = ["RefuseFetching", "render"]


class RefuseFetching(URLFetcher):  # type: ignore[misc]
    """A URL fetcher for WeasyPrint that fetches nothing.

    A brief needs no outside resource: its stylesheet is inline and fonts
    come from the machine. Refusing every address means no text in a brief
    can make the server call out, or read a local file, while it renders.
    """

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        raise URLFetchingError("Briefs are rendered without fetching anything.")


def render(html: str) -> bytes:
    """The PDF of ``html``, laid out for print by its own stylesheet."""
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=RefuseFetching()).write_pdf()
    return pdf
