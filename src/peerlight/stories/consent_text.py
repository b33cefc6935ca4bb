"""The exact words an author agrees to for a story, put together from their choices.

The wording lives in ``data/consent_text.json``, one set of sentences per
language, so the text a person agrees to is reviewed as a whole and does not
depend on a translation catalogue being complete. ``render`` builds the
document for a set of choices in the author's language (English when the
language is not in the file) and says which language it used; the consent
row stores both, and ``StoryConsent.save`` stores the document's SHA-256.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import formats, translation

TEXT_FILE = Path(__file__).resolve().parent / "data" / "consent_text.json"
FALLBACK = "en"
CHOICE_KEYS = {
    "audience": ("members", "public"),
    "attribution": ("display_name", "other_name", "anonymous"),
    "advocacy": ("none", "any", "chosen"),
    "ends": ("none", "date"),
}
SENTENCE_KEYS = ("heading", "intro", "rights", "withdrawn", "list_separator", "quote")


@dataclass(frozen=True)
class Choices:
    """What the author chose; ``campaigns`` are the titles of the chosen campaigns."""

    audience: str
    attribution: str
    advocacy: str = "none"
    other_name: str = ""
    campaigns: Sequence[str] = ()
    ends_on: datetime.date | None = None


@dataclass(frozen=True)
class Document:
    text: str
    language: str


def parse(data: object) -> dict[str, Mapping[str, Any]]:
    """The wording per language; ``ValueError`` when a language lacks a sentence."""
    languages = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(languages, dict) or FALLBACK not in languages:
        raise ValueError("the consent text file needs 'languages', English at least")
    for code, words in languages.items():
        if not isinstance(words, dict):
            raise ValueError(f"languages.{code} must be an object")
        for key in SENTENCE_KEYS:
            if not isinstance(words.get(key), str):
                raise ValueError(f"languages.{code}.{key} is missing")
        for key, options in CHOICE_KEYS.items():
            group = words.get(key)
            if not isinstance(group, dict) or not all(
                isinstance(group.get(option), str) for option in options
            ):
                raise ValueError(f"languages.{code}.{key} needs {', '.join(options)}")
    return languages


@functools.cache
def wording() -> dict[str, Mapping[str, Any]]:
    return parse(json.loads(TEXT_FILE.read_text(encoding="utf-8")))


def language_of(language: str | None) -> str:
    """The file's language for ``language`` (its base), English when the file lacks it."""
    base = (language or FALLBACK).split("-")[0].lower()
    return base if base in wording() else FALLBACK


def _date(day: datetime.date, language: str) -> str:
    with translation.override(language):
        return str(formats.date_format(day, "DATE_FORMAT"))


def render(choices: Choices, *, number: int, display_name: str, language: str | None) -> Document:
    """The document for ``choices``, as version ``number``, in ``language``.

    ``ValueError`` for a choice the wording does not know: the caller
    validates choices first, so this is a programming error.
    """
    code = language_of(language)
    words = wording()[code]
    name = display_name if choices.attribution == "display_name" else choices.other_name
    titles = words["list_separator"].join(
        words["quote"].format(text=title) for title in choices.campaigns
    )
    ends = "date" if choices.ends_on is not None else "none"
    try:
        lines = [
            words["heading"].format(number=number),
            words["intro"],
            words["audience"][choices.audience],
            words["attribution"][choices.attribution].format(name=name),
            words["advocacy"][choices.advocacy].format(campaigns=titles),
            words["ends"][ends].format(
                date=_date(choices.ends_on, code) if choices.ends_on else ""
            ),
            words["rights"],
        ]
    except KeyError as unknown:
        raise ValueError(f"Not a consent choice: {unknown}") from None
    return Document("\n\n".join(lines), code)


def render_withdrawal(*, number: int, language: str | None) -> Document:
    """The document of a withdrawal, as version ``number``."""
    code = language_of(language)
    words = wording()[code]
    return Document(f"{words['heading'].format(number=number)}\n\n{words['withdrawn']}", code)
