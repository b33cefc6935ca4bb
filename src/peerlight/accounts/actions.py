"""Every write to accounts: each validates, saves in a transaction and is audited.

Audit entries carry ids only. Where a change ends sessions, it raises
``User.session_version``, which is part of the session hash, so every
session of that person on every device stops being valid at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import consent
from peerlight.accounts.access import grantable_roles
from peerlight.accounts.models import ConsentDocument, Role, RoleGrant, User
from peerlight.audit.actions import record_change
from peerlight.lib.events import send_on_commit, user_group

# How many 30-second steps either side of now a code may come from, so a
# phone whose clock is a little off still works.
TOTP_TOLERANCE = 1


class SignUpClosedError(Exception):
    """The texts people must agree to at sign-up are not published yet."""


class DisplayNameTakenError(Exception):
    """Another account took the display name first."""


def _forget_roles(user: User) -> None:
    # role_set() caches on the instance; a grant or revocation must be seen
    # by the rest of this request.
    vars(user).pop("_role_cache", None)


def _raise_session_version(user: User) -> None:
    User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
    user.refresh_from_db(fields=["session_version"])


def create_account(
    *,
    display_name: str,
    password: str,
    documents: Iterable[ConsentDocument],
    email: str = "",
    language: str = "en",
) -> User:
    """Create a member account and record agreement to the sign-up texts.

    Refuses (``SignUpClosedError``) unless a document is given for every
    purpose in ``consent.REQUIRED_AT_SIGN_UP``: no account exists without
    that consent.
    """
    documents = list(documents)
    agreed = {document.purpose for document in documents}
    if not set(consent.REQUIRED_AT_SIGN_UP) <= agreed:
        raise SignUpClosedError
    if not password:
        raise ValidationError(_("A password is needed."), code="required")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                display_name, password, email=email.strip(), language=language
            )
            for document in documents:
                consent.grant(user, document)
            record_change(user, "account.create", user, subject=user)
    except IntegrityError as error:
        # The form checked the name; this is someone taking it in between.
        raise DisplayNameTakenError from error
    return user


def _close_sockets(user: User) -> None:
    # Open websockets were authenticated once, at connect: they are told to
    # close once the change is committed (a reconnect then fails).
    send_on_commit([user_group(int(user.pk))], {"type": "user.disconnect"})


def end_all_sessions(user: User, *, actor: User | None) -> None:
    """Sign ``user`` out everywhere: every session and open websocket they hold stops working."""
    with transaction.atomic():
        _raise_session_version(user)
        record_change(actor, "account.sessions.end", user, subject=user)
        _close_sockets(user)


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session (the caller keeps its own)."""
    _set_password(user, new_password, verb="account.password.change")


def reset_password(user: User, new_password: str) -> None:
    """Set a new password through a reset link and end every session."""
    _set_password(user, new_password, verb="account.password.reset")


def _set_password(user: User, new_password: str, *, verb: str) -> None:
    if not new_password:
        raise ValidationError(_("A password is needed."), code="required")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _raise_session_version(user)
        record_change(user, verb, user, subject=user)


def set_email(user: User, email: str) -> None:
    """Change (or, with an empty string, remove) the account's e-mail address."""
    email = email.strip()
    if email and "@" not in email:
        raise ValidationError(_("Please enter an e-mail address."), code="invalid")
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email", "email_digest"])
        record_change(user, "account.email.change", user, subject=user)


def set_language(user: User, language: str) -> None:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("That language is not available."), code="invalid")
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
        record_change(user, "account.language.change", user, subject=user)


def grant_role(actor: User, person: User, role: str) -> RoleGrant:
    """Give ``person`` a role ``actor`` may grant.

    ``PermissionDenied`` when the role is not ``actor``'s to give;
    ``ValidationError`` when the person already holds it.
    """
    if role == Role.MEMBER or role not in Role.values:
        raise ValidationError(_("That is not a role that can be given."), code="invalid")
    if role not in grantable_roles(actor):
        raise PermissionDenied
    with transaction.atomic():
        held = RoleGrant.objects.select_for_update().filter(
            user=person, role=role, revoked_at__isnull=True
        )
        if held.exists():
            raise ValidationError(_("This person already has that role."), code="held")
        grant = RoleGrant.objects.create(user=person, role=role, granted_by=actor)
        record_change(actor, "role.grant", grant, subject=person, reason=role)
    _forget_roles(person)
    return grant


def revoke_role(actor: User, person: User, role: str) -> RoleGrant:
    """Take a role away; the grant row stays, marked revoked, for the record.

    The last active administrator cannot be removed, so the Django admin
    always has someone who can reach it.
    """
    if role not in grantable_roles(actor):
        raise PermissionDenied
    with transaction.atomic():
        grant = (
            RoleGrant.objects.select_for_update()
            .filter(user=person, role=role, revoked_at__isnull=True)
            .first()
        )
        if grant is None:
            raise ValidationError(_("This person does not have that role."), code="not_held")
        if role == Role.ADMIN and _is_last_admin(person):
            raise ValidationError(
                _("Peerlight needs at least one administrator. Make someone else one first."),
                code="last_admin",
            )
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        record_change(actor, "role.revoke", grant, subject=person, reason=role)
    _forget_roles(person)
    return grant


def _is_last_admin(person: User) -> bool:
    others = RoleGrant.objects.filter(
        role=Role.ADMIN, revoked_at__isnull=True, user__is_active=True
    ).exclude(user=person)
    return not others.exists()


def deactivate_account(actor: User, person: User) -> None:
    """Close an account: it can no longer sign in and every session ends.

    A person may close their own account; administrators may close anyone's.
    """
    if actor.pk != person.pk and not (actor.is_active and actor.has_role(Role.ADMIN)):
        raise PermissionDenied
    with transaction.atomic():
        person.is_active = False
        person.save(update_fields=["is_active"])
        _raise_session_version(person)
        record_change(actor, "account.deactivate", person, subject=person)
        _close_sockets(person)


def enable_two_factor(user: User, key_hex: str, code: str) -> TOTPDevice | None:
    """Turn on two-factor with the authenticator key shown at set-up.

    The device is saved, confirmed, only when ``code`` matches ``key_hex``:
    a key nobody could read off a phone never protects an account. Earlier
    devices of the person are replaced. None when the code does not match.
    """
    checker = TOTP(bytes.fromhex(key_hex))
    if not code.isdigit() or not checker.verify(int(code), tolerance=TOTP_TOLERANCE):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # last_t records the step just used, so the same code cannot be
        # replayed to verify a session.
        device = TOTPDevice.objects.create(
            user=user,
            name=gettext("Authenticator app"),
            key=key_hex,
            confirmed=True,
            last_t=checker.t(),
        )
        record_change(user, "account.two_factor.enable", device, subject=user)
    return device


def verify_two_factor(user: User, code: str) -> TOTPDevice | None:
    """The confirmed device ``code`` belongs to, or None.

    django-otp keeps each device's throttling and last-used step up to date
    (it saves the device), so a code works once and guessing slows down.
    """
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def request_password_reset(users: Iterable[User]) -> None:
    """Queue a reset e-mail for each account, after the surrounding commit.

    Sending happens in the background, so the answer to the person asking
    takes as long whether the address is known or not.
    """
    for user in users:
        with transaction.atomic():
            record_change(None, "account.password.reset_requested", user, subject=user)
            transaction.on_commit(functools.partial(send_password_reset_email.enqueue, user.pk))


def password_reset_link(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", args=[uidb64, token])
    return urljoin(settings.PEERLIGHT_BASE_URL + "/", path.lstrip("/"))


@task
def send_password_reset_email(user_id: int) -> None:
    """Send the reset link to the account's address, in the account's language.

    The token is made here rather than when the request is queued, so it is
    never stored in the task queue.
    """
    user = User.objects.filter(pk=user_id, is_active=True, is_guest=False).first()
    if user is None or not user.email:
        return
    with translation.override(user.language):
        subject = gettext("Resetting your password")
        body = gettext(
            "Someone asked to reset the password of the account %(name)s.\n\n"
            "To choose a new password, open this link within a few days:\n%(link)s\n\n"
            "If it was not you, you can ignore this e-mail: nothing changes."
        ) % {"name": user.display_name, "link": password_reset_link(user)}
    send_mail(subject, body, None, [user.email])
