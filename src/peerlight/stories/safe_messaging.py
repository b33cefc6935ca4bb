"""The safe-messaging check a story passes before it is sent for review (no Django imports).

Two questions, asked of the title and the body:

* **Method detail** (``method_detail``). Describing how someone attempted
  suicide or harmed themselves, in detail, can put readers at risk: the
  safe-messaging guidance asks stories to keep the experience and leave out
  the how. A paragraph describes a method in detail when a method phrase
  ("overdosed", "hanged myself", "jumped from") comes with a detail in the
  same sentence (an amount or a dose, a named substance, steps, a place or a
  height), or with two kinds of detail in the same paragraph. Medication a
  doctor gave afterwards does not count as a detail ("they put me on
  lithium"). The answer names the paragraphs to look at, by number, never
  the words.

* **Current risk** (``current_risk``). ``peerlight.safety.detector.assess``
  reads the whole text. Stories are mostly told in the past, and a story of
  surviving is exactly what the community needs to read, so a level the
  detector saw is held back only when it is about now: every sentence the
  detector's rules find risky on its own must carry a marker of the distant
  past ("when I was sixteen", "five years ago", "in 2015") and no marker of
  the present ("still", "tonight"), and what is left without those
  sentences must read as calm to the whole detector, or the risk counts as
  current. For an imminent level, a marker
  of the present anywhere in the story also counts. When in doubt, the story
  is held: a person then looks, which costs the author a wait, not a harm.

Both are driven by ``data/safe_messaging.json`` (versioned, English and
Spanish), so a phrase is added by editing the file. Every language is
checked whatever the author's language, as people switch languages. Reasons
name the language, the group and the phrase as the file spells it
("en:amount:# (mg|...)"), never the text around them.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from peerlight.safety.detector import Assessment, assess

PATTERNS_FILE = Path(__file__).resolve().parent / "data" / "safe_messaging.json"
DETAIL_GROUPS = ("amount", "substance", "steps", "place")
GROUPS = ("method", *DETAIL_GROUPS, "treatment", "distant_past", "present")
# The paragraph number given for the title.
TITLE = 0

_SENTENCE_END = re.compile(r"[.!?;…]+(?=\s|$)|\n+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_YEAR = r"(?:19|20)\d\d"
_APOSTROPHES = str.maketrans("", "", "'\u2018\u2019\u02bc")


# --- The patterns file -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    reason: str  # "en:amount:# (mg|pills)"
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Patterns:
    version: int
    groups: dict[str, tuple[Pattern, ...]]


def _phrase_regex(phrase: str, number: str) -> str:
    """The regular expression of one phrase of the file's small syntax."""
    out: list[str] = []
    position = 0

    def alternatives(end: str) -> str:
        nonlocal position
        options: list[list[str]] = [[]]
        while position < len(phrase):
            char = phrase[position]
            if char == "(":
                position += 1
                options[-1].append(f"(?:{alternatives(')')})")
            elif char == ")" and end == ")":
                position += 1
                break
            elif char == "|" and end == ")":
                options.append([])
                position += 1
            elif char == "#":
                options[-1].append(number)
                position += 1
            elif char == "*":
                options[-1].append("[^\\W_]*")
                position += 1
            elif char == "@" and phrase.startswith("@year", position):
                options[-1].append(_YEAR)
                position += len("@year")
            elif char.isalnum() or char == " ":
                options[-1].append(re.escape(char))
                position += 1
            else:
                raise ValueError(f"unexpected {char!r} in phrase {phrase!r}")
        else:
            if end == ")":
                raise ValueError(f"unclosed '(' in phrase {phrase!r}")
        if any(not option for option in options):
            raise ValueError(f"empty alternative in phrase {phrase!r}")
        return "|".join("".join(option) for option in options)

    out.append(alternatives(""))
    if position != len(phrase):
        raise ValueError(f"unbalanced ')' in phrase {phrase!r}")
    return rf"(?<![^\W_])(?:{''.join(out)})(?![^\W_])"


def parse(data: object) -> Patterns:
    """Patterns from the file's JSON; ``ValueError`` for a malformed file."""
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise ValueError("the safe-messaging file needs an integer 'version'")
    languages = data.get("languages")
    if not isinstance(languages, dict) or "en" not in languages:
        raise ValueError("the safe-messaging file needs 'languages', English at least")
    groups: dict[str, list[Pattern]] = {name: [] for name in GROUPS}
    for code, entry in languages.items():
        if not isinstance(entry, dict):
            raise ValueError(f"languages.{code} must be an object")
        numbers = entry.get("numbers", [])
        words = "|".join(re.escape(fold(word)) for word in numbers)
        number = rf"(?:\d+(?:[.,]\d+)*{'|' + words if words else ''})"
        for name in GROUPS:
            phrases = entry.get(name)
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise ValueError(f"languages.{code}.{name} must be a list of phrases")
            for phrase in phrases:
                regex = re.compile(_phrase_regex(fold(phrase), number))
                groups[name].append(Pattern(f"{code}:{name}:{phrase}", regex))
    return Patterns(data["version"], {name: tuple(found) for name, found in groups.items()})


@functools.cache
def patterns(path: Path = PATTERNS_FILE) -> Patterns:
    """The shipped patterns, read once per process."""
    return parse(json.loads(path.read_text(encoding="utf-8")))


# --- Reading a text ----------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes of every kind dropped ("I'm" → "im")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.translate(_APOSTROPHES)


def normalise(sentence: str) -> str:
    """Words and numbers of ``sentence``, folded, one space apart ("500mg" → "500 mg")."""
    return " ".join(_TOKEN.findall(fold(sentence)))


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs as the Markdown subset reads them (blank lines between)."""
    return [part for part in _PARAGRAPH_BREAK.split(body.strip()) if part.strip()]


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _found(group: str, sentence: str, using: Patterns) -> list[str]:
    return [item.reason for item in using.groups[group] if item.regex.search(sentence)]


def _has(group: str, sentence: str, using: Patterns) -> bool:
    return any(item.regex.search(sentence) for item in using.groups[group])


# --- Method detail -----------------------------------------------------------------------


@dataclass(frozen=True)
class MethodFinding:
    """Where a story describes a method in detail, and which phrases say so."""

    # 1 for the body's first paragraph; ``TITLE`` (0) for the title.
    paragraphs: tuple[int, ...]
    reasons: tuple[str, ...]


def _paragraph_reasons(paragraph: str, using: Patterns) -> list[str]:
    """The reasons a paragraph describes a method in detail; empty when it does not."""
    methods: list[str] = []
    details: dict[str, list[str]] = {}
    for sentence in map(normalise, sentences(paragraph)):
        method = _found("method", sentence, using)
        if _has("treatment", sentence, using):
            found = {}
        else:
            found = {group: _found(group, sentence, using) for group in DETAIL_GROUPS}
            found = {group: reasons for group, reasons in found.items() if reasons}
        if method and found:
            return [*method, *(reason for reasons in found.values() for reason in reasons)]
        methods.extend(method)
        for group, reasons in found.items():
            details.setdefault(group, []).extend(reasons)
    if methods and len(details) >= 2:
        return [*methods, *(reason for reasons in details.values() for reason in reasons)]
    return []


def method_detail(title: str, body: str, *, using: Patterns | None = None) -> MethodFinding | None:
    """Where ``title`` and ``body`` describe a method of suicide or self-harm in detail.

    None when they do not.
    """
    using = using or patterns()
    where: list[int] = []
    reasons: list[str] = []
    for number, paragraph in enumerate([title, *paragraphs(body)]):
        found = _paragraph_reasons(paragraph, using)
        if found:
            where.append(number)
            reasons.extend(reason for reason in found if reason not in reasons)
    return MethodFinding(tuple(where), tuple(reasons)) if where else None


# --- Current risk ------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskReading:
    """What the safety detector saw (``level``, ``reasons``) and whether it is about now."""

    level: str
    reasons: tuple[str, ...]
    current: bool


type Assessor = Callable[[str, str | None], Assessment]


def _detector(text: str, language: str | None) -> Assessment:
    return assess(text, language)


def _detector_rules(text: str, language: str | None) -> Assessment:
    return assess(text, language, learned=False)


def _is_distant(sentence: str, using: Patterns) -> bool:
    words = normalise(sentence)
    return _has("distant_past", words, using) and not _has("present", words, using)


def _about_now(
    text: str,
    language: str | None,
    level: str,
    using: Patterns,
    read: Assessor,
    read_rules: Assessor,
) -> bool:
    parts = sentences(text)
    # Sentences are found by the rules alone: they say which phrase made a
    # sentence risky, where the learned model, reading a few words without
    # their story, is too easily moved ("nobody tried to fix me").
    risky = [sentence for sentence in parts if read_rules(sentence, language).is_urgent]
    # Risk that only the whole shows (a means here, a time there) is about now.
    if not risky or not all(_is_distant(sentence, using) for sentence in risky):
        return True
    rest = " ".join(sentence + "." for sentence in parts if sentence not in risky)
    if rest and read(rest, language).is_urgent:
        return True
    return level == "imminent" and any(_has("present", normalise(s), using) for s in parts)


def current_risk(
    title: str,
    body: str,
    language: str | None = None,
    *,
    using: Patterns | None = None,
    read: Assessor | None = None,
    read_rules: Assessor | None = None,
) -> RiskReading:
    """The detector's reading of the story, and whether it shows risk now (``current``).

    ``read`` is the detector (rules and learned model), ``read_rules`` the
    rules alone; both are the shipped detector unless given.
    """
    using = using or patterns()
    read = read or _detector
    read_rules = read_rules or _detector_rules
    text = f"{title}.\n\n{body}"
    whole = read(text, language)
    if not whole.is_urgent:
        return RiskReading("none", (), current=False)
    current = _about_now(text, language, whole.level, using, read, read_rules)
    return RiskReading(whole.level, whole.reasons, current=current)


# --- Both --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The outcome of the check: "method" (send back), "risk" (hold) or "clear"."""

    outcome: str
    # What to store on the version: "none", "method", "concern" or "imminent".
    level: str
    reasons: tuple[str, ...] = ()
    paragraphs: tuple[int, ...] = ()


CLEAR = Verdict("clear", "none")


def check(
    title: str,
    body: str,
    language: str | None = None,
    *,
    using: Patterns | None = None,
    read: Assessor | None = None,
    read_rules: Assessor | None = None,
) -> Verdict:
    """Current risk first (a person must know at once), then method detail.

    Risk the detector saw that is about the past is clear, with its reasons
    kept as "past:<reason>" so a moderator can see what was recognised.
    """
    using = using or patterns()
    risk = current_risk(title, body, language, using=using, read=read, read_rules=read_rules)
    if risk.current:
        return Verdict("risk", risk.level, risk.reasons)
    method = method_detail(title, body, using=using)
    if method is not None:
        return Verdict("method", "method", method.reasons, method.paragraphs)
    return Verdict("clear", "none", tuple(f"past:{reason}" for reason in risk.reasons))
