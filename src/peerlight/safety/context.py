"""The coordinators' escalation banner, on every page they open.

For anyone who is not a signed-in coordinator this adds nothing and reads
nothing. The banner's fragment polls ``safety:escalations:banner`` so it
appears on a page already open.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from peerlight.accounts.models import User
from peerlight.safety import escalations


def escalation_banner(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not escalations.can_respond(user):
        return {}
    return {"escalation_banner": {"cases": escalations.banner_cases(user)}}
