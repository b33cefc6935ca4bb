"""The form of the circles list's filters.

``FindForm`` reads the list page's filters; a value it cannot use (a made-up
topic, a day that is not a day) is left out and named, so a mistyped address
still shows circles. ``topic_choices`` and ``choice_field`` serve the circle
form (``circle_forms``) too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peerlight.circles import finding
from peerlight.circles.models import Circle
from peerlight.lib.forms import PlainForm
from peerlight.peers.vocabulary import vocabulary


def topic_choices(language: str | None) -> list[tuple[str, Any]]:
    """Lived experiences and topics, as two groups of one list: both are circle topics."""
    words = vocabulary()
    return [
        (str(_("Lived experience")), words.choices("experiences", language)),
        (str(_("Topics")), words.choices("topics", language)),
    ]


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The field ``name`` of ``form``, which is a choice field (for the type checker)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class FindForm(PlainForm):
    q = forms.CharField(label=_("Words"), max_length=200, required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    day = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("Any day")), *WEEKDAYS.items()],
    )
    time = forms.ChoiceField(
        label=_("Time of day"),
        required=False,
        choices=[
            ("", _("Any time")),
            (finding.MORNING, _("Morning (before noon)")),
            (finding.AFTERNOON, _("Afternoon (noon to 5 pm)")),
            (finding.EVENING, _("Evening (from 5 pm)")),
        ],
    )
    format = forms.ChoiceField(
        label=_("How it meets"),
        required=False,
        choices=[
            ("", _("Online or in person")),
            (Circle.Format.ONLINE, _("Online")),
            (Circle.Format.IN_PERSON, _("In person")),
        ],
    )
    soon = forms.BooleanField(label=_("Meets in the next two days"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        choice_field(self, "topic").choices = [("", _("Any topic")), *topic_choices(language)]
        choice_field(self, "language").choices = [
            ("", _("Any language")),
            *vocabulary().choices("languages", language),
        ]

    def filters(self) -> finding.CircleFilters:
        """The filters from every field that holds a usable value (call ``is_valid`` first)."""
        data = self.cleaned_data
        return finding.CircleFilters(
            topic=data.get("topic") or "",
            language=data.get("language") or "",
            weekday=data.get("day"),
            part_of_day=data.get("time") or "",
            format=data.get("format") or "",
            starting_soon=bool(data.get("soon")),
            words=data.get("q") or "",
        )

    def left_out(self) -> list[str]:
        """Labels of the fields whose values could not be used."""
        return [str(self.fields[name].label) for name in self.errors if name in self.fields]
