"""A small, explainable risk detector for what people write (no Django imports).

``assess(text)`` says whether a text shows imminent risk (intent, a plan,
means or an act in progress, toward oneself or others), concern (distress,
passive thoughts of death, self-harm, abuse) or neither, and which phrase
groups made it say so. It is driven by ``data/lexicon.json`` (versioned), so
a phrase is added by editing the file, not the code.

How a text is read:

1. Normalised: lower case, accents removed, apostrophes dropped ("I'm" →
   "im"), letter-digit spellings read as letters ("k1ll" → "kill"), runs of a
   letter collapsed ("sooo" → "so"; "kill" → "kil" on both sides, so phrases
   still match), numbers as "#", "gonna"/"wanna" spelled out. Punctuation
   splits the text into clauses; a phrase never crosses a clause.
2. Whole phrases are found (never parts of words). An idiom from the
   exceptions ("this homework is killing me", "me muero de ganas") cancels
   any phrase it overlaps, unless the phrase fully contains it. Of two
   phrases where one contains the other, the longer one counts.
3. A negation just before a phrase ("I'm not going to hurt myself"), or a
   marker of distance in the same clause ("years ago", "used to"), lowers that
   phrase's level by one: imminent becomes concern, concern becomes none.

Every language in the lexicon is checked whatever ``language`` says, because
people switch languages mid-sentence; ``language`` only puts that language's
reasons first. Reasons name the language, the phrase group and the phrase as
the lexicon spells it ("en:intent:kill myself"), never the text around it.

This is deliberately simple and errs toward concern: it is a net for a
person to look at, not a judgement. A fuller detector replaces it later.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.json"
LEVEL_ORDER = {"none": 0, "concern": 1, "imminent": 2}
LEVELS_BY_ORDER = {order: level for level, order in LEVEL_ORDER.items()}

# Clause breaks: a phrase, a negation or a distance marker never reaches
# across one.
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n\r()\[\]\"“”«»¿¡]+")
_TOKEN = re.compile(r"[a-z0-9@$]+")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_REPEATS = re.compile(r"(.)\1+")
_SPELLED_OUT = {
    "gonna": "going to",
    "gona": "going to",
    "wanna": "want to",
    "wana": "want to",
    "imma": "im going to",
    "ima": "im going to",
    "tonite": "tonight",
    "2nite": "tonight",
    "u": "you",
}
_JOINED = {("i", "am"): "im", ("my", "self"): "myself"}
_APOSTROPHES = ("'", "\u2019", "`", "\u00b4")
_ALTERNATIVES = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class Assessment:
    """How worrying a text is (``level``) and why (``reasons``)."""

    level: str
    reasons: tuple[str, ...] = ()

    @property
    def is_urgent(self) -> bool:
        """True for any level above "none": the text needs a person's attention."""
        return self.level != "none"


NO_RISK = Assessment("none")


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    level: str  # "imminent", "concern", or "none" for an exception
    reason: str  # "en:intent:kill myself"; empty for an exception


@dataclass(frozen=True)
class Language:
    code: str
    phrases: tuple[Phrase, ...]
    negations: tuple[tuple[str, ...], ...]
    fillers: frozenset[str]
    distance: tuple[tuple[str, ...], ...]
    # Phrases by their first token: each token of a text is looked up once,
    # instead of every phrase being searched for in the whole text.
    starting_with: Mapping[str, tuple[Phrase, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Lexicon:
    version: int
    languages: tuple[Language, ...]


# --- Normalising --------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _normalise_token(token: str) -> tuple[str, ...]:
    spelled = _SPELLED_OUT.get(token)
    if spelled is not None:
        return tuple(spelled.split())
    if token.isdigit():
        return ("#",)
    if any(char.isdigit() or char in "@$" for char in token) and any(
        char.isalpha() for char in token
    ):
        token = token.translate(_LEET)
    token = token.replace("@", "").replace("$", "")
    if not token:
        return ()
    token = _REPEATS.sub(r"\1", token)
    # Checked again after collapsing, for "gonnaaa".
    return tuple(_SPELLED_OUT.get(token, token).split())


def _join_pairs(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        if joined and (joined[-1], token) in _JOINED:
            joined[-1] = _JOINED[(joined[-1], token)]
        else:
            joined.append(token)
    return joined


def normalise_clause(clause: str) -> tuple[str, ...]:
    """The tokens of one clause, normalised as described in the module docstring."""
    text = _strip_accents(clause.casefold())
    for apostrophe in _APOSTROPHES:
        text = text.replace(apostrophe, "")
    tokens = [part for raw in _TOKEN.findall(text) for part in _normalise_token(raw)]
    return tuple(_join_pairs(tokens))


def clauses(text: str) -> list[tuple[str, ...]]:
    """``text`` split at punctuation into normalised, non-empty clauses."""
    normalised = (normalise_clause(part) for part in _CLAUSE_BREAK.split(text))
    return [clause for clause in normalised if clause]


# --- Loading the lexicon ------------------------------------------------------------------


def expand(pattern: str) -> list[str]:
    """Every phrase a pattern stands for: "(a|b) c" → ["a c", "b c"].

    An empty alternative leaves the group out: "my (own |)life" → ["my own
    life", "my life"]. Groups do not nest.
    """
    parts = _ALTERNATIVES.split(pattern)
    # split() puts the text between groups at even indexes, group contents at odd.
    if any("(" in part or ")" in part for part in parts):
        raise ValueError(f"nested or unbalanced brackets in {pattern!r}")
    choices = [[part] if index % 2 == 0 else part.split("|") for index, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def _phrases_of(patterns: object, where: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(phrase as written, its normalised tokens) for every phrase of ``patterns``."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{where} must be a list of text")
    for pattern in patterns:
        try:
            phrases = expand(pattern)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
        for phrase in phrases:
            # "#" in a phrase stands for any number; text never yields a bare "#".
            tokens = normalise_clause(phrase.replace("#", "0"))
            if not tokens:
                raise ValueError(f"{where}: {pattern!r} gives an empty phrase")
            yield phrase, tokens


def _unique(items: Iterator[tuple[str, tuple[str, ...]]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(tokens for _phrase, tokens in items))


def _parse_language(code: str, data: object) -> Language:
    if not isinstance(data, dict):
        raise ValueError(f"{code} must be an object")
    phrases: dict[tuple[tuple[str, ...], str], Phrase] = {}
    for level in ("imminent", "concern"):
        groups = data.get(level)
        if not isinstance(groups, dict) or not groups:
            raise ValueError(f"{code}.{level} must be an object of phrase groups")
        for group, patterns in groups.items():
            for written, tokens in _phrases_of(patterns, f"{code}.{level}.{group}"):
                reason = f"{code}:{group}:{written}"
                phrases.setdefault((tokens, level), Phrase(tokens, level, reason))
    for _phrase, tokens in _phrases_of(data.get("exceptions", []), f"{code}.exceptions"):
        phrases.setdefault((tokens, "none"), Phrase(tokens, "none", ""))
    fillers = data.get("fillers", [])
    if not isinstance(fillers, list):
        raise ValueError(f"{code}.fillers must be a list of words")
    starting_with: dict[str, list[Phrase]] = {}
    for entry in phrases.values():
        starting_with.setdefault(entry.tokens[0], []).append(entry)
    return Language(
        code=code,
        phrases=tuple(phrases.values()),
        starting_with={token: tuple(group) for token, group in starting_with.items()},
        negations=_unique(_phrases_of(data.get("negations", []), f"{code}.negations")),
        fillers=frozenset(token for word in fillers for token in normalise_clause(str(word))),
        distance=_unique(_phrases_of(data.get("distance", []), f"{code}.distance")),
    )


def parse(data: object) -> Lexicon:
    """Build a lexicon from the file's JSON, refusing a malformed one (``ValueError``)."""
    if not isinstance(data, dict):
        raise ValueError("the lexicon must be a JSON object")
    version = data.get("version")
    if not isinstance(version, int):
        raise ValueError("the lexicon needs an integer 'version'")
    languages = data.get("languages")
    if not isinstance(languages, dict) or not languages:
        raise ValueError("the lexicon needs an object 'languages'")
    return Lexicon(
        version=version,
        languages=tuple(_parse_language(code, entry) for code, entry in languages.items()),
    )


@functools.cache
def lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The lexicon in ``path``, read once per process."""
    return parse(json.loads(path.read_text(encoding="utf-8")))


# --- Matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    start: int
    end: int  # exclusive
    phrase: Phrase

    def overlaps(self, other: _Match) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: _Match) -> bool:
        longer = (self.end - self.start) > (other.end - other.start)
        return longer and self.start <= other.start and other.end <= self.end


def _occurs(clause: Sequence[str], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(tuple(clause[i : i + size]) == needle for i in range(len(clause) - size + 1))


def _matches(clause: Sequence[str], language: Language) -> list[_Match]:
    found = [
        _Match(start, start + len(phrase.tokens), phrase)
        for start, token in enumerate(clause)
        for phrase in language.starting_with.get(token, ())
        if tuple(clause[start : start + len(phrase.tokens)]) == phrase.tokens
    ]
    exceptions = [match for match in found if match.phrase.level == "none"]
    triggers = [
        match
        for match in found
        if match.phrase.level != "none"
        and not any(match.overlaps(idiom) and not match.contains(idiom) for idiom in exceptions)
    ]
    return [match for match in triggers if not any(other.contains(match) for other in triggers)]


def _ends_with(tokens: Sequence[str], end: int, cue: tuple[str, ...]) -> bool:
    start = end - len(cue)
    return start >= 0 and tuple(tokens[start:end]) == cue


def _is_negated(clause: Sequence[str], match: _Match, language: Language) -> bool:
    """True when a negation comes just before the phrase, perhaps after filler words."""
    position = match.start
    while position > 0:
        if any(_ends_with(clause, position, cue) for cue in language.negations):
            return True
        if clause[position - 1] not in language.fillers:
            return False
        position -= 1
    return False


def _is_distant(clause: Sequence[str], language: Language) -> bool:
    return any(_occurs(clause, marker) for marker in language.distance)


def _assess_clause(clause: Sequence[str], language: Language) -> Iterator[tuple[int, str]]:
    distant: bool | None = None
    for match in _matches(clause, language):
        level = LEVEL_ORDER[match.phrase.level]
        notes = []
        if _is_negated(clause, match, language):
            level -= 1
            notes.append("negated")
        else:
            if distant is None:
                distant = _is_distant(clause, language)
            if distant:
                level -= 1
                notes.append("past")
        reason = match.phrase.reason + "".join(f" ({note})" for note in notes)
        yield level, reason


def _ordered(languages: Sequence[Language], first: str | None) -> list[Language]:
    base = (first or "").split("-")[0].lower()
    return sorted(languages, key=lambda language: language.code != base)


def assess(text: str, language: str | None = None, *, using: Lexicon | None = None) -> Assessment:
    """Assess ``text``: the highest level any phrase reached, and the reasons.

    Reasons list only phrases that still count after negation and distance
    (a phrase lowered to "none" is left out), in order of level, then of
    appearance, without repeats.
    """
    lex = using or lexicon()
    parts = clauses(text)
    if not parts:
        return NO_RISK
    found: list[tuple[int, str]] = []
    for lang in _ordered(lex.languages, language):
        for clause in parts:
            found.extend(_assess_clause(clause, lang))
    counted = [(level, reason) for level, reason in found if level > 0]
    if not counted:
        return NO_RISK
    top = max(level for level, _reason in counted)
    ordered = sorted(counted, key=lambda item: -item[0])
    reasons = tuple(dict.fromkeys(reason for _level, reason in ordered))
    return Assessment(LEVELS_BY_ORDER[top], reasons)


__all__ = [
    "LEVEL_ORDER",
    "NO_RISK",
    "Assessment",
    "Lexicon",
    "assess",
    "clauses",
    "expand",
    "lexicon",
    "parse",
]
