"""Stories follow the account-wide "use of my stories in advocacy" consent.

Withdrawn on the privacy centre's consents page, it takes every story of the
person out of campaigns at once (``access.advocacy_withdrawn`` is read at
every use); this receiver passes the withdrawal on as
``story_use_changed`` for each of their stories, inside the same
transaction, so advocacy flags what was already delivered.
"""

from __future__ import annotations

from typing import Any

from peerlight.accounts.models import ConsentPurpose, User
from peerlight.stories.models import Story
from peerlight.stories.signals import story_use_changed


def follow_withdrawal(sender: object, *, user: User, purpose: str, **kwargs: Any) -> None:
    if purpose != ConsentPurpose.STORY_ADVOCACY:
        return
    for story in Story.objects.filter(author=user).exclude(status=Story.Status.DRAFT):
        story_use_changed.send(sender=Story, story=story, actor=user, reason="consent_withdrawn")


def connect() -> None:
    from peerlight.accounts.consent import consent_withdrawn

    consent_withdrawn.connect(follow_withdrawal, dispatch_uid="stories.account_consent")
