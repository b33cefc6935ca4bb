"""System checks of the safety set-up (``peerlight check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register(deploy=True)
def check_fallback_contact(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warn when an urgent case nobody acknowledges would reach no one outside the app."""
    if settings.PEERLIGHT_SAFETY_FALLBACK_EMAIL:
        return []
    return [
        Warning(
            "No fallback contact for urgent cases: when nobody on the rota "
            "acknowledges in time, only the coordinators' banner is left.",
            hint="Set PEERLIGHT_SAFETY_FALLBACK_EMAIL to an address someone reads day and night.",
            id="peerlight.W101",
        )
    ]
