"""The base every Peerlight form builds on."""

from __future__ import annotations

from typing import Any

from django import forms


class PlainForm(forms.Form):
    """A form whose labels carry no trailing colon.

    Django adds ":" to every label; after a sentence such as "I agree to the
    terms of use" it reads oddly, and screen readers announce it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
