"""Hiding contact details typed into a chat (pure Python, no Django).

Peer support happens inside Peerlight, where it is safe and can be
reported; a phone number or a social handle moves it somewhere nobody can
help. ``mask_contact_details`` replaces each phone number, e-mail address,
social handle and link to a social or messaging site with a neutral marker
and says which kinds it found.

It errs on the side of hiding: a long run of digits is taken for a phone
number. Times ("at 5:30"), short numbers ("3 weeks", "1990"), dates and
crisis lines ("988", "text HOME to 741741", and any number passed in
``allowed_numbers``) stay readable, because a person in trouble must always
be able to read where to get help.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["CRISIS_NUMBERS", "MARKER", "mask_contact_details"]

MARKER = "[contact details hidden]"

EMAIL = "email"
PHONE = "phone"
HANDLE = "handle"
LINK = "link"

# Crisis and emergency lines that must never be hidden (digits only). Short
# ones (988, 911, 112, 999) are too short to be taken for phone numbers anyway.
CRISIS_NUMBERS = frozenset(
    {
        "741741",  # Crisis Text Line (US)
        "18002738255",  # the Lifeline's former number (US)
        "8002738255",
        "18006624357",  # SAMHSA helpline (US)
        "8006624357",
        "18007997233",  # domestic violence hotline (US)
        "8007997233",
        "18662887386",  # LGBTQ+ youth line (US)
        "8662887386",
        "116123",  # Samaritans (UK, IE)
        "116111",  # child helplines (EU)
        "08001111",  # Childline (UK)
        "85258",  # Shout (UK)
    }
)

_SOCIAL_DOMAINS = (
    r"wa\.me|api\.whatsapp\.com|whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|"
    r"telegram\.org|instagram\.com|instagr\.am|snapchat\.com|facebook\.com|fb\.com|"
    r"fb\.me|m\.me|messenger\.com|twitter\.com|x\.com|tiktok\.com|discord\.gg|"
    r"discord\.com|discordapp\.com|signal\.me|signal\.group|kik\.me|kik\.com|"
    r"linkedin\.com|reddit\.com|threads\.net|bsky\.app|line\.me|wechat\.com|"
    r"weixin\.qq\.com|skype\.com|join\.skype\.com|onlyfans\.com|tumblr\.com|"
    r"youtube\.com|youtu\.be|twitch\.tv|viber\.com|mastodon\.social|linktr\.ee"
)
LINK_PATTERN = re.compile(
    rf"(?:https?://)?(?:[a-z0-9-]+\.)*(?:{_SOCIAL_DOMAINS})(?![a-z0-9-])(?:[/?#][^\s]*)?",
    re.IGNORECASE,
)

# A whitespace-free token holding "@" with a dot and a letter or digit after it.
_AT_TOKEN = re.compile(r"\S*@\S+")
_EMAIL_SHAPE = re.compile(r"[^\s@]@[^\s]*\.[^\W_]", re.UNICODE)
_OPENERS = "([{<\"'«"
_CLOSERS = ")]}>\"'».,;:!?…"

_AT = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_PROVIDERS = r"gmail|googlemail|yahoo|hotmail|outlook|icloud|proton(?:mail)?|aol|gmx|yandex"
SPELLED_EMAIL = re.compile(
    rf"\b[\w.+-]+{_AT}(?:[\w-]+(?:{_DOT}[\w-]+)+|[\w-]+\.[a-z]{{2,}}\b|(?:{_PROVIDERS})\b)",
    re.IGNORECASE,
)

DISCORD_TAG = re.compile(r"(?<![\w#])[\w.]{2,32}#\d{4}\b")

_PLATFORMS = (
    r"insta(?:gram)?|ig|snap(?:chat)?|sc|discord|telegram|tg|whats\s?app|wa|kik|"
    r"twitter|tiktok|tik\s?tok|fb|facebook|messenger|signal|wechat|skype|threads|"
    r"reddit|twitch|bluesky|bsky|line|viber|mastodon"
)
# Platform names that are also ordinary words need a separator before a handle.
_PLAIN_WORD_PLATFORMS = frozenset({"snap", "sc", "wa", "signal", "line", "threads", "messenger"})
# Words that may follow a platform's name in ordinary talk: never taken for a handle.
_NOT_HANDLES = frozenset(
    [
        "a",
        "about",
        "account",
        "again",
        "all",
        "an",
        "and",
        "anymore",
        "any",
        "are",
        "as",
        "at",
        "because",
        "but",
        "by",
        "can",
        "cause",
        "could",
        "did",
        "do",
        "does",
        "dm",
        "dms",
        "for",
        "from",
        "group",
        "had",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "how",
        "i",
        "if",
        "im",
        "in",
        "is",
        "it",
        "its",
        "just",
        "last",
        "lately",
        "like",
        "lol",
        "lot",
        "me",
        "more",
        "much",
        "my",
        "never",
        "no",
        "not",
        "now",
        "of",
        "off",
        "on",
        "one",
        "or",
        "our",
        "out",
        "page",
        "photo",
        "photos",
        "post",
        "posts",
        "profile",
        "really",
        "reel",
        "reels",
        "right",
        "said",
        "says",
        "she",
        "since",
        "so",
        "some",
        "stories",
        "story",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "those",
        "to",
        "today",
        "too",
        "up",
        "us",
        "video",
        "videos",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "yeah",
        "yes",
        "yesterday",
        "you",
        "your",
    ]
)
PLATFORM_HANDLE = re.compile(
    rf"(?P<platform>\b(?:{_PLATFORMS}))\b(?P<sep>\s*(?:[:=\-\u2013]|\bis\b|\bname\b|\bhandle\b|\bid\b)?\s*)"
    r"@?(?P<handle>[A-Za-z0-9_][\w.]{1,31})",
    re.IGNORECASE,
)
ADD_ME = re.compile(
    r"\b(?:add|follow|find|dm|message|msg|text|hmu|hit)\s+(?:me\s+)?(?:up\s+)?"
    rf"(?:on|at|via)\s+(?:{_PLATFORMS})\b",
    re.IGNORECASE,
)
AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[\w.]{0,29}[\w])?")

# 7 to 15 digits, with at most three separator characters between two digits.
PHONE_PATTERN = re.compile(r"(?<![\w.:+,/])\+?\(?\d(?:[ \t.\-\u2013/()]{0,3}\d){6,14}(?![\w])")
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[-\u2013/]\s*(?:19|20)\d\d$")

_DIGIT_WORDS = r"zero|oh|one|two|three|four|five|six|seven|eight|nine|\d"
SPELLED_PHONE = re.compile(
    rf"\b(?:(?:{_DIGIT_WORDS})[\s.,\-/]{{0,3}}){{6,14}}(?:{_DIGIT_WORDS})\b", re.IGNORECASE
)


def _email_token(found: list[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        core = token.lstrip(_OPENERS)
        if core.startswith("@"):
            # The quote was the address's own first character ('@example.com).
            core = token
        lead = token[: len(token) - len(core)]
        stripped = core.rstrip(_CLOSERS)
        trail = core[len(stripped) :]
        if not _EMAIL_SHAPE.search(stripped):
            return token
        found.append(EMAIL)
        return f"{lead}{MARKER}{trail}"

    return replace


def _marking(kind: str, found: list[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        found.append(kind)
        return MARKER

    return replace


def _platform_handle(found: list[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        platform = re.sub(r"\s", "", match.group("platform").lower())
        handle = match.group("handle").rstrip(".")
        # Words ("line is", "snap out") are not separators for names that are also words.
        has_punctuation = bool(re.search(r"[:=\-\u2013]", match.group("sep"))) or (
            "@" in match.group(0)
        )
        if handle.lower() in _NOT_HANDLES or handle.lower() == MARKER_WORD or handle.isdigit():
            return match.group(0)
        if platform in _PLAIN_WORD_PLATFORMS and not has_punctuation:
            return match.group(0)
        found.append(HANDLE)
        return MARKER + match.group(0)[len(match.group(0).rstrip(".")) :]

    return replace


MARKER_WORD = "contact"


def _phone(found: list[str], allowed: frozenset[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        digits = re.sub(r"\D", "", text)
        if digits in allowed or _DATE.match(text) or _YEAR_RANGE.match(text):
            return text
        found.append(PHONE)
        return MARKER

    return replace


_DIGIT_VALUES = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def _spelled_phone(found: list[str], allowed: frozenset[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        words = re.findall(rf"{_DIGIT_WORDS}", match.group(0), re.IGNORECASE)
        if all(word.isdigit() for word in words):
            # Plain digits were already judged by the phone pattern.
            return match.group(0)
        digits = "".join(_DIGIT_VALUES.get(word.lower(), word) for word in words)
        if digits in allowed:
            return match.group(0)
        found.append(PHONE)
        return MARKER

    return replace


def mask_contact_details(
    text: str, *, allowed_numbers: Iterable[str] = ()
) -> tuple[str, tuple[str, ...]]:
    """``text`` with contact details replaced by ``MARKER``, and the kinds found.

    The kinds are "link", "email", "handle" and "phone", each at most once,
    in that order. Numbers in ``CRISIS_NUMBERS`` or ``allowed_numbers``
    (compared by their digits) are left as they are. Masking twice changes
    nothing more than masking once.
    """
    allowed = CRISIS_NUMBERS | {re.sub(r"\D", "", number) for number in allowed_numbers}
    found: list[str] = []
    text = LINK_PATTERN.sub(_marking(LINK, found), text)
    text = _AT_TOKEN.sub(_email_token(found), text)
    text = SPELLED_EMAIL.sub(_marking(EMAIL, found), text)
    text = DISCORD_TAG.sub(_marking(HANDLE, found), text)
    text = ADD_ME.sub(_marking(HANDLE, found), text)
    text = PLATFORM_HANDLE.sub(_platform_handle(found), text)
    text = AT_HANDLE.sub(_marking(HANDLE, found), text)
    text = PHONE_PATTERN.sub(_phone(found, allowed), text)
    text = SPELLED_PHONE.sub(_spelled_phone(found, allowed), text)
    order = (LINK, EMAIL, HANDLE, PHONE)
    return text, tuple(kind for kind in order if kind in found)
