"""The follow-up question on a member's pages: "How did it go with <service>?".

Add to ``TEMPLATES[0]["OPTIONS"]["context_processors"]``::

    "peerlight.directory.context.referral_follow_up",

For visitors, htmx fragments and the referral pages themselves this adds
nothing and reads nothing; for a signed-in person it makes one query on an
index (``referrals.next_question``) and shows at most one question.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from peerlight.accounts.models import User
from peerlight.directory import referrals


def referral_follow_up(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active or getattr(request, "htmx", False):
        return {}
    answers_url = reverse("directory:referral_index")
    # The referral pages list every question themselves.
    if request.path.startswith(answers_url):
        return {}
    question = referrals.next_question(user)
    if question is None:
        return {}
    return {"referral_follow_up": {"service_name": question.service_name, "url": answers_url}}
