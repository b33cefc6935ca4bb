"""The audit log: append-only, each entry sealed to the one before it."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditAction(models.TextChoices):
    READ = "read", _("read")
    CHANGE = "change", _("change")


class AuditEntry(models.Model):
    """Who did what to which record, when and why.

    People are recorded by account id only, never by name, so that when an
    account is erased its entries stay (the chain must not break) but no
    longer point at anyone: they are pseudonymised by the erasure itself.
    """

    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    verb = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=200, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.verb} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditImmutableError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit entries cannot be deleted.")

    def canonical(self) -> bytes:
        """The bytes the entry hash seals: every field but the id and the hash."""
        fields = {
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "action": self.action,
            "verb": self.verb,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "subject_id": self.subject_id,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class AuditHead(models.Model):
    """A single row holding the newest hash; locked while an entry is appended."""

    last_hash = models.CharField(max_length=64, default=GENESIS)
    last_entry_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit head at {self.last_entry_id}"


class AuditImmutableError(Exception):
    pass
