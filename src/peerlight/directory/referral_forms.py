"""Referral input with tight bounds: the search from a chat, sharing, answering, the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peerlight.directory import places
from peerlight.directory.models import Referral
from peerlight.directory.referrals import LATER, STOP
from peerlight.directory.search import Query
from peerlight.lib.forms import PlainForm

__all__ = ["SHARE_RESULTS", "AnswerForm", "ReportPeriodForm", "ShareForm", "ShareSearchForm"]

# Results on the share page: a peer picks from the first few.
SHARE_RESULTS = 10
MAX_WORDS = 200


class ShareSearchForm(PlainForm):
    """What the peer looks for (GET). ``query()`` gives the ``search.Query``."""

    words = forms.CharField(
        label=_("What are you looking for?"),
        max_length=MAX_WORDS,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    zip = forms.RegexField(
        label=_("ZIP code (optional)"),
        regex=r"^\d{5}$",
        required=False,
        strip=True,
        help_text=_("Five digits. Closer services come first."),
        error_messages={"invalid": _("Please enter a ZIP code of five digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_zip(self) -> places.Point | None:
        code = str(self.cleaned_data.get("zip") or "")
        if not code:
            return None
        point = places.zip_point(code)
        if point is None:
            raise forms.ValidationError(_("We do not know this ZIP code. Please check it."))
        return point

    def query(self) -> Query:
        return Query(
            words=self.cleaned_data["words"], near=self.cleaned_data["zip"], per_page=SHARE_RESULTS
        )


class ShareForm(PlainForm):
    """ "Share in this chat": which service (a hidden field on each result)."""

    service = forms.UUIDField(widget=forms.HiddenInput)


ANSWER_CHOICES = [
    *Referral.Outcome.choices,
    (LATER, _("Ask me again in a few days")),
    (STOP, _("Don't ask me again")),
]


class AnswerForm(PlainForm):
    """How it went with one referral (several on one page: ``auto_id`` keeps ids apart).

    Once an outcome is given (``outcomes_only``) it may be changed to another
    outcome, but "later" and "don't ask again" no longer apply.
    """

    answer = forms.ChoiceField(
        label=_("How did it go?"),
        choices=ANSWER_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose one of the answers."),
            "invalid_choice": _("Please choose one of the answers."),
        },
    )

    def __init__(
        self,
        *args: Any,
        referral_id: int,
        service_name: str = "",
        outcomes_only: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", f"id_r{referral_id}_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["answer"]
        assert isinstance(field, forms.ChoiceField)
        if outcomes_only:
            field.choices = Referral.Outcome.choices
        if service_name:
            field.label = _("How did it go with %(service)s?") % {"service": service_name}


PERIODS = {"90": 90, "365": 365, "all": None}


class ReportPeriodForm(PlainForm):
    period = forms.ChoiceField(
        label=_("Referrals made in"),
        choices=[
            ("90", _("the last 90 days")),
            ("365", _("the last year")),
            ("all", _("all time")),
        ],
        required=False,
    )

    def since(self, now: datetime | None = None) -> datetime | None:
        """The report's start: None for all time. The last year unless chosen otherwise."""
        days = PERIODS[self.cleaned_data.get("period") or "365"]
        if days is None:
            return None
        return (now or timezone.now()) - timedelta(days=days)
