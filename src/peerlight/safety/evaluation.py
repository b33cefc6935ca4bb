"""How well the risk detector does on labelled texts (no Django imports).

A labelled file has one JSON object a line: ``{"text": ..., "label": ...}``
for one message, or ``{"messages": [...], "label": ...}`` for a conversation
(assessed with ``assess_conversation``); the label is "none", "concern" or
"imminent". Blank lines are skipped. ``read_labelled`` refuses the whole file
at the first bad line, naming it, so a typo never silently shrinks the set.

``evaluate`` runs the detector over the rows and returns plain numbers:

- ``recall[label]``: of the rows with that label, the share rated exactly that;
- ``precision[label]``: of the rows rated that label, the share that had it;
- ``at_least_concern_recall``: of the concern and imminent rows, the share
  rated concern or imminent (what matters most: nobody at risk is missed);
- ``false_alarm_rate``: of the "none" rows, the share rated anything else;
- ``confusion[true][predicted]``: counts; ``n``: the number of rows;
- ``median_ms``: the median time to assess one row, in milliseconds.

A share with nothing to divide (no rows of a label) is 0.0.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerlight.safety.detector import LEVEL_ORDER, Assessment, assess, assess_conversation

LABELS = tuple(LEVEL_ORDER)  # ("none", "concern", "imminent")


class EvaluationError(ValueError):
    """A labelled file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class LabelledRow:
    """One labelled message (``messages`` has one item) or conversation."""

    messages: tuple[str, ...]
    label: str
    is_conversation: bool = False


def parse_row(line: str, number: int) -> LabelledRow:
    """One line of a labelled file; ``EvaluationError`` naming ``number`` if it is bad."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise EvaluationError(f"line {number}: not valid JSON ({error.msg}).") from error
    if not isinstance(data, dict):
        raise EvaluationError(f"line {number}: expected a JSON object.")
    label = data.get("label")
    if label not in LABELS:
        raise EvaluationError(
            f"line {number}: label must be one of {', '.join(LABELS)}, not {label!r}."
        )
    if "messages" in data:
        messages = data["messages"]
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(message, str) for message in messages)
        ):
            raise EvaluationError(f"line {number}: 'messages' must be a non-empty list of text.")
        return LabelledRow(tuple(messages), label, is_conversation=True)
    text = data.get("text")
    if not isinstance(text, str):
        raise EvaluationError(f"line {number}: missing 'text' (or 'messages').")
    return LabelledRow((text,), label)


def parse_lines(lines: Iterable[str]) -> list[LabelledRow]:
    return [parse_row(line, number) for number, line in enumerate(lines, start=1) if line.strip()]


def read_labelled(path: Path) -> list[LabelledRow]:
    """The rows of the file at ``path`` (``OSError`` if it cannot be opened)."""
    with path.open(encoding="utf-8") as lines:
        return parse_lines(lines)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(
    rows: Sequence[LabelledRow],
    *,
    rate: Callable[[LabelledRow], Assessment] | None = None,
) -> dict[str, Any]:
    """Run the detector (or ``rate``) over ``rows`` and measure it (see module docstring)."""
    rate = rate or _rate
    confusion = {truth: dict.fromkeys(LABELS, 0) for truth in LABELS}
    timings: list[float] = []
    for row in rows:
        started = time.perf_counter()
        predicted = rate(row).level
        timings.append((time.perf_counter() - started) * 1000)
        confusion[row.label][predicted] += 1
    totals = {label: sum(confusion[label].values()) for label in LABELS}
    rated = {label: sum(confusion[truth][label] for truth in LABELS) for label in LABELS}
    at_risk = totals["concern"] + totals["imminent"]
    caught = sum(
        confusion[truth][predicted]
        for truth in ("concern", "imminent")
        for predicted in ("concern", "imminent")
    )
    return {
        "n": len(rows),
        "recall": {label: _share(confusion[label][label], totals[label]) for label in LABELS},
        "precision": {label: _share(confusion[label][label], rated[label]) for label in LABELS},
        "at_least_concern_recall": _share(caught, at_risk),
        "false_alarm_rate": _share(totals["none"] - confusion["none"]["none"], totals["none"]),
        "confusion": confusion,
        "median_ms": statistics.median(timings) if timings else 0.0,
    }


def _rate(row: LabelledRow) -> Assessment:
    if row.is_conversation:
        return assess_conversation(row.messages)
    return assess(row.messages[0])


def misses(rows: Iterable[LabelledRow]) -> list[tuple[LabelledRow, Assessment]]:
    """The rows the detector rated differently from their label, with what it said."""
    found = []
    for row in rows:
        result = _rate(row)
        if result.level != row.label:
            found.append((row, result))
    return found


def format_table(result: dict[str, Any]) -> list[str]:
    """The figures of ``evaluate`` as lines of a plain table."""
    lines = [f"{result['n']} labelled rows", "", "label      recall  precision"]
    for label in LABELS:
        lines.append(
            f"{label:<9}  {result['recall'][label]:>6.1%}  {result['precision'][label]:>9.1%}"
        )
    lines += [
        "",
        f"concern or imminent rated at least concern: {result['at_least_concern_recall']:.1%}",
        f"false alarms on none: {result['false_alarm_rate']:.1%}",
        f"median time per row: {result['median_ms']:.3f} ms",
        "",
        "confusion (rows: label, columns: rated)",
        "           " + "".join(f"{label:>10}" for label in LABELS),
    ]
    for truth in LABELS:
        counts = "".join(f"{result['confusion'][truth][label]:>10}" for label in LABELS)
        lines.append(f"{truth:<11}{counts}")
    return lines


__all__ = [
    "LABELS",
    "EvaluationError",
    "LabelledRow",
    "evaluate",
    "format_table",
    "misses",
    "parse_lines",
    "parse_row",
    "read_labelled",
]
