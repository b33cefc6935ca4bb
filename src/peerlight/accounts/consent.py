"""The consent ledger's API, used by every app that needs a person's consent.

``has_consent(user, purpose)`` is the only question other apps ask. It reads
the ledger each time (no cache), so a withdrawal takes effect everywhere at
once. Writes go through ``grant`` and ``withdraw``, which append rows and
never edit them; each row names the version of the text it answers, and each
write leaves an audit entry (ids and the purpose and version only).

Terms of use and the privacy notice cannot be withdrawn while keeping the
account: the way to withdraw them is to delete the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal

from peerlight.accounts.models import ConsentDocument, ConsentEvent, ConsentPurpose, User
from peerlight.audit.actions import record_change

REQUIRED_AT_SIGN_UP = (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY)
WITHDRAWABLE = frozenset({ConsentPurpose.RESEARCH, ConsentPurpose.STORY_ADVOCACY})


# Sent inside the transaction of a withdrawal (arguments ``user``, ``purpose``),
# so apps that hold material under that consent change with it or not at all.
consent_withdrawn = Signal()


class ConsentRequiredError(ValueError):
    """The purpose cannot be withdrawn while keeping the account."""


def current_document(purpose: str, language: str = "en") -> ConsentDocument | None:
    """The newest version of a purpose's text, in ``language`` if it exists."""
    documents = ConsentDocument.objects.filter(purpose=purpose).order_by("-version")
    newest = documents.first()
    if newest is None:
        return None
    translated = documents.filter(version=newest.version, language=language).first()
    return translated or newest


def latest_event(user: User, purpose: str) -> ConsentEvent | None:
    return (
        ConsentEvent.objects.filter(user=user, purpose=purpose)
        .select_related("document")
        .order_by("-created_at", "-id")
        .first()
    )


def _grant_still_holds(event: ConsentEvent) -> bool:
    return not ConsentDocument.objects.filter(
        purpose=event.purpose,
        version__gt=event.document.version,
        requires_reconsent=True,
    ).exists()


def has_consent(user: AbstractBaseUser | AnonymousUser, purpose: str) -> bool:
    """True when the person's latest word on ``purpose`` is a grant that still holds.

    A grant stops holding when a newer version of the text that requires
    everyone to agree again has been published since.
    """
    if not isinstance(user, User) or not user.is_active:
        return False
    event = latest_event(user, purpose)
    if event is None or event.action != ConsentEvent.Action.GRANT:
        return False
    return _grant_still_holds(event)


def can_withdraw(purpose: str) -> bool:
    return purpose in WITHDRAWABLE


@transaction.atomic
def grant(user: User, document: ConsentDocument) -> ConsentEvent:
    """Record that ``user`` agrees to ``document``; audited.

    Agreeing again to the version already agreed (in any language) records
    nothing and returns the standing grant.
    """
    event = latest_event(user, document.purpose)
    if (
        event is not None
        and event.action == ConsentEvent.Action.GRANT
        and event.document.version == document.version
    ):
        return event
    event = ConsentEvent.objects.create(
        user=user,
        purpose=document.purpose,
        document=document,
        action=ConsentEvent.Action.GRANT,
    )
    reason = f"{document.purpose} v{document.version}"
    record_change(user, "accounts.consent_granted", event, reason=reason, subject=user)
    return event


@transaction.atomic
def withdraw(user: User, purpose: str) -> ConsentEvent | None:
    """Record a withdrawal; None when there was nothing to withdraw.

    The withdrawal names the version of the grant it ends. Raises
    ``ConsentRequiredError`` for terms of use and the privacy notice.
    """
    if not can_withdraw(purpose):
        raise ConsentRequiredError(f"{purpose} cannot be withdrawn while keeping the account.")
    event = latest_event(user, purpose)
    if event is None or event.action != ConsentEvent.Action.GRANT:
        return None
    withdrawal = ConsentEvent.objects.create(
        user=user,
        purpose=purpose,
        document=event.document,
        action=ConsentEvent.Action.WITHDRAW,
    )
    reason = f"{purpose} v{event.document.version}"
    record_change(user, "accounts.consent_withdrawn", withdrawal, reason=reason, subject=user)
    consent_withdrawn.send(sender=ConsentEvent, user=user, purpose=purpose)
    return withdrawal


def history(user: User) -> QuerySet[ConsentEvent]:
    """Every grant and withdrawal of ``user``, newest first."""
    return (
        ConsentEvent.objects.filter(user=user)
        .select_related("document")
        .order_by("-created_at", "-id")
    )


class ConsentState(StrEnum):
    AGREED = "agreed"
    NEEDS_RENEWAL = "needs_renewal"
    WITHDRAWN = "withdrawn"
    NOT_ANSWERED = "not_answered"


@dataclass(frozen=True)
class ConsentStanding:
    """Where a person stands on one purpose, for the consents page."""

    purpose: ConsentPurpose
    state: ConsentState
    document: ConsentDocument | None
    answered_version: int | None

    @property
    def can_withdraw(self) -> bool:
        return can_withdraw(self.purpose)

    @property
    def offers_withdrawal(self) -> bool:
        """True when there is a grant, current or outdated, the person may withdraw."""
        return self.can_withdraw and self.state in {
            ConsentState.AGREED,
            ConsentState.NEEDS_RENEWAL,
        }

    @property
    def can_agree(self) -> bool:
        """True when there is a text to agree to that the person has not agreed to."""
        if self.document is None:
            return False
        return self.state != ConsentState.AGREED or self.answered_version != self.document.version


def standing(user: User, purpose: ConsentPurpose, language: str) -> ConsentStanding:
    document = current_document(purpose, language)
    event = latest_event(user, purpose)
    if event is None:
        return ConsentStanding(purpose, ConsentState.NOT_ANSWERED, document, None)
    version = event.document.version
    if event.action == ConsentEvent.Action.WITHDRAW:
        return ConsentStanding(purpose, ConsentState.WITHDRAWN, document, version)
    if not _grant_still_holds(event):
        return ConsentStanding(purpose, ConsentState.NEEDS_RENEWAL, document, version)
    return ConsentStanding(purpose, ConsentState.AGREED, document, version)


@dataclass(frozen=True)
class Block:
    """One block of a consent text: a heading, a paragraph or a list."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()


def document_blocks(body: str) -> list[Block]:
    """Split a consent text into blocks (see migration 0002 for the format)."""
    blocks = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("# "):
            blocks.append(Block("heading", lines[0][2:].strip()))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(Block("list", items=tuple(line[2:].strip() for line in lines)))
        else:
            blocks.append(Block("paragraph", " ".join(lines)))
    return blocks
