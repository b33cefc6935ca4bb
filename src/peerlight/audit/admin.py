"""The audit log in the Django admin: readable by admins, changeable by no one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from peerlight.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = (
        "id",
        "created_at",
        "action",
        "verb",
        "target_type",
        "target_id",
        "actor_id",
        "subject_id",
    )
    list_filter = ("action", "verb")
    search_fields = ("=actor_id", "=subject_id", "=target_id", "verb")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    # No "delete selected" action: entries are never deleted.
    actions = None
    readonly_fields = tuple(field.name for field in AuditEntry._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
