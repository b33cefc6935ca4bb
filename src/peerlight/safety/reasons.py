"""What the safety check saw, in words a peer can act on.

The detector's reasons are codes such as ``en:hopeless:so alone`` or
``es:intent:quiero morirme (past)``: the language, the phrase group and the
phrase that fired, with a note when negation or the past lowered it. A peer
reading a flagged message gets the group's plain name and the phrase, e.g.
"Hopelessness: “so alone”", so they see why without reading code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

GROUPS = {
    "intent": _("Talk of ending their life"),
    "plan": _("A plan or the means at hand"),
    "act": _("Something happening now"),
    "harm_others": _("Talk of harming someone else"),
    "ideation": _("Thoughts of not wanting to live"),
    "hopeless": _("Hopelessness"),
    "self_harm": _("Self-harm"),
    "burden": _("Feeling like a burden"),
    "abuse": _("Abuse or danger at home"),
    "substance": _("Alcohol or drugs"),
}
NOTES = {
    "negated": _("said as not meant"),
    "past": _("about the past"),
}


def describe_reason(reason: str) -> str:
    """One reason code as words; an unknown group falls back to the phrase alone."""
    head, _space, rest = reason.partition(" (")
    parts = head.split(":", 2)
    phrase = parts[2] if len(parts) == 3 else head
    group = GROUPS.get(parts[1]) if len(parts) == 3 else None
    text = f"{group}: “{phrase}”" if group else f"“{phrase}”"
    notes = [str(NOTES.get(note, note)) for note in rest.rstrip(")").split(") (") if note]
    return text + "".join(f" ({note})" for note in notes)


def describe_reasons(reasons: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(describe_reason(reason) for reason in reasons)
