"""How the risk detector reads text before matching (no Django imports).

Lower case, accents removed, apostrophes dropped ("I'm" → "im"),
letter-digit spellings read as letters ("k1ll" → "kill", "k!ll" → "kill"),
runs of a letter collapsed ("sooo" → "so"), numbers as "#", chat spellings
written out ("gonna" → "going to"), and words the lexicon names as
misspellings read as the word. Punctuation splits a text into clauses. The
phrase rules (``detector.py``) and the learned model (``model.py``) both
read these clauses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Clause breaks: a phrase, a negation or a distance marker never reaches
# across one.
CLAUSE_BREAK = re.compile(r"[.!?;,:\n\r()\[\]\"“”«»¿¡]+")
TOKEN = re.compile(r"[a-z0-9@$]+")
# Read before clauses are split: "k!ll" is "kill", "s/h" is self-harm.
BANG_IN_WORD = re.compile(r"(?<=[a-z])!(?=[a-z])")
SLASHED = re.compile(r"\b(s)/(h)\b")
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
REPEATS = re.compile(r"(.)\1+")
SPELLED_OUT = {
    "gonna": "going to",
    "gona": "going to",
    "wanna": "want to",
    "wana": "want to",
    "imma": "im going to",
    "ima": "im going to",
    "tonite": "tonight",
    "2nite": "tonight",
    "u": "you",
}
JOINED = {("i", "am"): "im", ("my", "self"): "myself"}
APOSTROPHES = ("'", "\u2019", "`", "\u00b4")
# Words whose normalised form is kept between calls; cleared when full.
TOKEN_CACHE_SIZE = 50_000


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise_token(token: str, spellings: Mapping[str, str]) -> tuple[str, ...]:
    spelled = SPELLED_OUT.get(token) or spellings.get(token)
    if spelled is not None:
        return tuple(spelled.split())
    if token.isdigit():
        return ("#",)
    if any(char.isdigit() or char in "@$" for char in token) and any(
        char.isalpha() for char in token
    ):
        token = token.translate(LEET)
    token = token.replace("@", "").replace("$", "")
    if not token:
        return ()
    token = REPEATS.sub(r"\1", token)
    # Checked again after collapsing, for "gonnaaa" and "kiiiero".
    spelled = SPELLED_OUT.get(token) or spellings.get(token)
    return tuple((spelled or token).split())


def join_pairs(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        if joined and (joined[-1], token) in JOINED:
            joined[-1] = JOINED[(joined[-1], token)]
        else:
            joined.append(token)
    return joined


def fold(text: str) -> str:
    text = strip_accents(text.casefold())
    for apostrophe in APOSTROPHES:
        text = text.replace(apostrophe, "")
    return text


def tokens(
    folded: str, spellings: Mapping[str, str], cache: dict[str, tuple[str, ...]] | None = None
) -> tuple[str, ...]:
    found: list[str] = []
    for raw in TOKEN.findall(folded):
        if cache is None:
            found.extend(normalise_token(raw, spellings))
            continue
        normalised = cache.get(raw)
        if normalised is None:
            if len(cache) >= TOKEN_CACHE_SIZE:
                cache.clear()
            normalised = cache[raw] = normalise_token(raw, spellings)
        found.extend(normalised)
    return tuple(join_pairs(found))


def normalise_clause(clause: str, spellings: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The tokens of one clause, normalised as described in the module docstring."""
    return tokens(fold(clause), spellings or {})


def clauses(
    text: str,
    spellings: Mapping[str, str] | None = None,
    cache: dict[str, tuple[str, ...]] | None = None,
) -> list[tuple[str, ...]]:
    """``text`` split at punctuation into normalised, non-empty clauses.

    ``cache`` keeps each word's normalised form between calls (people reuse
    words), for speed; it must belong to one ``spellings``.
    """
    folded = SLASHED.sub(r"\1\2", BANG_IN_WORD.sub("i", fold(text)))
    normalised = (tokens(part, spellings or {}, cache) for part in CLAUSE_BREAK.split(folded))
    return [clause for clause in normalised if clause]


__all__ = [
    "APOSTROPHES",
    "REPEATS",
    "TOKEN",
    "clauses",
    "fold",
    "normalise_clause",
    "normalise_token",
]
