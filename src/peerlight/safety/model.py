"""The learned stage of the risk detector: a linear model over normalised text.

The phrase lexicon names what it saw but only knows the wordings it was
written with. This model generalises further: a multinomial logistic
regression over features of the normalised clauses (the detector's own
normalisation: accents, leetspeak, repeats, apostrophes, spelled-out forms):

- ``w:word`` for every word, ``b:word word`` for two words in a row within a
  clause;
- character 3- to 5-grams of every word padded as ``<word>`` (never across
  words), so "overdosing" shares most of its features with "overdose" and a
  misspelling keeps most of its word's features;
- what the phrase rules saw (``rule_features``: ``r:means``, ``r:Lconcern``,
  ``r:calm``), so the model learns how far to trust them.

Each distinct word and pair counts once; the counts are divided by the
square root of the count of all the text's features (kept or not, and at
least ``SHORT_TEXT``), so long texts do not outweigh short ones.
The weights come from ``data/risk_model.json`` (versioned, rebuilt with
``peerlight safety train``; see ``safety/training.py``), pruned to the
features that weigh most. Inference is pure Python: each word's summed
weights are kept between calls, so a text costs a few dictionary look-ups
per word.

``ModelVerdict.words`` are the words that pushed the text most toward its
level, and only words of the model's own vocabulary (features in the file,
shown as the training texts most often spelled them) or "#group" for a
phrase group the rules found: a reason may be stored with an escalation, so
it never carries anything else a person wrote.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent / "data" / "risk_model.json"
LABELS = ("none", "concern", "imminent")
CHAR_NGRAMS = (3, 4, 5)
# How many words a model reason names.
REASON_WORDS = 3
_CACHE_SIZE = 50_000
# See ``feature_scale``: about the features of a three-word message.
SHORT_TEXT = 30

Scores = tuple[float, float, float]


def feature_scale(total: int) -> float:
    """What each feature count of a text with ``total`` features is multiplied by.

    One over the square root of the count, so long texts do not outweigh short
    ones; but never above that of ``SHORT_TEXT`` features, so a two-word
    message ("its so windy") cannot swing far from the prior on so little.
    """
    return 1 / math.sqrt(max(total, SHORT_TEXT))


def word_features(word: str) -> list[str]:
    """The features of one normalised word: itself and its character n-grams."""
    padded = f"<{word}>"
    found = [f"w:{word}"]
    for size in CHAR_NGRAMS:
        found.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return found


def rule_features(groups: Iterable[str], level: str, calm: bool) -> list[str]:
    """What the phrase rules saw, as features: their groups, their level, calm.

    ``r:intent``, ``r:means`` (a signal), ``r:Lconcern``, and ``r:calm`` when
    the rules recognised an idiom, a negation, the past or recovery. The
    model learns how far to trust them from authors the lexicon was not
    written against.
    """
    found = [f"r:{group}" for group in sorted(groups)]
    found.append(f"r:L{level}")
    if calm:
        found.append("r:calm")
    return found


def text_features(clauses: Iterable[Sequence[str]], rules: Sequence[str] = ()) -> Counter[str]:
    """Every feature of a text given as normalised clauses (and ``rule_features``).

    Each distinct word and word pair counts once, however often it is
    repeated ("ok ok ok" is "ok"), so repetition cannot build up a score.
    """
    counts: Counter[str] = Counter(rules)
    words: set[str] = set()
    pairs: set[str] = set()
    for clause in clauses:
        for word in clause:
            if word not in words:
                words.add(word)
                counts.update(word_features(word))
        pairs.update(f"b:{first} {second}" for first, second in itertools.pairwise(clause))
    counts.update(pairs)
    return counts


@dataclass(frozen=True)
class ModelVerdict:
    """The model's level, its probabilities (none, concern, imminent) and why."""

    level: str
    probabilities: Scores
    words: tuple[str, ...] = ()

    @property
    def confidence(self) -> float:
        """The probability of being at ``level`` or above ("none": of being none)."""
        none, concern, imminent = self.probabilities
        return {"none": none, "concern": concern + imminent, "imminent": imminent}[self.level]

    @property
    def reason(self) -> str:
        """``model:took pills tonight``: the reason code for this verdict."""
        return "model:" + " ".join(self.words)


@dataclass(frozen=True)
class RiskModel:
    version: int
    lexicon_version: int
    bias: Scores
    weights: Mapping[str, Scores]
    # A text is imminent when P(imminent) reaches ``imminent_at``, else concern
    # when P(concern) + P(imminent) reaches ``concern_at``.
    imminent_at: float
    concern_at: float
    # At or above this confidence the model overrules a rule that recognised
    # an idiom, the past, training or a third party.
    overrule_at: float
    about: str = ""
    # At or above this P(none) the model lowers the rules' "concern" to none
    # (never "imminent"): a phrase another author uses in passing. 1.0: never.
    demote_at: float = 1.0
    # How a vocabulary word is usually written, for reasons ("tok" -> "took").
    display: Mapping[str, str] = field(default_factory=dict)
    # Words too common to explain anything ("i", "the", "de"): never a reason.
    plain: frozenset[str] = frozenset()
    # Each word's (summed scores, count of all its features), filled as
    # texts are read.
    word_cache: dict[str, tuple[Scores, int]] = field(default_factory=dict, compare=False)

    def _word(self, word: str) -> tuple[Scores, int]:
        cached = self.word_cache.get(word)
        if cached is not None:
            return cached
        features = word_features(word)
        none = concern = imminent = 0.0
        for feature in features:
            weight = self.weights.get(feature)
            if weight is not None:
                none += weight[0]
                concern += weight[1]
                imminent += weight[2]
        if len(self.word_cache) >= _CACHE_SIZE:
            self.word_cache.clear()
        cached = self.word_cache[word] = ((none, concern, imminent), len(features))
        return cached

    def verdict(self, clauses: Sequence[Sequence[str]], rules: Sequence[str] = ()) -> ModelVerdict:
        """The model's verdict on a text given as normalised clauses and ``rule_features``."""
        total = len(rules)
        none = concern = imminent = 0.0
        weights = self.weights
        for feature in rules:
            weight = weights.get(feature)
            if weight is not None:
                none += weight[0]
                concern += weight[1]
                imminent += weight[2]
        words: set[str] = set()
        pairs: set[str] = set()
        for clause in clauses:
            previous = ""
            for word in clause:
                if word not in words:
                    words.add(word)
                    scores, count = self.word_cache.get(word) or self._word(word)
                    total += count
                    none += scores[0]
                    concern += scores[1]
                    imminent += scores[2]
                if previous:
                    pairs.add(f"b:{previous} {word}")
                previous = word
        total += len(pairs)
        for feature in pairs:
            pair = weights.get(feature)
            if pair is not None:
                none += pair[0]
                concern += pair[1]
                imminent += pair[2]
        if not total:
            return ModelVerdict("none", (1.0, 0.0, 0.0))
        scale = feature_scale(total)
        logits = (
            self.bias[0] + none * scale,
            self.bias[1] + concern * scale,
            self.bias[2] + imminent * scale,
        )
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        whole = sum(exps)
        probabilities = (exps[0] / whole, exps[1] / whole, exps[2] / whole)
        level = self.level_of(probabilities)
        if level == "none":
            return ModelVerdict(level, probabilities)
        return ModelVerdict(
            level, probabilities, self._reason_words(clauses, rules, LABELS.index(level))
        )

    def _reason_words(
        self, clauses: Sequence[Sequence[str]], rules: Sequence[str], target: int
    ) -> tuple[str, ...]:
        """The words that pushed most toward label ``target`` rather than "none".

        A word's push is its own features' weights plus half of each pair it
        is in. A phrase group the rules found counts as "#group" ("#means").
        """
        pushes: dict[str, float] = {}
        for feature in rules:
            weight = self.weights.get(feature)
            if weight is not None and feature[2:3] != "L" and feature != "r:calm":
                pushes["#" + feature[2:]] = weight[target] - weight[0]
        pairs: set[tuple[str, str]] = set()
        for clause in clauses:
            previous = ""
            for word in clause:
                if word not in pushes:
                    scores, _count = self._word(word)
                    pushes[word] = scores[target] - scores[0]
                if previous:
                    pairs.add((previous, word))
                previous = word
        for first, second in pairs:
            pair = self.weights.get(f"b:{first} {second}")
            if pair is not None:
                half = (pair[target] - pair[0]) / 2
                pushes[first] += half
                pushes[second] += half
        ranked = sorted(
            (-push, word)
            for word, push in pushes.items()
            if push > 0
            and word not in self.plain
            and (word[0] == "#" or f"w:{word}" in self.weights)
        )
        return tuple(self.display.get(word, word) for _push, word in ranked[:REASON_WORDS])

    def level_of(self, probabilities: Scores) -> str:
        if probabilities[2] >= self.imminent_at:
            return "imminent"
        if probabilities[1] + probabilities[2] >= self.concern_at:
            return "concern"
        return "none"


def _scores(value: object, where: str) -> Scores:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(item, int | float) for item in value)
    ):
        raise ValueError(f"{where} must be a list of three numbers")
    return (float(value[0]), float(value[1]), float(value[2]))


def _probability(data: Mapping[str, object], key: str) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or not 0.0 < value <= 1.0:
        raise ValueError(f"the model needs a probability '{key}' in (0, 1]")
    return float(value)


def parse(data: object) -> RiskModel:
    """Build a model from the file's JSON, refusing a malformed one (``ValueError``)."""
    if not isinstance(data, dict):
        raise ValueError("the model must be a JSON object")
    version, lexicon_version = data.get("version"), data.get("lexicon_version")
    if not isinstance(version, int) or not isinstance(lexicon_version, int):
        raise ValueError("the model needs an integer 'version' and 'lexicon_version'")
    if data.get("labels") != list(LABELS):
        raise ValueError(f"the model's 'labels' must be {list(LABELS)}")
    weights = data.get("weights")
    if not isinstance(weights, dict):
        raise ValueError("the model needs an object 'weights'")
    thresholds = data.get("thresholds")
    if not isinstance(thresholds, dict):
        raise ValueError("the model needs an object 'thresholds'")
    parsed = {
        str(feature): _scores(value, f"weights[{feature!r}]") for feature, value in weights.items()
    }
    display = data.get("display", {})
    if not isinstance(display, dict) or not all(
        isinstance(word, str) and isinstance(shown, str) and f"w:{word}" in parsed
        for word, shown in display.items()
    ):
        raise ValueError("the model's 'display' must map vocabulary words to text")
    plain = data.get("plain", [])
    if not isinstance(plain, list) or not all(isinstance(word, str) for word in plain):
        raise ValueError("the model's 'plain' must be a list of words")
    return RiskModel(
        version=version,
        lexicon_version=lexicon_version,
        bias=_scores(data.get("bias"), "bias"),
        weights=parsed,
        imminent_at=_probability(thresholds, "imminent"),
        concern_at=_probability(thresholds, "concern"),
        overrule_at=_probability(thresholds, "overrule"),
        demote_at=_probability(thresholds, "demote") if "demote" in thresholds else 1.0,
        about=str(data.get("about", "")),
        display=display,
        plain=frozenset(plain),
    )


@functools.cache
def risk_model(path: Path = MODEL_FILE) -> RiskModel:
    """The model in ``path``, read once per process."""
    return parse(json.loads(path.read_text(encoding="utf-8")))


__all__ = [
    "LABELS",
    "MODEL_FILE",
    "ModelVerdict",
    "RiskModel",
    "parse",
    "risk_model",
    "rule_features",
    "text_features",
    "word_features",
]
