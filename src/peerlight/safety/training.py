"""Training the learned risk model and measuring it across authors (numpy, no Django).

Used by ``peerlight safety train`` and the tests, never while serving: the
detector reads the weights this writes (``data/risk_model.json``) with pure
Python (``safety/model.py``).

- ``fit``: a multinomial logistic regression over ``model.text_features``,
  trained by full-batch gradient descent (Adam) from zero weights, so the
  same files always give the same model. Each label weighs the same in
  total, so the few "imminent" rows of a file are not drowned by the rest.
- ``prune``: keeps the features that weigh most, then the model is trained
  again on those alone, so the shipped file stays small.
- ``cross_author``: one split per labelled file (each file is one author):
  train on all the other files, rate the left-out file with rules + model.
  A detector is only as good as it is on wordings it was not written
  against, so these splits, and nothing else, choose the thresholds; and
  since the phrase lexicon was written against ``LEXICON_AUTHORS``' files,
  only the other authors' splits do when there are any.
- ``choose_thresholds``: on the pooled left-out ratings, the loosest
  thresholds that keep false alarms on "none" within the budget, favouring
  recall; among them the P(none) at which the model may lower the rules'
  "concern" to none (``demote``).

A file whose name contains "holdout" is refused: that set is kept unseen so
that it stays an honest measure.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from peerlight.safety import detector
from peerlight.safety.model import LABELS, RiskModel, feature_scale, text_features
from peerlight.safety.normalise import TOKEN, fold, normalise_token

REPOSITORY = Path(__file__).resolve().parents[3]
TRAINING_FILES = (
    REPOSITORY / "tests" / "safety" / "data" / "crisis_labelled.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w1.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w2.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w3.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w4.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w5.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w6.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w7.jsonl",
    REPOSITORY / "tests" / "safety" / "data" / "crisis_train_w8.jsonl",
    # A copy of ../shared/eval/crisis_dev.jsonl, the starting set.
    REPOSITORY / "tests" / "safety" / "data" / "crisis_dev.jsonl",
)
MODEL_VERSION = 1
# The files the phrase lexicon was written against (by their author's name).
LEXICON_AUTHORS = frozenset({"crisis_labelled", "crisis_dev"})
# Features kept in the shipped file, and how often a feature must occur in
# the training texts to be learned at all (a word seen once is noise, or a name).
KEEP_FEATURES = 12000
MIN_COUNT = 2
L2 = 1e-5
# 0: every row weighs the same; 1: every file weighs the same (see _sample_weights).
AUTHOR_BALANCE = 0.5
EPOCHS = 200
LEARNING_RATE = 0.05
# A word in more than this share of the texts, and less than twice as common in
# texts at risk as in others, is never named as a reason.
PLAIN_SHARE = 0.03
PLAIN_RATIO = 2.0
# The share of "none" rows of the left-out authors that may be rated concern
# or above, and rated imminent; and of "concern" rows that may be rated
# imminent (an automatic escalation a coordinator must then close). Where
# the rules alone already exceed one (they do on other authors' text: they
# cannot be lowered by the model), the model may add at most its ROOM to
# what the rules give.
FALSE_ALARM_BUDGET = 0.08
FALSE_ALARM_ROOM = 0.0
FALSE_IMMINENT_BUDGET = 0.05
FALSE_IMMINENT_ROOM = 0.05
CONCERN_AS_IMMINENT_BUDGET = 0.2
# The P(none) at which the model may lower the rules' "concern" to none.
DEMOTE_GRID = (1.0, 0.99, 0.97, 0.95, 0.9)

Floats = npt.NDArray[np.float64]


class TrainingError(ValueError):
    """Training data that cannot be used; the message says why."""


@dataclass(frozen=True)
class Example:
    """One labelled text, normalised, with who wrote it and the rules' reading."""

    clauses: tuple[tuple[str, ...], ...]
    label: int
    author: str
    rules: detector.Assessment
    calm: bool
    text: str
    # What the rules saw, as the model reads it (``model.rule_features``).
    rules_seen: tuple[str, ...] = ()


def read_examples(path: Path) -> list[Example]:
    """The labelled texts of ``path`` (conversations joined), its name as the author."""
    if "holdout" in path.name:
        raise TrainingError(f"{path.name} is held out: it is never used to train or tune.")
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            data = json.loads(line)
            label = data.get("label")
            if label not in LABELS:
                raise TrainingError(f"{path.name} line {number}: unknown label {label!r}")
            texts = data["messages"] if "messages" in data else [data["text"]]
            text = "\n".join(texts)
            reading = detector.read_rules(text)
            examples.append(
                Example(
                    clauses=reading.clauses,
                    label=LABELS.index(label),
                    author=path.stem,
                    rules=reading.assessment,
                    calm=reading.calm,
                    text=text,
                    rules_seen=reading.features,
                )
            )
    return examples


def read_all(paths: Iterable[Path]) -> list[Example]:
    """The examples of every file in ``paths`` that exists."""
    return [example for path in paths if path.exists() for example in read_examples(path)]


@dataclass(frozen=True)
class Fitted:
    features: tuple[str, ...]
    weights: Floats  # features x 3
    bias: Floats  # 3


def _matrix(
    examples: Sequence[Example], index: dict[str, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Floats]:
    rows, columns, values = [], [], []
    for row, example in enumerate(examples):
        counts = text_features(example.clauses, example.rules_seen)
        scale = feature_scale(sum(counts.values()))
        for feature, count in counts.items():
            column = index.get(feature)
            if column is not None:
                rows.append(row)
                columns.append(column)
                values.append(count * scale)
    return np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64), np.array(values)


def vocabulary(examples: Sequence[Example], min_count: int = MIN_COUNT) -> tuple[str, ...]:
    """Features found in at least ``min_count`` texts, sorted."""
    seen: dict[str, int] = {}
    for example in examples:
        for feature in text_features(example.clauses, example.rules_seen):
            seen[feature] = seen.get(feature, 0) + 1
    return tuple(sorted(feature for feature, count in seen.items() if count >= min_count))


def _sample_weights(examples: Sequence[Example]) -> Floats:
    """Each label weighs the same in total; within it, a smaller file's rows a little more.

    A file's rows weigh (mean file size / its size) ** ``AUTHOR_BALANCE``, so
    one prolific author does not teach the model only their wordings, while
    a tiny file does not dominate either.
    """
    labels = np.array([example.label for example in examples])
    authors = [example.author for example in examples]
    sizes = {author: authors.count(author) for author in set(authors)}
    mean = len(examples) / len(sizes)
    sample = np.array([(mean / sizes[author]) ** AUTHOR_BALANCE for author in authors])
    per_label = np.bincount(labels, weights=sample, minlength=3)
    present = per_label > 0
    result: Floats = sample / (per_label[labels] * present.sum())
    return result


def fit(
    examples: Sequence[Example],
    features: Sequence[str] | None = None,
    *,
    epochs: int | None = None,
    l2: float | None = None,
) -> Fitted:
    """A softmax regression over ``features`` (by default every frequent one)."""
    epochs = EPOCHS if epochs is None else epochs
    l2 = L2 if l2 is None else l2
    if not examples:
        raise TrainingError("no labelled texts to train on")
    features = tuple(features if features is not None else vocabulary(examples))
    index = {feature: column for column, feature in enumerate(features)}
    rows, columns, values = _matrix(examples, index)
    n, size = len(examples), len(features)
    labels = np.array([example.label for example in examples])
    targets = np.zeros((n, 3))
    targets[np.arange(n), labels] = 1.0
    sample = _sample_weights(examples)
    weights = np.zeros((size, 3))
    bias = np.zeros(3)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros(3), np.zeros(3)]
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        contributions = weights[columns] * values[:, None]
        logits = np.stack(
            [np.bincount(rows, contributions[:, k], minlength=n) for k in range(3)], axis=1
        )
        logits += bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - targets) * sample[:, None]
        spread = error[rows] * values[:, None]
        gradient = np.stack(
            [np.bincount(columns, spread[:, k], minlength=size) for k in range(3)], axis=1
        )
        gradient += l2 * weights
        bias_gradient = error.sum(axis=0)
        for position, (value, grad) in enumerate(((weights, gradient), (bias, bias_gradient))):
            first, second = moments[2 * position], moments[2 * position + 1]
            first *= beta1
            first += (1 - beta1) * grad
            second *= beta2
            second += (1 - beta2) * grad * grad
            corrected = first / (1 - beta1**step)
            value -= LEARNING_RATE * corrected / (np.sqrt(second / (1 - beta2**step)) + epsilon)
    return Fitted(features, weights, bias)


def prune(fitted: Fitted, keep: int = KEEP_FEATURES) -> tuple[str, ...]:
    """The ``keep`` features whose weights differ most between labels, sorted."""
    # Softmax ignores a constant added to a feature's three weights: centre them.
    centred = fitted.weights - fitted.weights.mean(axis=1, keepdims=True)
    strength = np.abs(centred).max(axis=1)
    order = np.argsort(-strength, kind="stable")[:keep]
    return tuple(sorted(fitted.features[i] for i in order))


def displays(examples: Iterable[Example], words: Iterable[str]) -> dict[str, str]:
    """How each of ``words`` (normalised) is most often written in the examples.

    Only where that differs from the normalised word ("tok" is shown "took").
    """
    lex = detector.lexicon()
    wanted = set(words)
    seen: dict[str, dict[str, int]] = {}
    for example in examples:
        for raw in TOKEN.findall(fold(example.text)):
            normalised = normalise_token(raw, lex.spellings)
            if len(normalised) == 1 and normalised[0] in wanted and raw.isalpha():
                forms = seen.setdefault(normalised[0], {})
                forms[raw] = forms.get(raw, 0) + 1
    shown = {}
    for word, forms in sorted(seen.items()):
        best = min(forms, key=lambda form: (-forms[form], form))
        if word not in forms:
            shown[word] = best
    return shown


def plain_words(examples: Sequence[Example], share: float = PLAIN_SHARE) -> frozenset[str]:
    """Common words that say nothing about risk: never named as a reason.

    A word is plain when it is in more than ``share`` of the texts of one kind
    (at risk, or not) and about as common in both ("i", "the", "de"), unlike
    "tonight" or "pills".
    """
    risky: dict[str, int] = {}
    calm: dict[str, int] = {}
    for example in examples:
        counts = risky if example.label else calm
        for word in {word for clause in example.clauses for word in clause}:
            counts[word] = counts.get(word, 0) + 1
    n_risky = max(1, sum(1 for example in examples if example.label))
    n_calm = max(1, len(examples) - n_risky)
    plain = set()
    for word in risky.keys() | calm.keys():
        at_risk, not_at_risk = risky.get(word, 0) / n_risky, calm.get(word, 0) / n_calm
        if max(at_risk, not_at_risk) > share and at_risk < PLAIN_RATIO * not_at_risk:
            plain.add(word)
    return frozenset(plain)


def to_model(
    fitted: Fitted,
    thresholds: dict[str, float],
    lexicon_version: int,
    display: dict[str, str] | None = None,
    plain: frozenset[str] = frozenset(),
) -> RiskModel:
    centred = fitted.weights - fitted.weights.mean(axis=1, keepdims=True)
    bias = fitted.bias - fitted.bias.mean()
    return RiskModel(
        version=MODEL_VERSION,
        lexicon_version=lexicon_version,
        bias=(float(bias[0]), float(bias[1]), float(bias[2])),
        weights={
            feature: (float(row[0]), float(row[1]), float(row[2]))
            for feature, row in zip(fitted.features, centred, strict=True)
        },
        imminent_at=thresholds["imminent"],
        concern_at=thresholds["concern"],
        overrule_at=thresholds["overrule"],
        demote_at=thresholds.get("demote", 1.0),
        display=display or {},
        plain=plain,
    )


def train(examples: Sequence[Example], keep: int = KEEP_FEATURES) -> Fitted:
    """Fit on every frequent feature, keep the ``keep`` strongest, fit again on those."""
    return fit(examples, prune(fit(examples), keep))


# --- Rating with rules + model, and choosing thresholds --------------------------------


@dataclass(frozen=True)
class Rated:
    """A left-out example with the model's probabilities (none, concern, imminent)."""

    example: Example
    probabilities: tuple[float, float, float]


DEFAULT_THRESHOLDS = {"imminent": 0.5, "concern": 0.5, "overrule": 0.9, "demote": 1.0}


def combined_level(rated: Rated, thresholds: dict[str, float]) -> str:
    """What ``detector.assess`` would say with these thresholds (rules, then the model)."""
    rules = rated.example.rules.level
    none, concern, imminent = rated.probabilities
    if rules == "concern" and none >= thresholds.get("demote", 1.0):
        rules = "none"
    if imminent >= thresholds["imminent"]:
        level, confidence = "imminent", imminent
    elif concern + imminent >= thresholds["concern"]:
        level, confidence = "concern", concern + imminent
    else:
        return rules
    if detector.LEVEL_ORDER[level] <= detector.LEVEL_ORDER[rules]:
        return rules
    if rated.example.calm and confidence < thresholds["overrule"]:
        return rules
    return level


def figures(rated: Sequence[Rated], thresholds: dict[str, float] | None) -> dict[str, Any]:
    """The issue's figures for ``rated``: rules alone when ``thresholds`` is None."""
    confusion = {truth: dict.fromkeys(LABELS, 0) for truth in LABELS}
    for item in rated:
        truth = LABELS[item.example.label]
        level = (
            item.example.rules.level if thresholds is None else combined_level(item, thresholds)
        )
        confusion[truth][level] += 1
    totals = {label: sum(confusion[label].values()) for label in LABELS}
    at_risk = totals["concern"] + totals["imminent"]
    caught = sum(confusion[t][p] for t in ("concern", "imminent") for p in ("concern", "imminent"))

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    return {
        "n": len(rated),
        "imminent_recall": share(confusion["imminent"]["imminent"], totals["imminent"]),
        "at_least_concern_recall": share(caught, at_risk),
        "false_alarm_rate": share(totals["none"] - confusion["none"]["none"], totals["none"]),
        "concern_as_imminent": share(confusion["concern"]["imminent"], totals["concern"]),
        "confusion": confusion,
    }


def _imminent_on_none(result: dict[str, Any]) -> float:
    row = result["confusion"]["none"]
    return float(row["imminent"] / max(1, sum(row.values())))


def choose_thresholds(rated: Sequence[Rated]) -> dict[str, float]:
    """The loosest thresholds whose false alarms on left-out rows stay in budget.

    The most recall of both kinds together (at least concern, the safety
    net, plus imminent, the automatic escalation), then the net alone, then
    fewer false alarms,
    then the strictest thresholds among equals. When nothing fits the
    budget, the defaults.
    """
    rules = figures(rated, None)
    false_alarms = max(FALSE_ALARM_BUDGET, rules["false_alarm_rate"] + FALSE_ALARM_ROOM)
    imminent_on_none = max(FALSE_IMMINENT_BUDGET, _imminent_on_none(rules) + FALSE_IMMINENT_ROOM)
    grid = [round(0.05 * step, 2) for step in range(1, 20)] + [0.97, 0.99]
    best: tuple[float, ...] | None = None
    chosen = dict(DEFAULT_THRESHOLDS)
    # "Very confident": the rules' recognition of non-risk is only overruled at 0.99+.
    for overrule, demote in itertools.product((0.99, 1.0), DEMOTE_GRID):
        for concern in grid:
            for imminent in grid:
                thresholds = {
                    "imminent": imminent,
                    "concern": concern,
                    "overrule": overrule,
                    "demote": demote,
                }
                result = figures(rated, thresholds)
                if (
                    result["false_alarm_rate"] > false_alarms
                    or _imminent_on_none(result) > imminent_on_none
                    or result["concern_as_imminent"] > CONCERN_AS_IMMINENT_BUDGET
                ):
                    continue
                score = (
                    # Both recalls are goals: a point of one is worth a point
                    # of the other (ranking one strictly first let a tenth of
                    # a point of the net cost half of the escalations).
                    round(result["at_least_concern_recall"] + result["imminent_recall"], 4),
                    result["at_least_concern_recall"],
                    -result["false_alarm_rate"],
                    concern,
                    imminent,
                    overrule,
                    demote,
                )
                if best is None or score > best:
                    best, chosen = score, thresholds
    return chosen


def rate(model: RiskModel, examples: Iterable[Example]) -> list[Rated]:
    return [
        Rated(example, model.verdict(example.clauses, example.rules_seen).probabilities)
        for example in examples
    ]


@dataclass(frozen=True)
class Split:
    author: str
    rules: dict[str, Any]
    model_alone: dict[str, Any]
    combined: dict[str, Any]


def cross_author(examples: Sequence[Example], keep: int = KEEP_FEATURES) -> list[Rated]:
    """Every example rated by a model trained without its author's file."""
    authors = sorted({example.author for example in examples})
    rated: list[Rated] = []
    for author in authors:
        others = [example for example in examples if example.author != author]
        if not others:
            continue
        fitted = train(others, keep)
        model = to_model(fitted, DEFAULT_THRESHOLDS, detector.lexicon().version)
        rated.extend(rate(model, (example for example in examples if example.author == author)))
    return rated


def splits(rated: Sequence[Rated], thresholds: dict[str, float]) -> list[Split]:
    """Each author's figures: the rules alone, the model alone, and both."""
    model_only = dict(thresholds, overrule=0.0)
    result = []
    for author in sorted({item.example.author for item in rated}):
        mine = [item for item in rated if item.example.author == author]
        no_rules = [
            Rated(
                Example(
                    item.example.clauses,
                    item.example.label,
                    author,
                    detector.NO_RISK,
                    False,
                    item.example.text,
                ),
                item.probabilities,
            )
            for item in mine
        ]
        result.append(
            Split(
                author,
                rules=figures(mine, None),
                model_alone=figures(no_rules, model_only),
                combined=figures(mine, thresholds),
            )
        )
    return result


def to_json(model: RiskModel, about: str) -> str:
    """The model as the JSON of ``data/risk_model.json`` (stable: sorted, rounded)."""
    data = {
        "version": model.version,
        "lexicon_version": model.lexicon_version,
        "about": about,
        "labels": list(LABELS),
        "thresholds": {
            "imminent": model.imminent_at,
            "concern": model.concern_at,
            "overrule": model.overrule_at,
            "demote": model.demote_at,
        },
        "bias": [round(value, 4) for value in model.bias],
        "display": dict(sorted(model.display.items())),
        "plain": sorted(model.plain),
        "weights": {
            feature: [round(value, 3) for value in model.weights[feature]]
            for feature in sorted(model.weights)
        },
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


@dataclass(frozen=True)
class Trained:
    model: RiskModel
    splits: list[Split]
    training_set: dict[str, Any]
    examples: int


def build(paths: Iterable[Path] = TRAINING_FILES, keep: int = KEEP_FEATURES) -> Trained:
    """Cross-author splits, thresholds from them, then the model trained on everything."""
    examples = read_all(paths)
    if len({example.author for example in examples}) < 2:
        raise TrainingError("cross-author validation needs at least two labelled files")
    rated = cross_author(examples, keep)
    # The lexicon was written against its own authors' files, so the rules look
    # better there than they are: tune on the other authors when there are any.
    unseen = [item for item in rated if item.example.author not in LEXICON_AUTHORS]
    thresholds = choose_thresholds(unseen or rated)
    fitted = train(examples, keep)
    vocabulary_words = (feature[2:] for feature in fitted.features if feature.startswith("w:"))
    model = to_model(
        fitted,
        thresholds,
        detector.lexicon().version,
        displays(examples, vocabulary_words),
        plain_words(examples),
    )
    return Trained(
        model=model,
        splits=splits(rated, thresholds),
        training_set=figures(rate(model, examples), thresholds),
        examples=len(examples),
    )


__all__ = [
    "TRAINING_FILES",
    "Example",
    "Fitted",
    "Rated",
    "Split",
    "Trained",
    "TrainingError",
    "build",
    "choose_thresholds",
    "cross_author",
    "figures",
    "fit",
    "prune",
    "rate",
    "read_all",
    "read_examples",
    "splits",
    "to_json",
    "to_model",
    "train",
]
