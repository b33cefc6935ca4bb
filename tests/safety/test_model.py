"""The learned stage: features, pure-Python inference, how it joins the rules, training."""

from __future__ import annotations

import json
import math
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peerlight.safety import detector, training
from peerlight.safety.detector import assess, assess_conversation, clauses
from peerlight.safety.evaluation import evaluate, read_labelled
from peerlight.safety.model import (
    MODEL_FILE,
    RiskModel,
    feature_scale,
    parse,
    risk_model,
    rule_features,
    text_features,
    word_features,
)


def _clauses(text: str) -> list[tuple[str, ...]]:
    return clauses(text, detector.lexicon().spellings)


def _toy(
    weights: dict[str, tuple[float, float, float]],
    *,
    imminent_at: float = 0.5,
    concern_at: float = 0.5,
    overrule_at: float = 0.9,
    demote_at: float = 1.0,
) -> RiskModel:
    return RiskModel(
        version=1,
        lexicon_version=detector.lexicon().version,
        # Leaning to "none", as the real model does, so an unknown text is none.
        bias=(1.0, 0.0, 0.0),
        weights=weights,
        imminent_at=imminent_at,
        concern_at=concern_at,
        overrule_at=overrule_at,
        demote_at=demote_at,
    )


# --- Features --------------------------------------------------------------------------


def test_a_word_gives_itself_and_its_character_ngrams_within_its_boundaries() -> None:
    assert word_features("pill") == [
        "w:pill",
        "<pi",
        "pil",
        "ill",
        "ll>",
        "<pil",
        "pill",
        "ill>",
        "<pill",
        "pill>",
    ]


def test_word_pairs_never_cross_a_clause() -> None:
    features = text_features(_clauses("took pills. tonight"))
    assert features["b:tok pils"] == 1
    assert "b:pils tonight" not in features
    # Normalised first: repeats collapsed, leetspeak read as letters.
    assert text_features(_clauses("t00k piiills"))["b:tok pils"] == 1


def test_each_word_and_pair_counts_once() -> None:
    assert text_features(_clauses("ok ok ok"))["w:ok"] == 1
    assert text_features(_clauses("ok ok ok"))["b:ok ok"] == 1
    assert text_features(_clauses("so sad. so sad"))["b:so sad"] == 1


def test_fast_inference_matches_the_features_the_training_sees() -> None:
    model = risk_model()
    texts = ["I took all the pills tonight", "see you at work tomorrow!", "kms. bye", "ok ok", ""]
    for text in texts:
        reading = detector.read_rules(text)
        counts = text_features(reading.clauses, reading.features)
        total = sum(counts.values())
        verdict = model.verdict(reading.clauses, reading.features)
        if not total:
            assert verdict.level == "none"
            continue
        logits = [
            model.bias[k]
            + sum(
                count * model.weights.get(feature, (0.0, 0.0, 0.0))[k]
                for feature, count in counts.items()
            )
            * feature_scale(total)
            for k in range(3)
        ]
        expected = [math.exp(v) / sum(math.exp(w) for w in logits) for v in logits]
        assert verdict.probabilities == pytest.approx(expected)


def test_what_the_rules_saw_is_a_feature() -> None:
    assert rule_features({"means", "soon"}, "concern", calm=True) == [
        "r:means",
        "r:soon",
        "r:Lconcern",
        "r:calm",
    ]
    toy = _toy({"r:farewell": (0.0, 0.0, 9.0)})
    verdict = toy.verdict(_clauses("bye"), ["r:farewell", "r:Lnone"])
    assert verdict.level == "imminent"
    # A group the rules found is named as "#group" in the model's reason.
    assert verdict.words == ("#farewell",)


# --- The shipped model -----------------------------------------------------------------


def test_the_shipped_model_is_small_versioned_and_matches_the_lexicon() -> None:
    assert MODEL_FILE.stat().st_size < 400_000
    model = risk_model()
    assert model.version >= 1
    # The features are read through the lexicon's spellings: retrain when it changes.
    assert model.lexicon_version == detector.lexicon().version
    assert 0 < len(model.weights) <= training.KEEP_FEATURES
    assert 0 < model.concern_at <= 1
    assert 0 < model.imminent_at <= 1


def test_a_malformed_model_is_refused() -> None:
    good = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    for change, message in [
        ({"version": "1"}, "integer 'version'"),
        ({"labels": ["none", "imminent"]}, "'labels'"),
        ({"weights": []}, "object 'weights'"),
        ({"weights": {"w:a": [1, 2]}}, "three numbers"),
        ({"bias": [0, 0]}, "three numbers"),
        ({"thresholds": {"imminent": 0.5, "concern": 1.5, "overrule": 0.9}}, "'concern'"),
        ({"thresholds": {"imminent": 0.5, "concern": 0.5}}, "'overrule'"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse(good | change)
    with pytest.raises(ValueError, match="JSON object"):
        parse([])


def test_model_reasons_name_only_words_of_the_models_vocabulary() -> None:
    model = risk_model()
    verdict = model.verdict(_clauses("zebediah, I took every pill I had tonight"))
    assert verdict.level != "none"
    assert verdict.words
    shown = {model.display.get(word[2:], word[2:]) for word in model.weights if word[:2] == "w:"}
    assert set(verdict.words) <= shown
    assert "zebediah" not in verdict.reason
    assert verdict.reason == "model:" + " ".join(verdict.words)


# --- Rules and model together ----------------------------------------------------------


def test_the_model_raises_the_level_and_says_why_first() -> None:
    toy = _toy({"w:parachute": (0.0, 0.0, 90.0)})
    result = assess("the parachute is packed", model=toy)
    assert result.level == "imminent"
    assert result.reasons == ("model:parachute",)
    assert assess("the parachute is packed", learned=False).level == "none"


@pytest.mark.parametrize(
    "text",
    ["thank you", "thank you for listening", "thank you for staying with me", "thanks, see you"],
)
def test_the_shipped_model_leaves_ordinary_thanks_alone(text: str) -> None:
    # Farewell notes thank people too; a chat "thank you" is not one.
    assert assess(text).level == "none"


def test_the_model_never_lowers_what_the_rules_saw() -> None:
    toy = _toy({"w:kil": (30.0, 0.0, 0.0)})
    result = assess("I want to kill myself", model=toy)
    assert result == detector.Assessment("imminent", ("en:intent:kill myself",))
    # A concern by the rules, and the model agrees: the rules' reasons alone.
    agreeing = _toy({"w:alone": (0.0, 9.0, 0.0)})
    assert assess("I feel so alone", model=agreeing).reasons == ("en:hopeless:so alone",)


def test_a_very_sure_model_lowers_a_rules_concern_but_never_imminent() -> None:
    sure_none = {"w:alone": (40.0, 0.0, 0.0), "w:kil": (40.0, 0.0, 0.0)}
    # Unless the model file says so, the rules' concern stands.
    assert assess("I feel so alone", model=_toy(sure_none)).level == "concern"
    demoting = _toy(sure_none, demote_at=0.97)
    assert assess("I feel so alone", model=demoting) == detector.NO_RISK
    assert assess("I want to kill myself", model=demoting).level == "imminent"
    # Not sure enough: the concern stands.
    unsure = _toy({"w:alone": (1.0, 0.0, 0.0)}, demote_at=0.97)
    assert assess("I feel so alone", model=unsure).level == "concern"


def test_a_model_file_without_demote_never_lowers(tmp_path: Path) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    del data["thresholds"]["demote"]
    assert parse(data).demote_at == 1.0
    data["thresholds"]["demote"] = 1.5
    with pytest.raises(ValueError, match="demote"):
        parse(data)


def test_an_idiom_the_rules_recognise_holds_unless_the_model_is_very_sure() -> None:
    text = "this homework is killing me"
    unsure = _toy({"w:homework": (0.0, 20.0, 0.0)}, overrule_at=0.99)
    assert unsure.verdict(_clauses(text)).level == "concern"
    assert assess(text, model=unsure).level == "none"
    sure = _toy({"w:homework": (0.0, 200.0, 0.0)}, overrule_at=0.99)
    assert assess(text, model=sure).level == "concern"


def test_talk_of_the_past_holds_the_model_back_too() -> None:
    text = "years ago the bridge was where i went"
    toy = _toy({"w:bridge": (0.0, 0.0, 20.0)}, overrule_at=0.99)
    assert toy.verdict(_clauses(text)).level == "imminent"
    assert assess(text, model=toy).level == "none"


def test_the_conversation_model_reads_only_the_window() -> None:
    toy = _toy({"w:parachute": (0.0, 0.0, 90.0)})
    messages = ["parachute", *["ok"] * detector.CONVERSATION_WINDOW]
    assert assess_conversation(messages, model=toy).level == "none"
    assert assess_conversation([*messages[-3:], "parachute"], model=toy).level == "imminent"


def test_the_conversation_model_reads_the_window_joined() -> None:
    # Each word alone stays below the threshold; together they reach it.
    weights = {"w:parachute": (0.0, 0.0, 20.0), "w:packed": (0.0, 0.0, 20.0)}
    toy = _toy(weights, imminent_at=0.98)
    assert toy.verdict(_clauses("parachute")).level != "imminent"
    assert toy.verdict(_clauses("parachute packed")).level == "imminent"
    messages = ["parachute", "packed"]
    assert [assess(text, model=toy).level for text in messages] != ["imminent", "imminent"]
    result = assess_conversation(messages, model=toy)
    assert result.level == "imminent"
    assert result.reasons[0].startswith("model:")
    assert assess_conversation(messages, learned=False).level == "none"


def test_the_shipped_detector_catches_wordings_no_phrase_lists() -> None:
    # Not in the lexicon: only the model can see these.
    text = "i've decided tonight is when i go"
    assert assess(text, learned=False).level == "none"
    assert assess(text).level != "none"
    assert assess(text).reasons[0].startswith("model:")


# --- Training --------------------------------------------------------------------------

TOY_A = [
    ("i will jump tonight", "imminent"),
    ("i will overdose tonight", "imminent"),
    ("i feel empty and sad", "concern"),
    ("i feel so sad today", "concern"),
    ("lunch was nice", "none"),
    ("the bus was late", "none"),
]
TOY_B = [
    ("going to jump right now", "imminent"),
    ("going to overdose now", "imminent"),
    ("so sad and empty inside", "concern"),
    ("empty again today", "concern"),
    ("nice lunch with the team", "none"),
    ("late bus again", "none"),
]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "".join(json.dumps({"text": text, "label": label}) + "\n" for text, label in rows),
        encoding="utf-8",
    )
    return path


def test_training_is_deterministic_and_learns_a_separable_set(tmp_path: Path) -> None:
    examples = training.read_examples(_write(tmp_path / "a.jsonl", TOY_A + TOY_B))
    first = training.fit(examples, epochs=300)
    second = training.fit(examples, epochs=300)
    assert first.features == second.features
    assert (first.weights == second.weights).all()
    model = training.to_model(first, training.DEFAULT_THRESHOLDS, 2)
    rated = [model.verdict(example.clauses).level for example in examples]
    assert rated == [label for _text, label in TOY_A + TOY_B]


def test_pruning_keeps_the_strongest_features(tmp_path: Path) -> None:
    examples = training.read_examples(_write(tmp_path / "a.jsonl", TOY_A + TOY_B))
    fitted = training.fit(examples)
    kept = training.prune(fitted, keep=20)
    assert len(kept) == 20
    assert set(kept) <= set(fitted.features)
    assert kept == tuple(sorted(kept))


def test_a_held_out_file_is_never_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "crisis_holdout_x.jsonl", TOY_A)
    with pytest.raises(training.TrainingError, match="held out"):
        training.read_examples(path)


def test_cross_author_rates_each_file_with_a_model_trained_without_it(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", TOY_A)
    b = _write(tmp_path / "b.jsonl", TOY_B)
    examples = training.read_all([a, b, tmp_path / "missing.jsonl"])
    rated = training.cross_author(examples, keep=500)
    assert [item.example.text for item in rated] == [text for text, _label in TOY_A + TOY_B]
    splits = training.splits(rated, training.DEFAULT_THRESHOLDS)
    assert [split.author for split in splits] == ["a", "b"]
    assert all(split.combined["n"] == 6 for split in splits)
    # A word only author "b" uses ("going") is unknown to the model that rates "b".
    fitted = training.train([example for example in examples if example.author == "a"], 500)
    assert "w:going" not in fitted.features


def test_thresholds_keep_false_alarms_within_budget() -> None:
    def rated(label: int, probabilities: tuple[float, float, float]) -> training.Rated:
        example = training.Example((), label, "a", detector.NO_RISK, False, "")
        return training.Rated(example, probabilities)

    items = [rated(0, (0.6, 0.3, 0.1)) for _ in range(20)]
    items += [rated(0, (0.2, 0.7, 0.1))]  # one "none" that looks like a concern
    items += [rated(1, (0.3, 0.6, 0.1)) for _ in range(10)]
    items += [rated(2, (0.1, 0.2, 0.7)) for _ in range(10)]
    chosen = training.choose_thresholds(items)
    result = training.figures(items, chosen)
    assert result["false_alarm_rate"] <= training.FALSE_ALARM_BUDGET
    assert result["at_least_concern_recall"] == 1.0
    assert result["imminent_recall"] == 1.0


def _run(*args: str) -> str:
    out = StringIO()
    call_command("safety", *args, stdout=out)
    return out.getvalue()


def test_the_train_command_writes_a_model_and_reports_each_split(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", TOY_A)
    b = _write(tmp_path / "b.jsonl", TOY_B)
    out = tmp_path / "model.json"
    summary = json.loads(_run("train", str(a), str(b), "--out", str(out), "--json"))
    assert set(summary["splits"]) == {"a", "b"}
    assert set(summary["splits"]["a"]) == {"rules", "model_alone", "combined"}
    assert summary["examples"] == 12
    model = parse(json.loads(out.read_text(encoding="utf-8")))
    assert len(model.weights) == summary["features"]
    # The same files give the same model.
    again = tmp_path / "again.json"
    _run("train", str(a), str(b), "--out", str(again))
    assert again.read_bytes() == out.read_bytes()


def test_the_train_command_prints_a_table(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", TOY_A)
    b = _write(tmp_path / "b.jsonl", TOY_B)
    output = _run("train", str(a), str(b), "--out", str(tmp_path / "m.json"))
    assert "cross-author" in output
    assert "model_alone" in output


def test_the_train_command_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    a = _write(tmp_path / "a.jsonl", TOY_A)
    with pytest.raises(CommandError, match="Cannot read"):
        _run("train", str(a), str(tmp_path / "nope.jsonl"), "--out", str(out))
    with pytest.raises(CommandError, match="at least two"):
        _run("train", str(a), "--out", str(out))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="unknown label"):
        _run("train", str(a), str(bad), "--out", str(out))
    assert not out.exists()


@pytest.mark.parametrize("path", training.TRAINING_FILES, ids=lambda path: path.stem)
def test_the_shipped_detector_meets_the_goals_on_each_training_file(path: Path) -> None:
    # The data it was trained on: a floor against regressions, not a measure
    # (see data/README.md; the measure is on authors left out). With eight
    # authors and the L2 that keeps the model from memorising ("thank you"
    # rated imminent at L2 1e-6), it holds 78-87% imminent and 88-92% at
    # least concern on each other writer's file: the floor sits just below.
    result = evaluate(read_labelled(path))
    assert result["recall"]["imminent"] >= 0.75, result["confusion"]
    assert result["at_least_concern_recall"] >= 0.85, result["confusion"]
    assert result["false_alarm_rate"] <= 0.10, result["confusion"]
