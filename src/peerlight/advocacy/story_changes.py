"""Advocacy follows a story whose use changed (``stories.signals.story_use_changed``)."""


def connect() -> None:
    """Connect the receivers (written with the evidence briefs)."""
