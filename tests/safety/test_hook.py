"""The one safety hook every incoming text passes through."""

from __future__ import annotations

import subprocess
import sys

from peerlight.safety import assess_message
from peerlight.safety.detector import Assessment


def test_it_returns_the_detectors_assessment() -> None:
    result = assess_message(
        "I want to kill myself", language="en", source="chat.message", source_id=3, author_id=7
    )
    assert result == Assessment("imminent", ("en:intent:kill myself",))
    assert result.is_urgent


def test_it_passes_ordinary_text_through() -> None:
    result = assess_message("see you tomorrow", source="support.request")
    assert result.level == "none"
    assert not result.is_urgent


def test_it_uses_the_language_hint() -> None:
    result = assess_message("quiero morirme", language="es", source="chat.message")
    assert result.level == "imminent"
    assert result.reasons[0].startswith("es:")


def test_importing_the_package_loads_no_models_or_lexicon() -> None:
    # A fresh interpreter: Django is not even set up, so any model import would fail.
    code = (
        "import sys, peerlight.safety; "
        "assert 'peerlight.safety.detector' not in sys.modules; "
        "assert 'peerlight.safety.models' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
