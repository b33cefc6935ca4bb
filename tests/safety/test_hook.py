"""The one safety hook every incoming text passes through, and the escalation it raises."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import transaction

from peerlight.accounts.models import User
from peerlight.safety import assess_message
from peerlight.safety.detector import Assessment
from peerlight.safety.models import Escalation, EscalationOutbox


class Rollback(Exception):
    pass


def test_it_returns_the_detectors_assessment(db: None) -> None:
    result = assess_message(
        "I want to kill myself", language="en", source="chat.message", source_id=3, author_id=None
    )
    assert result == Assessment("imminent", ("en:intent:kill myself",))
    assert result.is_urgent


def test_it_passes_ordinary_text_through() -> None:
    # No database: ordinary text reaches no model.
    result = assess_message("see you tomorrow", source="support.request")
    assert result.level == "none"
    assert not result.is_urgent


def test_it_uses_the_language_hint(db: None) -> None:
    result = assess_message("quiero morirme", language="es", source="chat.message")
    assert result.level == "imminent"
    assert result.reasons[0].startswith("es:")


def test_imminent_text_opens_an_escalation_with_its_outbox_row(member: User) -> None:
    with transaction.atomic():
        assess_message(
            "I want to kill myself",
            language="en",
            source="chat.conversation",
            source_id=12,
            author_id=member.pk,
        )
    case = Escalation.objects.get()
    assert (case.person, case.source, case.source_id) == (member, "chat.conversation", 12)
    assert case.level == "imminent"
    assert case.reasons == ["en:intent:kill myself"]
    assert case.raised_by is None
    assert EscalationOutbox.objects.filter(escalation=case, kind="raised").count() == 1


def test_the_escalation_rolls_back_with_the_callers_transaction(member: User) -> None:
    def send_then_fail() -> None:
        with transaction.atomic():
            assess_message(
                "I want to kill myself",
                source="chat.conversation",
                source_id=12,
                author_id=member.pk,
            )
            assert EscalationOutbox.objects.count() == 1
            raise Rollback

    with pytest.raises(Rollback):
        send_then_fail()
    assert not Escalation.objects.exists()
    assert not EscalationOutbox.objects.exists()


def test_concern_alone_does_not_escalate(member: User) -> None:
    result = assess_message(
        "I feel so alone",
        language="en",
        source="chat.conversation",
        source_id=12,
        author_id=member.pk,
    )
    assert result.level == "concern"
    assert not Escalation.objects.exists()


def test_more_risk_in_the_same_conversation_adds_to_the_open_case(member: User) -> None:
    for text in ("I want to kill myself", "I am going to end my life tonight"):
        assess_message(text, source="chat.conversation", source_id=12, author_id=member.pk)
    case = Escalation.objects.get()
    assert case.events.filter(kind="risk_added").count() == 1
    assert case.reasons == ["en:intent:kill myself", "en:intent:end my life"]
    assert EscalationOutbox.objects.count() == 1


def test_importing_the_package_loads_no_models_or_lexicon() -> None:
    # A fresh interpreter: Django is not even set up, so any model import would fail.
    code = (
        "import sys, peerlight.safety; "
        "assert 'peerlight.safety.detector' not in sys.modules; "
        "assert 'peerlight.safety.models' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603


# --- Risk that builds across messages ---------------------------------------------------


class Earlier:
    """A stand-in for the caller's loader of earlier messages, counting its calls."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.calls = 0

    def __call__(self) -> list[str]:
        self.calls += 1
        return self.texts


def fake_detector(
    monkeypatch: pytest.MonkeyPatch, single: dict[str, str], windows: dict[tuple[str, ...], str]
) -> None:
    """``assess`` rates a text by ``single``; ``assess_conversation`` a window by ``windows``."""
    from peerlight.safety import detector

    monkeypatch.setattr(
        detector, "assess", lambda text, language=None: Assessment(single.get(text, "none"))
    )

    def together(messages: list[str], language: str | None = None) -> Assessment:
        level = windows.get(tuple(messages), "none")
        return Assessment(level, ("conversation:test",) if level != "none" else ())

    monkeypatch.setattr(detector, "assess_conversation", together)


def test_a_message_that_tips_the_conversation_takes_its_level_and_escalates(
    monkeypatch: pytest.MonkeyPatch, member: User
) -> None:
    fake_detector(
        monkeypatch,
        single={"no point anymore": "concern"},
        windows={("said goodbye", "no point anymore"): "imminent"},
    )
    earlier = Earlier("said goodbye")
    with transaction.atomic():
        result = assess_message(
            "no point anymore",
            source="chat.conversation",
            source_id=5,
            author_id=member.pk,
            earlier=earlier,
        )
    assert earlier.calls == 1
    assert result == Assessment("imminent", ("conversation:test",))
    assert Escalation.objects.get().reasons == ["conversation:test"]


def test_a_calm_message_after_a_risky_one_stays_calm(
    monkeypatch: pytest.MonkeyPatch, member: User
) -> None:
    risky = "i have the pills here"
    fake_detector(
        monkeypatch,
        single={risky: "imminent"},
        windows={(risky,): "imminent", (risky, "thanks for listening"): "imminent"},
    )
    earlier = Earlier(risky)
    result = assess_message(
        "thanks for listening",
        source="chat.conversation",
        source_id=5,
        author_id=member.pk,
        earlier=earlier,
        earlier_risk=True,
    )
    assert earlier.calls == 1
    assert result.level == "none"
    assert not Escalation.objects.exists()


@pytest.mark.parametrize(
    ("single", "earlier_risk", "reads_earlier"),
    [
        ("none", False, False),  # an ordinary message after ordinary ones: no extra read
        ("none", True, True),  # an earlier message was risky: read them together
        ("concern", False, True),  # this one shows concern: read them together
        ("imminent", True, False),  # already the highest level: nothing to add
    ],
)
def test_earlier_messages_are_read_only_when_they_can_matter(
    monkeypatch: pytest.MonkeyPatch,
    member: User,
    single: str,
    earlier_risk: bool,
    reads_earlier: bool,
) -> None:
    fake_detector(monkeypatch, single={"now": single}, windows={})
    earlier = Earlier("before")
    with transaction.atomic():
        result = assess_message(
            "now",
            source="chat.conversation",
            source_id=5,
            author_id=member.pk,
            earlier=earlier,
            earlier_risk=earlier_risk,
        )
    assert earlier.calls == int(reads_earlier)
    assert result.level == single
