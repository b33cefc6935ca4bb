"""The consent ledger's API, used by every app that needs a person's consent.

``has_consent(user, purpose)`` is the only question other apps ask. It reads
the ledger each time (no cache), so a withdrawal takes effect everywhere at
once. Writes go through ``grant`` and ``withdraw``, which append rows and
never edit them.
"""

from __future__ import annotations

from django.db import transaction

from peerlight.accounts.models import ConsentDocument, ConsentEvent, ConsentPurpose, User


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


def has_consent(user: User, purpose: str) -> bool:
    """True when the person's latest word on ``purpose`` is a grant that still holds.

    A grant stops holding when a newer version of the text that requires
    everyone to agree again has been published since.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    event = latest_event(user, purpose)
    if event is None or event.action != ConsentEvent.Action.GRANT:
        return False
    return not ConsentDocument.objects.filter(
        purpose=purpose,
        version__gt=event.document.version,
        requires_reconsent=True,
    ).exists()


@transaction.atomic
def grant(user: User, document: ConsentDocument) -> ConsentEvent:
    return ConsentEvent.objects.create(
        user=user,
        purpose=document.purpose,
        document=document,
        action=ConsentEvent.Action.GRANT,
    )


@transaction.atomic
def withdraw(user: User, purpose: str) -> ConsentEvent | None:
    """Record a withdrawal; None when there was nothing to withdraw."""
    event = latest_event(user, purpose)
    if event is None or event.action != ConsentEvent.Action.GRANT:
        return None
    return ConsentEvent.objects.create(
        user=user,
        purpose=purpose,
        document=event.document,
        action=ConsentEvent.Action.WITHDRAW,
    )


REQUIRED_AT_SIGN_UP = (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY)
