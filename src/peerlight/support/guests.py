"""Guests, and the limits that keep asking for support hard to misuse.

Someone who is struggling should not have to make an account before talking
to a peer: "Continue without an account" makes a pseudonymous guest on the
spot (a calm random name, no e-mail, no usable password) who has agreed to the
same texts as anyone signing up. Because making guests is free, it is limited
per address, and new accounts (guests included) may open fewer support
requests than established ones: the misuse that hurt open peer-support
services came from throwaway accounts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from peerlight.accounts import consent
from peerlight.accounts.actions import SignUpClosedError
from peerlight.accounts.models import ConsentDocument, User
from peerlight.audit.actions import record_change
from peerlight.lib import ratelimit

# A shelter, a library or a phone carrier can put many people behind one
# address, so the limit is generous; it stops scripts, not people.
GUEST_IP = ratelimit.Policy("support-guest-ip", limit=10, period=60 * 60)
# Requests a person may open in an hour (each one asks a peer's time).
REQUESTS_PER_ACCOUNT = ratelimit.Policy("support-request-account", limit=6, period=60 * 60)
REQUESTS_PER_NEW_ACCOUNT = ratelimit.Policy("support-request-new", limit=2, period=60 * 60)
# How long an account counts as new.
NEW_ACCOUNT_AGE = timedelta(days=2)

# Calm, neutral words: nothing that hints at a diagnosis or a mood.
GUEST_WORDS = (
    "Willow", "Cedar", "Harbor", "Meadow", "Maple", "Pebble", "Fern", "Brook", "Lark",
    "Aspen", "Heron", "Clover", "Juniper", "Sparrow", "Tide", "Birch", "Marigold", "Linden",
    "Moss", "Wren", "Hazel", "Coral", "Sage", "Rowan",
)  # fmt: skip
NAME_ATTEMPTS = 20


class GuestNamesExhaustedError(RuntimeError):
    """No free guest name was found after many tries (practically never)."""


def check_guest_ip(ip: str) -> None:
    """Count one guest account made from ``ip``; ``RateLimited`` when over the limit."""
    ratelimit.hit(GUEST_IP, ip)


def is_new_account(user: User) -> bool:
    return user.is_guest or user.date_joined > timezone.now() - NEW_ACCOUNT_AGE


def check_new_request(user: User) -> None:
    """Count one new support request of ``user``; ``RateLimited`` when over the limit."""
    policy = REQUESTS_PER_NEW_ACCOUNT if is_new_account(user) else REQUESTS_PER_ACCOUNT
    ratelimit.hit(policy, str(user.pk))


def guest_name() -> str:
    """A random calm display name such as "Guest-Willow-4821"."""
    word = secrets.choice(GUEST_WORDS)
    return f"Guest-{word}-{1000 + secrets.randbelow(9000)}"


def create_guest(*, documents: Iterable[ConsentDocument], language: str = "en") -> User:
    """Make a guest account with a unique random name and the sign-up consents.

    The account has no e-mail and no usable password: it lives as long as
    its session, and the person can still export or delete it from the
    privacy centre. Refuses (``SignUpClosedError`` from accounts) unless a
    document is given for every purpose required at sign-up.
    """
    documents = list(documents)
    if not set(consent.REQUIRED_AT_SIGN_UP) <= {document.purpose for document in documents}:
        raise SignUpClosedError
    for _attempt in range(NAME_ATTEMPTS):
        name = guest_name()
        if User.objects.filter(display_name__iexact=name).exists():
            continue
        try:
            with transaction.atomic():
                user = User.objects.create_user(name, None, is_guest=True, language=language)
                for document in documents:
                    consent.grant(user, document)
                record_change(user, "account.create_guest", user, subject=user)
        except IntegrityError:
            # Someone took the name between the check and the insert.
            continue
        return user
    raise GuestNamesExhaustedError
