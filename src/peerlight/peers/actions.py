"""Every write to peer profiles: each validates, saves in a transaction and is audited.

Making someone a peer supporter gives the role (through
``accounts.actions.grant_role``, which checks who may give it) and creates
or re-activates the profile in the same transaction, so there is never a
role without an active profile or the other way round. Audit entries carry
ids and codes only, never what a peer wrote about themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.accounts import actions as account_actions
from peerlight.accounts.access import grantable_roles
from peerlight.accounts.models import Role, RoleGrant, User
from peerlight.audit.actions import record_change
from peerlight.peers.models import (
    BIO_MAX,
    EXPERIENCE_WORDS_MAX,
    MAX_CHATS_RANGE,
    Availability,
    PeerProfile,
)
from peerlight.peers.vocabulary import vocabulary

# The fields a peer may change on their own profile, and nothing else.
PROFILE_FIELDS = frozenset(
    {"experiences", "experience_words", "languages", "topics", "gender", "bio", "max_chats"}
)


def _holds_role(person: User) -> bool:
    # Asked of the database, not the per-request role cache, because the
    # answer decides a write.
    return RoleGrant.objects.filter(
        user=person, role=Role.PEER_SUPPORTER, revoked_at__isnull=True
    ).exists()


def _check_may_manage(actor: User) -> None:
    if Role.PEER_SUPPORTER not in grantable_roles(actor):
        raise PermissionDenied


def make_peer_supporter(actor: User, person: User) -> PeerProfile:
    """Give ``person`` the peer-supporter role and an active profile.

    ``PermissionDenied`` unless ``actor`` may give the role (coordinators and
    administrators); ``ValidationError`` for a closed or guest account, or
    someone who already is an active peer supporter. A profile kept from an
    earlier time comes back as it was, shown as away.
    """
    _check_may_manage(actor)
    if not person.is_active or person.is_guest:
        raise ValidationError(
            _("Only an open, signed-up account can become a peer supporter."), code="invalid"
        )
    with transaction.atomic():
        profile = PeerProfile.objects.select_for_update().filter(user=person).first()
        held = _holds_role(person)
        if held and profile is not None and profile.is_active:
            raise ValidationError(_("This person is a peer supporter already."), code="held")
        if not held:
            account_actions.grant_role(actor, person, Role.PEER_SUPPORTER)
        if profile is None:
            profile = PeerProfile.objects.create(user=person)
        else:
            profile.is_active = True
            profile.availability = Availability.AWAY
            profile.updated_at = timezone.now()
            profile.save(update_fields=["is_active", "availability", "updated_at"])
        record_change(actor, "peer.activate", profile, subject=person)
    return profile


def stop_peer_supporter(actor: User, person: User) -> None:
    """Take the peer-supporter role away; the profile stays, inactive and away.

    Keeping the profile lets a returning peer start where they left off and
    keeps the record of who supported whom. ``ValidationError`` when the
    person is neither a peer supporter nor has an active profile.
    """
    _check_may_manage(actor)
    with transaction.atomic():
        profile = PeerProfile.objects.select_for_update().filter(user=person).first()
        held = _holds_role(person)
        if not held and (profile is None or not profile.is_active):
            raise ValidationError(_("This person is not a peer supporter."), code="not_held")
        if held:
            account_actions.revoke_role(actor, person, Role.PEER_SUPPORTER)
        if profile is not None:
            profile.is_active = False
            profile.availability = Availability.AWAY
            profile.updated_at = timezone.now()
            profile.save(update_fields=["is_active", "availability", "updated_at"])
            record_change(actor, "peer.deactivate", profile, subject=person)


def _writable_profile(user: User) -> PeerProfile:
    """The locked profile of a peer supporter, created or re-activated as needed.

    Holding the role is what counts: a person given it from the people pages
    gets their profile on their first save. ``PermissionDenied`` otherwise.
    """
    if not user.is_active or not _holds_role(user):
        raise PermissionDenied
    profile = PeerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return PeerProfile.objects.create(user=user)
    profile.is_active = True
    return profile


def _codes(section: str, values: Iterable[str]) -> list[str]:
    """``values`` without repeats, in the order given; ValidationError for unknown codes."""
    known = vocabulary().codes(section)
    chosen = list(dict.fromkeys(str(value) for value in values))
    if any(code not in known for code in chosen):
        raise ValidationError(_("Please choose from the list."), code="invalid_choice")
    return chosen


def clean_profile_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Check profile fields against the vocabulary and the limits; return them tidied.

    Raises ``ValidationError`` with one entry per field at fault.
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"Not profile fields: {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    for name in ("experiences", "languages", "topics"):
        if name in fields:
            try:
                cleaned[name] = _codes(name, fields[name])
            except ValidationError as error:
                errors[name] = error
    if "languages" in cleaned and not cleaned["languages"]:
        errors["languages"] = ValidationError(
            _("Please choose at least one language."), code="required"
        )
    if "gender" in fields:
        gender = str(fields["gender"])
        if gender and gender not in vocabulary().codes("genders"):
            errors["gender"] = ValidationError(_("Please choose from the list."), code="invalid")
        cleaned["gender"] = gender
    for name, limit in (("experience_words", EXPERIENCE_WORDS_MAX), ("bio", BIO_MAX)):
        if name in fields:
            text = str(fields[name]).strip()
            if len(text) > limit:
                errors[name] = ValidationError(
                    _("Please keep this to %(limit)d characters or fewer."),
                    code="max_length",
                    params={"limit": limit},
                )
            cleaned[name] = text
    if "max_chats" in fields:
        max_chats = fields["max_chats"]
        if not isinstance(max_chats, int) or max_chats not in MAX_CHATS_RANGE:
            errors["max_chats"] = ValidationError(
                _("Please choose a number from 1 to 5."), code="invalid"
            )
        cleaned["max_chats"] = max_chats
    if errors:
        raise ValidationError(errors)
    return cleaned


def update_profile(user: User, **fields: Any) -> PeerProfile:
    """Change a peer supporter's own profile.

    Only the fields in ``PROFILE_FIELDS`` may be given (``TypeError`` for any
    other); codes must come from the vocabulary and at least one language is
    needed (``ValidationError``, nothing saved). ``PermissionDenied`` for
    anyone who does not hold the peer-supporter role.
    """
    cleaned = clean_profile_fields(fields)
    with transaction.atomic():
        profile = _writable_profile(user)
        for name, value in cleaned.items():
            setattr(profile, name, value)
        if not profile.languages:
            raise ValidationError(
                {"languages": _("Please choose at least one language.")}, code="required"
            )
        profile.updated_at = timezone.now()
        profile.save()
        record_change(user, "peer.profile.update", profile, subject=user)
    return profile


def set_availability(user: User, availability: str) -> PeerProfile:
    """Show the peer supporter as available, busy or away.

    ``ValidationError`` for any other value, and for "available" before the
    profile names a language; ``PermissionDenied`` for non-peers.

    Not audited: it changes many times a day, says nothing sensitive, and
    the offers and chats it leads to are recorded where they happen.
    """
    if availability not in Availability.values:
        raise ValidationError(_("Please choose available, busy or away."), code="invalid")
    with transaction.atomic():
        profile = _writable_profile(user)
        # Nobody can be matched with a peer whose languages are not known.
        if availability == Availability.AVAILABLE and not profile.languages:
            raise ValidationError(
                _("Please fill in your profile, with your languages, first."), code="incomplete"
            )
        profile.availability = availability
        profile.updated_at = timezone.now()
        profile.save()
    return profile


def record_chat_ended(peer_user: User, at: datetime) -> None:
    """Note when the peer's latest chat ended, for fair turns in matching.

    An earlier time than the one stored is ignored, so chats ending out of
    order never move the clock back.
    """
    PeerProfile.objects.filter(user=peer_user).filter(
        Q(last_chat_ended_at__isnull=True) | Q(last_chat_ended_at__lt=at)
    ).update(last_chat_ended_at=at)
