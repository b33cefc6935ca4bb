"""The deploy check that an urgent case always has somewhere to go."""

from __future__ import annotations

from django.test import override_settings

from peerlight.safety import checks


@override_settings(PEERLIGHT_SAFETY_FALLBACK_EMAIL="")
def test_a_missing_fallback_contact_is_a_deploy_warning() -> None:
    [warning] = checks.check_fallback_contact(None)
    assert warning.id == "peerlight.W101"
    assert "PEERLIGHT_SAFETY_FALLBACK_EMAIL" in str(warning.hint)


@override_settings(PEERLIGHT_SAFETY_FALLBACK_EMAIL="oncall@example.org")
def test_a_fallback_contact_passes() -> None:
    assert checks.check_fallback_contact(None) == []
