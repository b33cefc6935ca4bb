"""What the safety check saw, in words a peer can act on.

The detector's reasons are codes such as ``en:hopeless:so alone`` or
``es:intent:quiero morirme (past)``: the language, the phrase group and the
phrase that fired, with a note when negation or the past lowered it. A peer
reading a flagged message gets the group's plain name and the phrase, e.g.
"Hopelessness: “so alone”", so they see why without reading code.

Signals that only count together come as ``combination:means+soon`` (found
in one message) or ``conversation:farewell+means`` (found across the
person's recent messages), and read "Seen together in one message: The means
at hand + Soon (tonight, now)".

When the learned model raised the level, its reason is ``model:`` and the
words that weighed most (words of the model's own vocabulary, or "#group"
for a phrase group the rules found), read "Learned check, words that
weighed most: took · pills · tonight".
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
    "harm_others_thoughts": _("Thoughts of hurting someone"),
}
# Signals: groups that mean little alone and count only in combinations.
SIGNALS = {
    "means": _("The means at hand"),
    "means_table": _("The means ready"),
    "at_hand": _("Something within reach"),
    "soon": _("Soon (tonight, now)"),
    "farewell": _("Saying goodbye"),
    "giving_away": _("Giving things away"),
    "finality": _("Not being here any more"),
    "place": _("At a high or dangerous place"),
    "jump": _("Talk of jumping"),
}
COMBINED = {
    "combination": _("Seen together in one message"),
    "conversation": _("Seen together across the conversation"),
}
MODEL = "model"
MODEL_NAME = _("Learned check, words that weighed most")
MODEL_WITHOUT_WORDS = _("Learned check")
NOTES = {
    "negated": _("said as not meant"),
    "past": _("about the past"),
}


def _group_name(group: str) -> str:
    name = GROUPS.get(group) or SIGNALS.get(group)
    return str(name) if name else group


def describe_reason(reason: str) -> str:
    """One reason code as words; an unknown group falls back to the phrase alone."""
    where, _colon, groups = reason.partition(":")
    if where == MODEL:
        # "#means" is a phrase group the rules found; other items are words.
        words = [_group_name(word[1:]) if word[:1] == "#" else word for word in groups.split()]
        return f"{MODEL_NAME}: {' · '.join(words)}" if words else str(MODEL_WITHOUT_WORDS)
    if where in COMBINED and groups:
        names = " + ".join(_group_name(group) for group in groups.split("+"))
        return f"{COMBINED[where]}: {names}"
    head, _space, rest = reason.partition(" (")
    parts = head.split(":", 2)
    phrase = parts[2] if len(parts) == 3 else head
    group = GROUPS.get(parts[1]) if len(parts) == 3 else None
    text = f"{group}: “{phrase}”" if group else f"“{phrase}”"
    notes = [str(NOTES.get(note, note)) for note in rest.rstrip(")").split(") (") if note]
    return text + "".join(f" ({note})" for note in notes)


def describe_reasons(reasons: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(describe_reason(reason) for reason in reasons)
