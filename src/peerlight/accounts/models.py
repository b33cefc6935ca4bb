"""People, their roles and their consents."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from peerlight.lib.crypto import EncryptedTextField, digest


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    PEER_SUPPORTER = "peer_supporter", _("Peer supporter")
    COORDINATOR = "coordinator", _("Coordinator")
    RESEARCHER = "researcher", _("Researcher")
    ADMIN = "admin", _("Administrator")


# Roles whose pages need a second factor (TOTP) before anything is shown.
STAFF_ROLES = frozenset({Role.COORDINATOR, Role.RESEARCHER, Role.ADMIN})


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Display names sign people in and are matched without regard to case.
        return self.get(display_name__iexact=username or "")

    def create_user(self, display_name: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(display_name=display_name, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A pseudonymous account: a display name and a password, e-mail optional.

    Roles are explicit rows (``RoleGrant``); every account is a member.
    ``session_version`` is part of the session hash, so raising it ends every
    session of the account at once (log out everywhere, deactivation).
    """

    display_name = models.CharField(_("display name"), max_length=40, unique=True)
    email = EncryptedTextField(_("e-mail"), blank=True, default="")
    email_digest = models.CharField(max_length=64, blank=True, default="", db_index=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    is_active = models.BooleanField(default=True)
    is_guest = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    session_version = models.PositiveIntegerField(default=0)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "display_name"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("display_name"), name="unique_display_name_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_digest = email_digest(self.email) if self.email else ""
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        key_salt = "peerlight.accounts.User.session"
        material = f"{self.password}:{self.session_version}"
        return salted_hmac(key_salt, material, secret=secret, algorithm="sha256").hexdigest()

    def role_set(self) -> frozenset[str]:
        """The roles held now (cached on the instance for one request)."""
        cached: frozenset[str] | None = getattr(self, "_role_cache", None)
        if cached is None:
            held = RoleGrant.objects.filter(user=self, revoked_at__isnull=True)
            cached = frozenset({Role.MEMBER, *held.values_list("role", flat=True)})
            self._role_cache = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_set()

    @property
    def is_staff_role(self) -> bool:
        return bool(self.role_set() & STAFF_ROLES)

    # The Django admin is for administrators only.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.has_role(Role.ADMIN)

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


def email_digest(email: str) -> str:
    return digest(email.strip().casefold(), "accounts.email")


class RoleGrant(models.Model):
    """A role given to a person; revoking keeps the row for the record."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_grant_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} for user {self.user_id}"


class ConsentPurpose(models.TextChoices):
    TERMS = "terms", _("Terms of use")
    PRIVACY = "privacy", _("Privacy notice")
    RESEARCH = "research", _("Taking part in research")
    STORY_ADVOCACY = "story_advocacy", _("Use of my stories in advocacy")


class ConsentDocument(models.Model):
    """One version of the text a person agrees to, per purpose and language."""

    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=8, default="en")
    title = models.CharField(max_length=200)
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64, editable=False)
    # A new version that changes what was agreed asks everyone again.
    requires_reconsent = models.BooleanField(default=False)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version", "language"], name="unique_consent_version"
            ),
        ]
        ordering = ["purpose", "-version"]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version} ({self.language})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_sha256 = hashlib.sha256(self.body.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)


class ConsentEvent(models.Model):
    """One grant or withdrawal, never edited: the ledger is the history."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Agreed")
        WITHDRAW = "withdraw", _("Withdrew")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT)
    action = models.CharField(max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.purpose} by user {self.user_id}"
