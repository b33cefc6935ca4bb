"""The controlled vocabulary peers and members choose from, kept as a data file.

``data/vocabulary.json`` lists lived experiences, topics, languages and the
genders a peer may state, each with a stable code and a label per language.
Codes are what the database stores and what matching compares; labels are
only for people. Adding an experience is an edit to the file, not the code.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.json"
SECTIONS = ("experiences", "topics", "languages", "genders")


@dataclass(frozen=True)
class Term:
    code: str
    labels: dict[str, str]

    def label(self, language: str | None) -> str:
        """The label in ``language`` (its base, so "es-mx" gives "es"), else English."""
        base = (language or "en").split("-")[0].lower()
        return self.labels.get(base) or self.labels["en"]


@dataclass(frozen=True)
class Vocabulary:
    version: int
    experiences: tuple[Term, ...]
    topics: tuple[Term, ...]
    languages: tuple[Term, ...]
    genders: tuple[Term, ...]

    def section(self, name: str) -> tuple[Term, ...]:
        terms: tuple[Term, ...] = getattr(self, name)
        return terms

    def codes(self, name: str) -> frozenset[str]:
        return frozenset(term.code for term in self.section(name))

    def label(self, name: str, code: str, language: str | None) -> str:
        """The label of ``code`` in section ``name``; the code itself if unknown."""
        for term in self.section(name):
            if term.code == code:
                return term.label(language)
        return code

    def choices(self, name: str, language: str | None) -> list[tuple[str, str]]:
        """(code, label) pairs for a form's choices, in file order."""
        return [(term.code, term.label(language)) for term in self.section(name)]


def parse(data: object) -> Vocabulary:
    """Build a vocabulary from the file's JSON, refusing a malformed one."""
    if not isinstance(data, dict):
        raise ValueError("the vocabulary must be a JSON object")
    version = data.get("version")
    if not isinstance(version, int):
        raise ValueError("the vocabulary needs an integer 'version'")
    sections: dict[str, tuple[Term, ...]] = {}
    for name in SECTIONS:
        raw = data.get(name)
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"the vocabulary needs a non-empty list '{name}'")
        terms = []
        seen: set[str] = set()
        for index, entry in enumerate(raw):
            where = f"{name}[{index}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where} must be an object")
            code = entry.get("code")
            if not isinstance(code, str) or not code or code in seen:
                raise ValueError(f"{where} needs a unique, non-empty 'code'")
            labels = {k: v for k, v in entry.items() if k != "code"}
            if not isinstance(labels.get("en"), str) or not all(
                isinstance(v, str) and v for v in labels.values()
            ):
                raise ValueError(f"{where} needs an English label and non-empty labels")
            seen.add(code)
            terms.append(Term(code=code, labels=labels))
        sections[name] = tuple(terms)
    return Vocabulary(
        version=version,
        experiences=sections["experiences"],
        topics=sections["topics"],
        languages=sections["languages"],
        genders=sections["genders"],
    )


@functools.cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once per process."""
    return parse(json.loads(VOCABULARY_FILE.read_text(encoding="utf-8")))
