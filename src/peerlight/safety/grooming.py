"""Signs of grooming in what a peer writes to a member (no Django imports).

``check(text)`` returns the reason codes whose patterns the text matches, in
a fixed order: ``contact`` (asking for a phone number, an app handle, an
e-mail or an address, or to move the talk elsewhere), ``age``, ``photos``,
``meet`` (meeting offline or in person), ``secrecy`` and ``gifts`` (gifts
or money). The patterns live in ``data/grooming.json`` (versioned), so a new
phrase is an edit to the file, not to the code; ``@name`` in a pattern
stands for the file's shared word list ``name`` ("@your": your, ur, yr).

How a text is read, on both sides (the text and every pattern):

* lower case, accents removed ("¿Cuántos años?" → "cuantos anos"),
  apostrophes dropped ("what's" → "whats", so "whats" matches too);
* digits inside words read as letters ("wh4tsapp" → "whatsapp"), while
  numbers on their own stay numbers (a crisis line's "988" is just a number);
* runs of one letter collapsed to one ("hooow oold" → "how old"; "meet" →
  "met" on both sides, which is why the patterns ask for a request such as
  "can we meet" and never for the bare verb);
* everything else that is not a letter or a digit becomes one space.

Patterns are regular expressions written over that normalised text (their
words are normalised the same way when the file is loaded) and only ever
match whole words. They look for a request aimed at the reader ("what's
your number", "send me a pic"), not for the topic: "how old is your dog",
"call the crisis line at 988" and "my therapist asked for a photo of my
rash" are not requests for anything of the reader's.

It errs toward asking a person to look: a hit raises a report for a
coordinator, it never blocks a message and never judges anyone.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PATTERNS_FILE = Path(__file__).resolve().parent / "data" / "grooming.json"
CODES = ("contact", "age", "photos", "meet", "secrecy", "gifts")

# Straight and curly apostrophes, backtick, acute accent.
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_DIGITS_AS_LETTERS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_MIXED_WORD = re.compile(r"[a-z0-9]*(?:[a-z][0-9]|[0-9][a-z])[a-z0-9]*")
_REPEATED_LETTER = re.compile(r"([a-z])\1+")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# "@your" in a pattern stands for the file's "words" entry "your".
_WORD_REFERENCE = re.compile(r"@([a-z_]+)")


def _fold(text: str) -> str:
    """Lower case without accents (ñ becomes n, é becomes e)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    """The text as the patterns read it (see the module docstring)."""
    folded = _APOSTROPHES.sub("", _fold(text))
    spaced = _NOT_WORD.sub(" ", folded)
    lettered = _MIXED_WORD.sub(lambda word: word[0].translate(_DIGITS_AS_LETTERS), spaced)
    return _REPEATED_LETTER.sub(r"\1", lettered).strip()


def _normalise_pattern(source: str) -> str:
    # Only runs of letters are rewritten, so the regular expression's own
    # syntax (groups, "?", "\b") is left alone.
    return _LETTER_RUN.sub(
        lambda run: _REPEATED_LETTER.sub(r"\1", _APOSTROPHES.sub("", _fold(run[0]))), source
    )


@dataclass(frozen=True)
class Patterns:
    version: int
    languages: tuple[str, ...]
    by_code: Mapping[str, re.Pattern[str]]


def compile_patterns(data: Mapping[str, object]) -> Patterns:
    """Build ``Patterns`` from the file's contents; ``ValueError`` for a malformed file."""
    version = data.get("version")
    rules = data.get("rules")
    words = data.get("words", {})
    if not isinstance(version, int) or not isinstance(rules, list) or not isinstance(words, dict):
        raise ValueError("The grooming patterns need a version and a list of rules.")

    def expand(match: re.Match[str]) -> str:
        found = words.get(match[1])
        if not isinstance(found, str):
            raise ValueError(f"Unknown word {match[1]!r} in the grooming patterns.")
        return f"(?:{found})"

    sources: dict[str, list[str]] = {code: [] for code in CODES}
    languages: list[str] = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise ValueError("Each grooming rule is an object.")
        code, language, patterns = rule.get("code"), rule.get("language"), rule.get("patterns")
        if code not in sources or not isinstance(language, str):
            raise ValueError(f"Unknown grooming code {code!r} or missing language.")
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ValueError(f"The patterns of {code!r} ({language}) must be strings.")
        if language not in languages:
            languages.append(language)
        sources[code].extend(
            f"(?:{_normalise_pattern(_WORD_REFERENCE.sub(expand, p))})" for p in patterns
        )
    by_code = {
        code: re.compile(r"(?<![a-z0-9])(?:" + "|".join(found) + r")(?![a-z0-9])")
        for code, found in sources.items()
        if found
    }
    return Patterns(version=version, languages=tuple(languages), by_code=by_code)


@functools.cache
def load_patterns(path: Path = PATTERNS_FILE) -> Patterns:
    """The patterns of ``path``, read and compiled once per process."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError("The grooming patterns file holds one object.")
    return compile_patterns(data)


def check(text: str, patterns: Patterns | None = None) -> tuple[str, ...]:
    """The reason codes ``text`` shows, in ``CODES`` order; empty when none."""
    compiled = patterns if patterns is not None else load_patterns()
    normalised = normalise(text)
    if not normalised:
        return ()
    return tuple(
        code
        for code in CODES
        if (pattern := compiled.by_code.get(code)) is not None and pattern.search(normalised)
    )


def describe(codes: Sequence[str]) -> tuple[str, ...]:
    """Only the known codes of ``codes``, in ``CODES`` order (for stored lists)."""
    return tuple(code for code in CODES if code in codes)
