"""What an author chooses from when writing: guided prompts, content notes and topic tags.

Prompts (``data/prompts.json``) and content notes (``data/content_notes.json``)
are data files with a stable code and words per language, like the peers
vocabulary; adding one is an edit to the file. Topic tags are the peers
vocabulary's lived experiences and topics, so a story, a peer and a campaign
speak of the same things with the same codes. No Django imports.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from peerlight.peers.vocabulary import Term
from peerlight.peers.vocabulary import vocabulary as peers_vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"
PROMPTS_FILE = DATA_DIR / "prompts.json"
CONTENT_NOTES_FILE = DATA_DIR / "content_notes.json"
TAG_SECTIONS = ("experiences", "topics")


def base_language(language: str | None) -> str:
    """ "es-mx" → "es"; None → "en"."""
    return (language or "en").split("-")[0].lower()


@dataclass(frozen=True)
class PromptWords:
    question: str
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Prompt:
    """A guided prompt: a question and a few gentle sub-questions, per language."""

    code: str
    words: dict[str, PromptWords]

    def in_language(self, language: str | None) -> PromptWords:
        """The words in ``language`` (its base), else English."""
        return self.words.get(base_language(language)) or self.words["en"]


def parse_prompts(data: object) -> tuple[Prompt, ...]:
    """Prompts from the file's JSON; ``ValueError`` for a malformed file."""
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), list):
        raise ValueError("the prompts file needs a list 'prompts'")
    found: list[Prompt] = []
    for index, entry in enumerate(data["prompts"]):
        code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not code or code in {p.code for p in found}:
            raise ValueError(f"prompts[{index}] needs a unique, non-empty 'code'")
        words: dict[str, PromptWords] = {}
        for language, value in entry.items():
            if language == "code":
                continue
            question = value.get("question") if isinstance(value, dict) else None
            hints = value.get("hints") if isinstance(value, dict) else None
            if (
                not isinstance(question, str)
                or not isinstance(hints, list)
                or not 2 <= len(hints) <= 3
                or not all(isinstance(hint, str) and hint for hint in hints)
            ):
                raise ValueError(
                    f"prompts[{index}].{language} needs a 'question' and two or three 'hints'"
                )
            words[language] = PromptWords(question, tuple(hints))
        if "en" not in words:
            raise ValueError(f"prompts[{index}] needs English words")
        found.append(Prompt(code, words))
    return tuple(found)


def parse_notes(data: object) -> tuple[Term, ...]:
    """Content notes from the file's JSON; ``ValueError`` for a malformed file."""
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        raise ValueError("the content notes file needs a list 'notes'")
    found: list[Term] = []
    for index, entry in enumerate(data["notes"]):
        code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not code or code in {term.code for term in found}:
            raise ValueError(f"notes[{index}] needs a unique, non-empty 'code'")
        labels = {key: value for key, value in entry.items() if key != "code"}
        if not isinstance(labels.get("en"), str) or not all(
            isinstance(value, str) and value for value in labels.values()
        ):
            raise ValueError(f"notes[{index}] needs a label per language, English at least")
        found.append(Term(code, labels))
    return tuple(found)


@functools.cache
def prompts() -> tuple[Prompt, ...]:
    return parse_prompts(json.loads(PROMPTS_FILE.read_text(encoding="utf-8")))


@functools.cache
def content_notes() -> tuple[Term, ...]:
    return parse_notes(json.loads(CONTENT_NOTES_FILE.read_text(encoding="utf-8")))


def prompt(code: str) -> Prompt | None:
    return next((item for item in prompts() if item.code == code), None)


def prompt_choices(language: str | None) -> list[tuple[str, str]]:
    """(code, question) for a form's choices, in file order."""
    return [(item.code, item.in_language(language).question) for item in prompts()]


def note_choices(language: str | None) -> list[tuple[str, str]]:
    """(code, label) of every content note, in file order."""
    return [(term.code, term.label(language)) for term in content_notes()]


def note_label(code: str, language: str | None) -> str:
    """The label of content note ``code``; the code itself if it is no longer in the file."""
    term = next((term for term in content_notes() if term.code == code), None)
    return term.label(language) if term is not None else code


def tag_choices(language: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Topic tags grouped as the peers vocabulary groups them: experiences, then topics."""
    words = peers_vocabulary()
    return [(section, words.choices(section, language)) for section in TAG_SECTIONS]


def tag_codes() -> frozenset[str]:
    words = peers_vocabulary()
    return frozenset().union(*(words.codes(section) for section in TAG_SECTIONS))


def tag_label(code: str, language: str | None) -> str:
    """The label of tag ``code``, from whichever section holds it; the code if none does."""
    words = peers_vocabulary()
    for section in TAG_SECTIONS:
        if code in words.codes(section):
            return words.label(section, code, language)
    return code
