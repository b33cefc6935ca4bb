"""Peer tools: links that apps above the chat add to a chat page for its peers.

The chat knows nothing of the apps above it (a directory, say). Such an app
registers a tool at start-up, from its ``AppConfig.ready()``::

    from peerlight.chat import tools

    tools.register_tool("directory.share", _("Share a resource"), share_url)

where ``share_url(conversation_id)`` returns the path of the app's page for
that chat, or None when the tool is not for that chat (a circle's room tool
on a support chat, say). The chat page shows the registered tools, in the order they were
registered, to a supporter or facilitator who is still in the chat while it
is open; nobody else sees them. The page a tool links to checks access
itself: showing a link grants nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from peerlight.chat.models import Participant

__all__ = ["PEER_ROLES", "PeerTool", "register_tool", "tools_for", "unregister_tool"]

PEER_ROLES = frozenset({Participant.Role.SUPPORTER, Participant.Role.FACILITATOR})

type UrlFor = Callable[[int], str | None]


@dataclass(frozen=True)
class PeerTool:
    """One link on a chat page: a label in the reader's language and a path."""

    label: str
    url: str


@dataclass(frozen=True)
class _Registration:
    label: str | Promise
    url_for: UrlFor


_registry: dict[str, _Registration] = {}


def register_tool(name: str, label: str | Promise, url_for: UrlFor) -> None:
    """Add (or, under the same ``name``, replace) a peer tool.

    ``label`` should be a lazy translation, so each reader sees it in their
    language; ``url_for(conversation_id)`` gives a path on this site, or None
    to leave the tool off that chat.
    """
    if not name:
        raise ValueError("A peer tool needs a name.")
    _registry[name] = _Registration(label, url_for)


def unregister_tool(name: str) -> None:
    """Remove a tool (for tests, and an app that turns a feature off)."""
    _registry.pop(name, None)


def _is_same_site_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith(("//", "/\\"))


def tools_for(participant: Participant | None) -> list[PeerTool]:
    """The tools ``participant`` sees on the chat page: none unless a peer still in an open chat.

    A tool whose ``url_for`` gives None (not for this chat) or anything but a
    same-site path is left out.
    ``participant.conversation`` is read, so fetch it with the participant.
    """
    if (
        participant is None
        or participant.role not in PEER_ROLES
        or not participant.is_present
        or participant.conversation.is_ended
    ):
        return []
    conversation_id = int(participant.conversation_id)
    shown = []
    for registration in _registry.values():
        url = registration.url_for(conversation_id)
        if url is not None and _is_same_site_path(url):
            shown.append(PeerTool(str(registration.label), url))
    return shown
