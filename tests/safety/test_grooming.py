"""Grooming signs from a peer toward a member: table-driven, English and Spanish."""

from __future__ import annotations

import pytest

from peerlight.safety import grooming

# (text, the codes it must give). Lookalikes give nothing.
CASES: list[tuple[str, tuple[str, ...]]] = [
    # contact details, or moving the talk elsewhere
    ("what's your number?", ("contact",)),
    ("whats ur snap", ("contact",)),
    ("WHATS YOUR INSTAGRAM", ("contact",)),
    ("can i have your email address", ("contact",)),
    ("add me on whatsapp", ("contact",)),
    ("wh4tsapp me later", ("contact",)),
    ("just text me, it's easier", ("contact",)),
    ("let's talk on telegram instead", ("contact",)),
    ("where do you live?", ("contact",)),
    ("what school do you go to", ("contact",)),
    ("my snap is jojo_22", ("contact",)),
    ("¿me pasas tu número?", ("contact",)),
    ("dame tu whatsapp", ("contact",)),
    ("agrégame en insta", ("contact",)),
    ("¿dónde vives?", ("contact",)),
    ("hablemos por whatsapp mejor", ("contact",)),
    # age
    ("how old are you?", ("age",)),
    ("hooow oooold r u", ("age",)),
    ("are you under 18?", ("age",)),
    ("what grade are you in", ("age",)),
    ("¿Cuántos años tienes?", ("age",)),
    ("cuantos anos tienes", ("age",)),
    ("¿eres menor de edad?", ("age",)),
    ("qué edad tienes", ("age",)),
    # photos and video
    ("send me a pic", ("photos",)),
    ("can I see a picture of you?", ("photos",)),
    ("send me a selfie pleeease", ("photos",)),
    ("what do you look like", ("photos",)),
    ("turn on your camera", ("photos",)),
    ("mándame una foto", ("photos",)),
    ("quiero ver fotos tuyas", ("photos",)),
    # meeting offline
    ("can we meet up sometime?", ("meet",)),
    ("we should meet in person", ("meet",)),
    ("do you want to hang out this weekend", ("meet",)),
    ("I can pick you up after school", ("meet",)),
    ("come over to my place", ("meet",)),
    ("¿quieres quedar el sábado?", ("meet",)),
    ("podemos vernos en persona", ("meet",)),
    ("ven a mi casa", ("meet",)),
    # secrecy
    ("don't tell anyone about this", ("secrecy",)),
    ("dont tell your parents", ("secrecy",)),
    ("it's our little secret", ("secrecy",)),
    ("keep this between us", ("secrecy",)),
    ("delete our messages after", ("secrecy",)),
    ("no le digas a nadie", ("secrecy",)),
    ("es nuestro secreto", ("secrecy",)),
    ("que quede entre tú y yo", ("secrecy",)),
    # gifts and money
    ("I can send you money", ("gifts",)),
    ("i'll buy u a gift card", ("gifts",)),
    ("I got a present for you", ("gifts",)),
    ("te puedo mandar dinero", ("gifts",)),
    ("te regalo algo", ("gifts",)),
    # several at once, in a fixed order
    ("how old are you? send me a pic and don't tell anyone", ("age", "photos", "secrecy")),
    ("dame tu número y no se lo cuentes a nadie", ("contact", "secrecy")),
]

# What a peer may well say, and what a member may say about their own life.
LOOKALIKES = [
    "how old is your dog?",
    "call the crisis line at 988",
    "you can text HOME to 741741 any time",
    "the Samaritans number is 116 123, they answer day and night",
    "llama al 024, es gratis",
    "my therapist asked for a photo of my rash",
    "I posted a photo of my cat",
    "you don't have to tell anyone until you're ready",
    "what you share here stays confidential",
    "I won't tell anyone what you tell me, unless you are in danger",
    "I can see you are hurting",
    "would you like to meet other people who have been through this in a circle?",
    "we met in person at the group last year",
    "their email is on the website",
    "do you have your phone with you so you can call them?",
    "the food bank can help with money for food",
    "I'm saving money for a gift for my mum",
    "¿cuántos años tiene tu perro?",
    "mi terapeuta me pidió una foto del sarpullido",
    "no tienes que contárselo a nadie hasta que estés listo",
    "quedamos en hablar mañana aquí",
    "",
    "   ",
]


@pytest.mark.parametrize(("text", "codes"), CASES)
def test_it_finds_the_signs(text: str, codes: tuple[str, ...]) -> None:
    assert grooming.check(text) == codes


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_are_left_alone(text: str) -> None:
    assert grooming.check(text) == ()


def test_normalising_reads_through_the_usual_tricks() -> None:
    assert grooming.normalise("¿Cuántos AÑOS tienes?") == "cuantos anos tienes"
    assert grooming.normalise("What\u2019s  your   number!!") == "whats your number"
    assert grooming.normalise("sn4pchat 988") == "snapchat 988"
    assert grooming.normalise("heeeyyy") == "hey"


def test_the_file_is_versioned_and_covers_english_and_spanish() -> None:
    patterns = grooming.load_patterns()
    assert patterns.version >= 1
    assert {"en", "es"} <= set(patterns.languages)
    assert set(patterns.by_code) == set(grooming.CODES)


@pytest.mark.parametrize(
    "data",
    [
        {"rules": []},
        {"version": 1, "rules": [{"code": "unknown", "language": "en", "patterns": ["x"]}]},
        {"version": 1, "rules": [{"code": "age", "language": "en", "patterns": "x"}]},
        {"version": 1, "rules": [{"code": "age", "language": "en", "patterns": ["@nope"]}]},
    ],
)
def test_a_malformed_file_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"grooming|Unknown|patterns"):
        grooming.compile_patterns(data)


def test_patterns_from_another_file_can_be_used() -> None:
    patterns = grooming.compile_patterns(
        {
            "version": 2,
            "words": {"you": "you|u"},
            "rules": [{"code": "age", "language": "en", "patterns": ["how old @you"]}],
        }
    )
    assert grooming.check("how old u", patterns) == ("age",)
    assert grooming.check("send me a pic", patterns) == ()
