"""Forms of the review area: a move on a story, a decision on a reply, the version to compare."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerlight.lib.forms import PlainForm
from peerlight.stories.models import NOTE_MAX, StoryVersion
from peerlight.stories.moderation import RULES, Move

# Moves that act on one version, which the form must name (the one on screen).
VERSIONED = frozenset({Move.REQUEST_CHANGES, Move.PUBLISH})
APPROVE = "approve"
DECLINE = "decline"
MOST_VERSIONS = 100_000


class MoveForm(PlainForm):
    move = forms.ChoiceField(
        choices=[
            (Move.START_REVIEW.value, _("Start the review")),
            (Move.REQUEST_CHANGES.value, _("Ask the author for changes")),
            (Move.PUBLISH.value, _("Publish")),
            (Move.UNPUBLISH.value, _("Take down and ask for changes")),
            (Move.RELEASE_HOLD.value, _("Release from the safety hold")),
        ],
        error_messages={
            "required": _("Please choose what to do with the story."),
            "invalid_choice": _("Please choose what to do with the story."),
        },
    )
    note = forms.CharField(
        label=_("Note to the author"),
        help_text=_(
            "Say kindly what to change and why. Only the author sees it. Up to 1,000 characters."
        ),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Please keep the note to 1,000 characters or fewer.")},
    )
    version = forms.IntegerField(min_value=1, max_value=MOST_VERSIONS, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        move = cleaned.get("move")
        if move is None:
            return cleaned
        if RULES[Move(move)].needs_note and not str(cleaned.get("note") or "").strip():
            self.add_error("note", _("Please write a note to the author saying what to change."))
        if Move(move) in VERSIONED and cleaned.get("version") is None:
            self.add_error(
                None, _("This page is out of date: please open the story again and retry.")
            )
        return cleaned

    def chosen_move(self) -> Move:
        return Move(self.cleaned_data["move"])

    def note_text(self) -> str:
        return str(self.cleaned_data.get("note") or "")

    def version_number(self) -> int:
        return int(self.cleaned_data.get("version") or 0)


class ReplyDecisionForm(PlainForm):
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Show it")), (DECLINE, _("Do not show it"))],
        error_messages={
            "required": _("Please choose to show the reply or not."),
            "invalid_choice": _("Please choose to show the reply or not."),
        },
    )
    safety_checked = forms.BooleanField(
        label=_("I have read this reply and it is safe to show"),
        required=False,
    )

    def approves(self) -> bool:
        return bool(self.cleaned_data["decision"] == APPROVE)

    def checked(self) -> bool:
        return bool(self.cleaned_data.get("safety_checked"))


class CompareForm(PlainForm):
    """Which earlier version to compare the one under review with (query string)."""

    compare = forms.TypedChoiceField(
        label=_("Compare with version"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Please choose a version from the list.")},
    )

    def __init__(
        self, versions: Sequence[StoryVersion], current: int, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["compare"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (str(version.number), str(version.number))
            for version in versions
            if version.number != current
        ]

    def chosen(self) -> int | None:
        if not self.is_valid():
            return None
        number = self.cleaned_data.get("compare")
        return int(number) if number is not None else None
