"""The directory's tool on a chat page: "Share a resource", for the peer in the chat.

``register()`` is called from ``DirectoryConfig.ready()``; calling it again
replaces the registration (``chat.tools.register_tool``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from peerlight.chat import tools

TOOL_NAME = "directory.share"


def share_url(conversation_id: int) -> str:
    return reverse("directory:referral_share", args=[conversation_id])


def register() -> None:
    tools.register_tool(TOOL_NAME, _("Share a resource"), share_url)
