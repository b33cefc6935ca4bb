"""Conversations in the Django admin: dates and counts only, never what was said.

Messages are not registered at all: message text is for the people in the
conversation, and reports reach coordinators through the moderation queue.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peerlight.chat.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ("id", "kind", "created_at", "ended_at", "last_seq", "is_paused")
    list_filter = ("kind", "is_paused")
    fields = ("kind", "created_at", "ended_at", "last_seq", "is_paused")
    readonly_fields = ("kind", "created_at", "ended_at", "last_seq")
    # Titles may carry what a group is about; the context URL points into
    # another app's records. Neither is needed to look after the service.
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Conversation | None = None) -> bool:
        return False
