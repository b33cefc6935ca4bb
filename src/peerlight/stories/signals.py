"""What other apps may listen to: a story's use changed.

``story_use_changed`` is sent by ``stories.actions`` inside the transaction
that changed a story's consent or withdrew or unpublished it, so receivers
(advocacy flags delivered briefs and packets that contained the story) change
together with it or not at all. Arguments: ``story`` (the ``Story``),
``actor`` (the ``User`` who made the change) and ``reason`` (a short code:
"consent_changed", "consent_withdrawn", "story_withdrawn", "unpublished").
"""

from __future__ import annotations

from django.dispatch import Signal

story_use_changed = Signal()
