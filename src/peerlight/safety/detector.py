"""A small, explainable risk detector for what people write (no Django imports).

``assess(text)`` says whether a text shows imminent risk (intent, a plan,
means or an act in progress, toward oneself or others), concern (distress,
passive thoughts of death, self-harm, abuse) or neither, and which phrase
groups made it say so. ``assess_conversation(messages)`` reads the last few
messages of one person together, so risk that builds across messages is seen.
Both are driven by ``data/lexicon.json`` (versioned), so a phrase or a rule is
added by editing the file, not the code.

How a text is read:

1. Normalised (``normalise.py``): lower case, accents removed, apostrophes dropped ("I'm" →
   "im"), letter-digit spellings read as letters ("k1ll" → "kill", "k!ll" →
   "kill"), runs of a letter collapsed ("sooo" → "so"; "kill" → "kil" on both
   sides, so phrases still match), numbers as "#", chat spellings written out
   ("gonna", "kiero", "jvais"), and a word one slip away from a lexicon word
   (two letters swapped, or one dropped from a long word: "myslef",
   "sucide") read as that word. Punctuation splits the text into clauses; a
   phrase never crosses a clause.
2. Whole phrases are found (never parts of words), in one pass over the
   tokens for every language at once. An idiom from the exceptions ("this
   homework is killing me", "me muero de ganas") cancels any phrase it
   overlaps, unless the phrase fully contains it. Of two phrases where one
   contains the other, the longer one counts.
3. A negation just before a phrase ("I'm not going to hurt myself"), or a
   marker of distance in the same clause ("years ago", "used to"), lowers that
   phrase's level by one: imminent becomes concern, concern becomes none.
   So does a joke marker anywhere in the message ("lol", "jk", "jaja",
   "mdr", "💀"; the lexicon's ``jokes``): "lol kms" is a concern for a
   person to look at, not an automatic escalation.
4. Signals are phrases that mean little alone ("pills", "tonight", "goodbye
   everyone", "gave my things away") but a lot together. The lexicon's
   ``combinations`` name pairs of groups (signals or phrase groups) that,
   found in the same message, raise it to a level: "means" with "soon" is
   imminent. A combination is reported ("combination:means+soon") only when it
   raises the level the phrases reached on their own.

5. The learned model (``safety/model.py``, weights in
   ``data/risk_model.json``) reads the same normalised clauses and gives its
   own level. The higher of the two counts, except where the rules
   positively recognised something that is not current risk (an idiom, a
   negated phrase, the past or recovery, training or a third party) and the
   model is not confident enough to overrule them. A model very sure the
   text is not at risk (``demote`` in the model file) lowers the rules'
   "concern", never their "imminent", to none. When the model raised the
   level, its reason comes first: "model:" and the words that weighed most
   ("model:took pills tonight"), always words of the model's own vocabulary.

Every language in the lexicon is checked whatever ``language`` says, because
people switch languages mid-sentence; ``language`` only puts that language's
reasons first. Reasons name the language, the phrase group and the phrase as
the lexicon spells it ("en:intent:kill myself"), or the combination, never
the text around it.

The rules explain; the model generalises past the wordings the lexicon was
written with. Both err toward concern: this is a net for a person to look
at, not a judgement.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from peerlight.safety.model import ModelVerdict, RiskModel, risk_model, rule_features
from peerlight.safety.normalise import REPEATS, clauses, fold, normalise_clause

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.json"
LEVEL_ORDER = {"none": 0, "concern": 1, "imminent": 2}
LEVELS_BY_ORDER = {order: level for level, order in LEVEL_ORDER.items()}
# How many of a person's latest messages ``assess_conversation`` reads together.
CONVERSATION_WINDOW = 8

_ALTERNATIVES = re.compile(r"\(([^()]*)\)")
# Slips are only guessed for words this long: shorter ones are too often
# another real word one slip away.
_SWAP_MIN_LENGTH = 5
_DROP_MIN_LENGTH = 7

SIGNAL = "signal"


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
    level: str  # "imminent", "concern", "signal", or "none" for an exception
    reason: str  # "en:intent:kill myself"; empty for an exception
    language: str = ""
    group: str = ""


@dataclass(frozen=True)
class Language:
    code: str
    phrases: tuple[Phrase, ...]
    negations: tuple[tuple[str, ...], ...]
    fillers: frozenset[str]
    distance: tuple[tuple[str, ...], ...]
    # Markers of a story of recovery ("doing well now", "clean for"): with one
    # anywhere in the message, a phrase about the past no longer counts.
    recovery: tuple[tuple[str, ...], ...] = ()
    # Phrases by their first token: each token of a text is looked up once,
    # instead of every phrase being searched for in the whole text.
    starting_with: Mapping[str, tuple[Phrase, ...]] = field(default_factory=dict)

    @functools.cached_property
    def distance_index(self) -> Mapping[str, tuple[tuple[str, ...], ...]]:
        return _by_first_word(self.distance)


@dataclass(frozen=True)
class Combination:
    """Two or more groups that, found together, reach ``level``."""

    groups: frozenset[str]
    level: str
    code: str  # "means+soon"


@dataclass(frozen=True)
class Lexicon:
    version: int
    languages: tuple[Language, ...]
    combinations: tuple[Combination, ...] = ()
    # Every language's phrases, for the one pass over a text: one-word
    # phrases by their word, longer ones by their first two words.
    starting_with: Mapping[object, tuple[Phrase, ...]] = field(default_factory=dict)
    spellings: Mapping[str, str] = field(default_factory=dict)
    # Markers of a joke ("lol", "jk", "jaja", "mdr", and marks such as "💀"
    # that the normaliser drops, looked for in the raw text): in a message
    # with one, every phrase counts one level lower.
    jokes: frozenset[str] = frozenset()
    joke_marks: tuple[str, ...] = ()

    # Each word's normalised form, filled as texts are read (see ``clauses``).
    token_cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @functools.cached_property
    def by_code(self) -> Mapping[str, Language]:
        return {language.code: language for language in self.languages}

    @functools.cached_property
    def looking_back(self) -> Mapping[str, tuple[tuple[str, ...], ...]]:
        """Every language's markers of the past and of recovery, by their first word."""
        return _by_first_word(
            [marker for lang in self.languages for marker in (*lang.distance, *lang.recovery)]
        )


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


def _groups_of(
    code: str, data: dict[str, object], level: str, *, required: bool
) -> dict[str, object]:
    groups = data.get(level, {})
    if not isinstance(groups, dict) or (required and not groups):
        raise ValueError(f"{code}.{level} must be an object of phrase groups")
    return groups


def _parse_language(code: str, data: object) -> Language:
    if not isinstance(data, dict):
        raise ValueError(f"{code} must be an object")
    phrases: dict[tuple[tuple[str, ...], str], Phrase] = {}
    for level, key, required in (
        ("imminent", "imminent", True),
        ("concern", "concern", True),
        (SIGNAL, "signals", False),
    ):
        for group, patterns in _groups_of(code, data, key, required=required).items():
            for written, tokens in _phrases_of(patterns, f"{code}.{key}.{group}"):
                reason = f"{code}:{group}:{written}"
                phrases.setdefault((tokens, level), Phrase(tokens, level, reason, code, group))
    for _phrase, tokens in _phrases_of(data.get("exceptions", []), f"{code}.exceptions"):
        phrases.setdefault((tokens, "none"), Phrase(tokens, "none", "", code))
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
        recovery=_unique(_phrases_of(data.get("recovery", []), f"{code}.recovery")),
    )


def _parse_combinations(data: object, groups: set[str]) -> tuple[Combination, ...]:
    if not isinstance(data, list):
        raise ValueError("'combinations' must be a list")
    combinations = []
    for index, entry in enumerate(data):
        where = f"combinations[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object")
        names, level = entry.get("groups"), entry.get("level")
        if (
            not isinstance(names, list)
            or len(names) < 2
            or not all(isinstance(name, str) for name in names)
        ):
            raise ValueError(f"{where}.groups must list at least two group names")
        if level not in ("concern", "imminent"):
            raise ValueError(f"{where}.level must be concern or imminent")
        unknown = sorted(set(names) - groups)
        if unknown:
            raise ValueError(f"{where} names unknown groups: {', '.join(unknown)}")
        combinations.append(Combination(frozenset(names), level, "+".join(names)))
    # The strongest first, so the first that fires is the one to report.
    combinations.sort(key=lambda combination: -LEVEL_ORDER[combination.level])
    return tuple(combinations)


def _slips(word: str) -> Iterator[str]:
    """Words one slip away from ``word``: two neighbouring letters swapped, one dropped."""
    if len(word) >= _SWAP_MIN_LENGTH:
        for i in range(len(word) - 1):
            if word[i] != word[i + 1]:
                yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if len(word) >= _DROP_MIN_LENGTH:
        for i in range(len(word)):
            yield word[:i] + word[i + 1 :]


def _parse_spellings(data: object, languages: Sequence[Language]) -> dict[str, str]:
    """Misspellings to read as lexicon words: the file's list, then guessed slips."""
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise ValueError("'spellings' must map misspelled words to words")
    known = {
        token for language in languages for phrase in language.phrases for token in phrase.tokens
    }
    guessed: dict[str, str] = {}
    ambiguous: set[str] = set()
    for word in sorted(known):
        if not word.isalpha():
            continue
        for slip in _slips(word):
            if slip in known or guessed.get(slip, word) != word:
                ambiguous.add(slip)
            guessed[slip] = word
    spellings = {slip: word for slip, word in guessed.items() if slip not in ambiguous}
    for wrong, right in data.items():
        spellings[REPEATS.sub(r"\1", fold(wrong))] = " ".join(normalise_clause(right))
    return spellings


def _parse_jokes(data: object) -> tuple[frozenset[str], tuple[str, ...]]:
    """Joke words (normalised) and joke marks (kept as written: emoji, "xD")."""
    if not isinstance(data, list) or not all(isinstance(item, str) and item for item in data):
        raise ValueError("'jokes' must be a list of text")
    words: set[str] = set()
    marks: list[str] = []
    for item in data:
        tokens = normalise_clause(item)
        if len(tokens) == 1 and tokens[0] == item.lower():
            words.add(tokens[0])
        else:
            marks.append(item)
    return frozenset(words), tuple(marks)


def parse(data: object) -> Lexicon:
    """Build a lexicon from the file's JSON, refusing a malformed one (``ValueError``)."""
    if not isinstance(data, dict):
        raise ValueError("the lexicon must be a JSON object")
    version = data.get("version")
    if not isinstance(version, int):
        raise ValueError("the lexicon needs an integer 'version'")
    entries = data.get("languages")
    if not isinstance(entries, dict) or not entries:
        raise ValueError("the lexicon needs an object 'languages'")
    languages = tuple(_parse_language(code, entry) for code, entry in entries.items())
    groups = {phrase.group for language in languages for phrase in language.phrases}
    starting_with: dict[object, list[Phrase]] = {}
    for language in languages:
        for phrase in language.phrases:
            key = phrase.tokens[0] if len(phrase.tokens) == 1 else phrase.tokens[:2]
            starting_with.setdefault(key, []).append(phrase)
    jokes, joke_marks = _parse_jokes(data.get("jokes", []))
    return Lexicon(
        version=version,
        languages=languages,
        jokes=jokes,
        joke_marks=joke_marks,
        combinations=_parse_combinations(data.get("combinations", []), groups - {""}),
        starting_with={token: tuple(phrases) for token, phrases in starting_with.items()},
        spellings=_parse_spellings(data.get("spellings", {}), languages),
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


def _matches(
    clause: Sequence[str], index: Mapping[object, tuple[Phrase, ...]]
) -> tuple[list[_Match], bool]:
    """The phrases that count in ``clause``, and whether an idiom (exception) was seen."""
    found = []
    last = len(clause) - 1
    for start, token in enumerate(clause):
        # One-word phrases by their word, longer ones by their first two words.
        candidates = index.get(token, ())
        if start < last:
            candidates += index.get((token, clause[start + 1]), ())
        for phrase in candidates:
            end = start + len(phrase.tokens)
            if tuple(clause[start:end]) == phrase.tokens:
                found.append(_Match(start, end, phrase))
    if not found:
        return found, False
    exceptions = [match for match in found if match.phrase.level == "none"]
    triggers = [
        match
        for match in found
        if match.phrase.level != "none"
        and not any(match.overlaps(idiom) and not match.contains(idiom) for idiom in exceptions)
    ]
    # A longer phrase hides one it contains only when both are of one kind:
    # a signal inside a risk phrase still counts for combinations.
    return [
        match
        for match in triggers
        if not any(
            other.contains(match)
            and (other.phrase.level == SIGNAL) == (match.phrase.level == SIGNAL)
            for other in triggers
        )
    ], bool(exceptions)


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


def _starts_any(clause: Sequence[str], index: Mapping[str, tuple[tuple[str, ...], ...]]) -> bool:
    """True when one of the phrases of ``index`` (by their first word) is in ``clause``."""
    for start, word in enumerate(clause):
        for phrase in index.get(word, ()):
            if tuple(clause[start : start + len(phrase)]) == phrase:
                return True
    return False


def _by_first_word(
    phrases: Sequence[tuple[str, ...]],
) -> Mapping[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(group) for word, group in index.items()}


def _is_distant(clause: Sequence[str], language: Language) -> bool:
    return _starts_any(clause, language.distance_index)


@dataclass
class _Found:
    """What one message showed: levelled reasons and the groups that counted."""

    reasons: list[tuple[int, int, int, str]] = field(default_factory=list)  # level, lang, seq
    groups: set[str] = field(default_factory=set)
    # The rules positively recognised something that is not current risk: an
    # idiom, a negated phrase, the past or recovery, training or a third party.
    calm: bool = False
    clauses: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def level(self) -> int:
        return max((level for level, *_rest in self.reasons), default=0)


def _is_joking(text: str, parts: Sequence[Sequence[str]], lex: Lexicon) -> bool:
    """True when the message has a joke marker ("lol", "jk", "jaja", "💀")."""
    lowered = text.lower()
    return any(mark in lowered for mark in lex.joke_marks) or any(
        word in lex.jokes for clause in parts for word in clause
    )


def _read(text: str, lex: Lexicon, first: str | None) -> _Found:
    base = (first or "").split("-")[0].lower()
    by_code = lex.by_code
    parts = clauses(text, lex.spellings, lex.token_cache)
    found = _Found(clauses=parts)
    recovering: dict[str, bool] = {}
    joking: bool | None = None
    for clause in parts:
        distant: dict[str, bool] = {}
        matches, idiom = _matches(clause, lex.starting_with)
        found.calm = found.calm or idiom
        for match in matches:
            phrase = match.phrase
            language = by_code[phrase.language]
            is_signal = phrase.level == SIGNAL
            level = 1 if is_signal else LEVEL_ORDER[phrase.level]
            notes = []
            if _is_negated(clause, match, language):
                level -= 1
                notes.append("negated")
            else:
                if phrase.language not in distant:
                    distant[phrase.language] = _is_distant(clause, language)
                if distant[phrase.language]:
                    level -= 1
                    notes.append("past")
                    if phrase.language not in recovering:
                        recovering[phrase.language] = any(
                            _occurs(part, marker) for part in parts for marker in language.recovery
                        )
                    if recovering[phrase.language]:
                        level = 0
            if joking is None:
                joking = _is_joking(text, parts, lex)
            if joking:
                level -= 1
                notes.append("joke")
            if notes:
                found.calm = True
            if level <= 0:
                continue
            found.groups.add(phrase.group)
            if not is_signal:
                reason = phrase.reason + "".join(f" ({note})" for note in notes)
                rank = 0 if phrase.language == base else 1
                found.reasons.append((level, rank, len(found.reasons), reason))
    return found


def _combined(groups: set[str], lex: Lexicon, reached: int) -> tuple[int, str] | None:
    """The strongest combination in ``groups`` that goes above ``reached``, if any."""
    for combination in lex.combinations:
        level = LEVEL_ORDER[combination.level]
        if level > reached and combination.groups <= groups:
            return level, combination.code
    return None


def _assessment(found: _Found, extra: tuple[int, str] | None, prefix: str) -> Assessment:
    ordered = sorted(found.reasons, key=lambda item: (-item[0], item[1], item[2]))
    reasons = [reason for _level, _rank, _seq, reason in ordered]
    level = found.level
    if extra is not None:
        level = extra[0]
        reasons.insert(0, f"{prefix}:{extra[1]}")
    if level <= 0:
        return NO_RISK
    return Assessment(LEVELS_BY_ORDER[level], tuple(dict.fromkeys(reasons)))


def _looks_back(found: _Found, lex: Lexicon) -> bool:
    """True when any clause has a marker of the past or of recovery, in any language."""
    return any(_starts_any(clause, lex.looking_back) for clause in found.clauses)


def _with_model(
    rules: Assessment,
    verdicts: Sequence[tuple[ModelVerdict, bool]],
    model: RiskModel,
) -> Assessment:
    """The rules' assessment, raised by the model's strongest verdict that may count.

    A verdict counts when it is above the rules' level, unless the rules saw
    something that is not current risk in its text (an idiom, a negation, the
    past or recovery, training or a third party) and the model is not
    confident enough to overrule them. When none counts, a "concern" of the
    rules (never "imminent") is lowered to none if every verdict is at least
    ``model.demote_at`` sure the text is not at risk.
    """
    best: ModelVerdict | None = None
    for verdict, calm in verdicts:
        order = LEVEL_ORDER[verdict.level]
        if order <= LEVEL_ORDER[rules.level]:
            continue
        if best is not None and (order, verdict.confidence) <= (
            LEVEL_ORDER[best.level],
            best.confidence,
        ):
            continue
        if calm and verdict.confidence < model.overrule_at:
            continue
        best = verdict
    if best is None:
        if rules.level == "concern" and all(
            verdict.probabilities[0] >= model.demote_at for verdict, _calm in verdicts
        ):
            return NO_RISK
        return rules
    return Assessment(best.level, (best.reason, *rules.reasons))


def _rules(found: _Found, lex: Lexicon) -> Assessment:
    if not found.groups:
        return NO_RISK
    return _assessment(found, _combined(found.groups, lex, found.level), "combination")


def assess(
    text: str,
    language: str | None = None,
    *,
    using: Lexicon | None = None,
    model: RiskModel | None = None,
    learned: bool = True,
) -> Assessment:
    """Assess ``text``: the higher of what the rules and the learned model saw, and why.

    The rules' reasons list only phrases that still count after negation and
    distance (a phrase lowered to "none" is left out), in order of level,
    then of language (``language`` first), then of appearance, without
    repeats; a combination that raised the level comes first. When the model
    (``model``, by default the shipped one; none with ``learned=False``)
    raised the level, its reason comes first: "model:" and the words that
    weighed most ("model:took pills tonight").
    """
    lex = using or lexicon()
    found = _read(text, lex, language)
    rules = _rules(found, lex)
    if not learned or rules.level == "imminent":
        return rules
    model = model or risk_model()
    return _with_model(rules, [_verdict(model, found, rules, lex)], model)


@dataclass(frozen=True)
class RuleReading:
    """What the phrase rules made of one text, as the learned model reads it."""

    assessment: Assessment
    clauses: tuple[tuple[str, ...], ...]
    # An idiom, a negation, the past or recovery was recognised.
    calm: bool
    # ``model.rule_features``: the groups found, the level, calm.
    features: tuple[str, ...]


def read_rules(text: str, *, using: Lexicon | None = None) -> RuleReading:
    """The rules' reading of ``text`` (for training the model on the same view)."""
    lex = using or lexicon()
    found = _read(text, lex, None)
    rules = _rules(found, lex)
    calm = found.calm or _looks_back(found, lex)
    features = tuple(rule_features(found.groups, rules.level, calm))
    return RuleReading(rules, tuple(found.clauses), calm, features)


def _verdict(
    model: RiskModel, found: _Found, rules: Assessment, lex: Lexicon
) -> tuple[ModelVerdict, bool]:
    """The model's verdict on what ``found`` read, and whether the rules saw calm."""
    calm = found.calm or _looks_back(found, lex)
    seen = rule_features(found.groups, rules.level, calm)
    return model.verdict(found.clauses, seen), calm


def _conversation_rules(recent: Sequence[_Found], lex: Lexicon) -> Assessment:
    found = _Found()
    for message in recent:
        found.groups |= message.groups
        found.reasons.extend(
            (level, rank, len(found.reasons), reason)
            for level, rank, _seq, reason in message.reasons
        )
    if not found.groups:
        return NO_RISK
    single = max(
        (_combined(message.groups, lex, 0) for message in recent),
        default=None,
        key=lambda item: item[0] if item else 0,
    )
    reached = max(found.level, single[0] if single else 0)
    across = _combined(found.groups, lex, reached)
    if across is not None:
        return _assessment(found, across, "conversation")
    if single is not None and single[0] > found.level:
        return _assessment(found, single, "combination")
    return _assessment(found, None, "")


def assess_conversation(
    messages: Sequence[str],
    language: str | None = None,
    *,
    window: int = CONVERSATION_WINDOW,
    using: Lexicon | None = None,
    model: RiskModel | None = None,
    learned: bool = True,
) -> Assessment:
    """Assess the last ``window`` messages of one person together.

    By the rules, the level is the highest any one message reached, or a
    combination whose groups were found in different messages ("goodbye
    everyone" then "the pills are on the table" is imminent), reported as
    "conversation:farewell+means". Several worrying messages that no
    combination joins stay at the level of the worst; idioms stay none.
    The learned model reads each message and the window joined, and may
    raise the level as in ``assess``.
    """
    lex = using or lexicon()
    recent = [_read(text, lex, language) for text in messages[-window:] if text]
    rules = _conversation_rules(recent, lex)
    if not learned or rules.level == "imminent" or not recent:
        return rules
    model = model or risk_model()
    readings = [_verdict(model, message, _rules(message, lex), lex) for message in recent]
    if len(recent) > 1:
        joined = _Found(
            groups={group for message in recent for group in message.groups},
            calm=any(message.calm for message in recent),
            clauses=[clause for message in recent for clause in message.clauses],
        )
        readings.append(_verdict(model, joined, rules, lex))
    return _with_model(rules, readings, model)


__all__ = [
    "CONVERSATION_WINDOW",
    "LEVEL_ORDER",
    "NO_RISK",
    "Assessment",
    "Lexicon",
    "RuleReading",
    "assess",
    "assess_conversation",
    "clauses",
    "expand",
    "lexicon",
    "parse",
    "read_rules",
]
