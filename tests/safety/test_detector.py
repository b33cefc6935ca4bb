"""The risk detector: labelled cases in English and Spanish, idioms, algospeak,
negation and distance, and the lexicon file itself."""

from __future__ import annotations

import json

import pytest

from peerlight.safety import detector
from peerlight.safety.detector import LEVEL_ORDER, Assessment, assess

IMMINENT = [
    # English: intent
    "I want to kill myself",
    "i want to kill myself",
    "I'm going to kill myself",
    "im gonna kill myself tonight",
    "I'm going to end it tonight",
    "I want to die",
    "I'm ready to die",
    "I'm going to end my life",
    "i'm going to take my own life",
    "I am ending it",
    "I've decided to end it all",
    "going to hang myself",
    "I want to shoot myself",
    "this is goodbye. thank you for everything",
    "I'm about to jump off the bridge",
    "I'm going to jump in front of a train",
    # English: plan, means, act
    "I have a plan to kill myself",
    "I've been stockpiling pills",
    "I'm going to take all the pills in the cabinet",
    "I swallowed all my pills",
    "i took too many pills",
    "I just overdosed",
    "I tied the noose",
    "I wrote a goodbye letter to my mom",
    # Misspellings, repeated letters, missing apostrophes, leetspeak
    "i wanna kil myself",
    "I want to kill my self",
    "i want to kiiiill myself",
    "I WANT TO KILL MYSELF",
    "i want to k1ll mys3lf",
    "im going to end my life",
    "I've got the pills in front of me",
    "I'm standing on the bridge right now",
    # Algospeak
    "kms",
    "honestly kms",
    "I'm going to unalive myself",
    "i want to unalive",
    "thinking I'll commit sewerslide tonight",
    "gonna yeet myself off the roof",
    # Toward others
    "I'm going to kill him",
    "I want to stab my dad",
    # Spanish
    "quiero morirme",
    "Me quiero morir",
    "quiero matarme",
    "me voy a matar esta noche",
    "voy a suicidarme",
    "me voy a quitar la vida",
    "voy a quitarme la vida",
    "quiero acabar con mi vida",
    "voy a acabar con todo",
    "me voy a tirar del puente",
    "me corté las venas",
    "me tomé todas las pastillas",
    "tengo un plan para matarme",
    "ya escribí mi carta de despedida",
    "me quiero desvivir",
    "la voy a matar",
    # Mixed languages in one message
    "no sé, I want to kill myself",
]

CONCERN = [
    # English
    "I've been feeling hopeless",
    "I feel so hopeless lately",
    "I don't want to live anymore",
    "i dont want to be alive",
    "I wish I were dead",
    "everyone would be better off without me",
    "I'm a burden",
    "I keep thinking about killing myself",
    "sometimes i have suicidal thoughts",
    "I'm suicidal",
    "I cut myself last night",
    "I've been self-harming again",
    "I want to disappear",
    "I can't go on like this",
    "I'm scared of what I could do",
    "my boyfriend hits me",
    "I'm afraid to go home",
    "I relapsed last weekend",
    "my friend said she wants to kill herself",
    "I feel like giving up",
    "nobody would miss me",
    "i'm so tired of living",
    "life isn't worth living",
    "I want to sleep and never wake up",
    "I'd rather be dead",
    "my stepdad touches me",
    # Negated or past intent stays a concern: it is still talk of suicide
    "I'm not going to kill myself",
    "I would never kill myself",
    "I tried to kill myself years ago",
    "I used to want to die",
    # Algospeak
    "been thinking about sewerslide a lot",
    "having unalive thoughts again",
    # Spanish
    "no le veo sentido a nada",
    "No le veo sentido a la vida",
    "no quiero vivir",
    "ya no quiero seguir viviendo",
    "no tengo ganas de vivir",
    "he pensado en suicidarme",
    "tengo pensamientos suicidas",
    "me siento sin esperanza",
    "ya no puedo más",
    "soy una carga para todos",
    "ojalá estuviera muerta",
    "me corto cuando estoy triste",
    "mi pareja me pega",
    "volví a beber",
    "no me voy a matar",
    "estoy harta de vivir",
    "quisiera dormir y no despertar",
    "me quiero ir de este mundo",
    "nadie me extrañaría",
    "no quiero morirme",
]

NONE = [
    # English idioms
    "this homework is killing me",
    "this homework is killing me lol",
    "I'm dead tired",
    "I'm dying of laughter",
    "I want to die of embarrassment",
    "I'd kill for a coffee",
    "that cake was to die for",
    "I killed it at my presentation",
    "I'm going to kill time at the mall",
    "my phone died",
    "I'm going to jump in the pool",
    "I'm going to end it with him",
    "I hurt myself playing football",
    "I cut myself shaving",
    "I'm going to shoot myself in the foot with this plan",
    "he beat me at chess again",
    "my mom is going to kill me when she sees my grades",
    "we drove 20 kms",
    # English: ordinary talk, recovery and advocacy
    "Hi, I had a rough week at work",
    "I'm nervous about my exam",
    "life is worth living",
    "I'm not giving up on my dreams",
    "I'm a suicide prevention volunteer",
    "Where can I find a support group?",
    "I'm not suicidal, just stressed",
    "I would never hurt myself",
    "I used to cut myself but I'm doing better",
    "",
    "   ",
    "...!!!",
    # Spanish idioms
    "me muero de ganas de verte",
    "me muero de hambre",
    "estoy muerta de sueño",
    "me quiero morir de vergüenza",
    "me voy a matar estudiando para el examen",
    "me mata de risa",
    "me corté el pelo",
    "me lastimé el tobillo",
    # Spanish: ordinary talk
    "hola, ¿cómo estás?",
    "tuve un día difícil en el trabajo",
    "busco un grupo de apoyo",
]


@pytest.mark.parametrize("text", IMMINENT)
def test_it_rates_intent_plans_and_acts_imminent(text: str) -> None:
    result = assess(text)
    assert result.level == "imminent", result.reasons


@pytest.mark.parametrize("text", CONCERN)
def test_it_rates_distress_and_passive_thoughts_as_concern(text: str) -> None:
    result = assess(text)
    assert result.level == "concern", result.reasons


@pytest.mark.parametrize("text", NONE)
def test_it_leaves_idioms_and_ordinary_talk_alone(text: str) -> None:
    result = assess(text)
    assert result.level == "none", result.reasons
    assert result.reasons == ()


def test_reasons_name_the_phrase_group_and_never_the_whole_text() -> None:
    text = "honestly I want to kill myself, nobody would notice anyway"
    result = assess(text)
    assert result.reasons[0] == "en:intent:kill myself"
    assert all("nobody" not in reason for reason in result.reasons)


def test_reasons_say_when_a_phrase_was_negated_or_in_the_past() -> None:
    assert assess("I'm not going to kill myself").reasons == ("en:intent:kill myself (negated)",)
    assert assess("I tried to kill myself years ago").reasons == ("en:intent:kill myself (past)",)


def test_a_comma_keeps_negation_and_distance_to_their_own_clause() -> None:
    assert assess("I'm not ok, I want to kill myself").level == "imminent"
    assert assess("I used to be happy. Now I want to kill myself").level == "imminent"
    assert assess("ya no puedo más, quiero morirme").level == "imminent"


def test_the_most_serious_phrase_decides_and_comes_first() -> None:
    result = assess("I feel hopeless and I'm going to take all my pills")
    assert result.level == "imminent"
    assert result.reasons == ("en:plan:take all my pills", "en:hopeless:hopeless")


def test_the_language_hint_puts_its_reasons_first() -> None:
    text = "quiero morirme. I want to die"
    assert assess(text, "es").reasons[0].startswith("es:")
    assert assess(text, "en").reasons[0].startswith("en:")
    assert assess(text, "es-mx").reasons[0].startswith("es:")


def test_assessment_urgency_and_level_order() -> None:
    assert not Assessment("none").is_urgent
    assert Assessment("concern").is_urgent
    assert Assessment("imminent").is_urgent
    assert LEVEL_ORDER["none"] < LEVEL_ORDER["concern"] < LEVEL_ORDER["imminent"]


def test_normalising_folds_case_accents_apostrophes_and_numbers() -> None:
    assert detector.clauses("I'M Sooo TIRED. Más 42") == [
        ("im", "so", "tired"),
        ("mas", "#"),
    ]
    assert detector.clauses("I am gonna") == [("im", "going", "to")]


def test_expand_lists_every_alternative() -> None:
    assert detector.expand("(a|b) c (d|)") == ["a c d", "a c", "b c d", "b c"]
    with pytest.raises(ValueError, match="nested"):
        detector.expand("(a|(b|c))")


def test_the_shipped_lexicon_is_versioned_and_valid() -> None:
    data = json.loads(detector.LEXICON_FILE.read_text(encoding="utf-8"))
    lexicon = detector.parse(data)
    assert lexicon.version >= 1
    assert {language.code for language in lexicon.languages} >= {"en", "es"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"languages": {}}, "version"),
        ({"version": 1, "languages": {}}, "languages"),
        ({"version": 1, "languages": {"en": {"imminent": {}}}}, "phrase groups"),
        (
            {"version": 1, "languages": {"en": {"imminent": {"x": "kill"}, "concern": {}}}},
            "list of text",
        ),
        (
            {
                "version": 1,
                "languages": {"en": {"imminent": {"x": ["(a|b"]}, "concern": {"y": ["z"]}}},
            },
            "brackets",
        ),
    ],
)
def test_a_malformed_lexicon_is_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detector.parse(data)


def test_a_custom_lexicon_can_be_used() -> None:
    lexicon = detector.parse(
        {
            "version": 7,
            "languages": {
                "en": {
                    "imminent": {"test": ["purple (elephant|giraffe)"]},
                    "concern": {"test": ["blue"]},
                    "exceptions": ["blue moon"],
                }
            },
        }
    )

    # The rules alone: the shipped model may lower a concern it is sure of.
    def rules(text: str) -> detector.Assessment:
        return assess(text, using=lexicon, learned=False)

    assert rules("a purple giraffe").reasons == ("en:test:purple giraffe",)
    assert rules("feeling blue").level == "concern"
    assert rules("once in a blue moon").level == "none"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("lol i want to kms", "concern"),
        ("je veux mourir mdr", "concern"),
        ("me quiero morir jajaja", "concern"),
        ("i want to die 💀", "concern"),
        ("i feel so alone lmao", "none"),
    ],
)
def test_a_joke_marker_lowers_each_phrase_one_level(text: str, level: str) -> None:
    result = assess(text, learned=False)
    assert result.level == level
    assert all(reason.endswith("(joke)") for reason in result.reasons)


def test_without_a_joke_marker_the_same_words_keep_their_level() -> None:
    assert assess("i want to kms", learned=False).level == "imminent"
    # A word that merely contains a marker is no joke ("lollipop", "haha" inside a word).
    assert assess("i want to kms, the lollipop", learned=False).level == "imminent"


def test_joke_markers_in_a_custom_lexicon_are_checked() -> None:
    with pytest.raises(ValueError, match="jokes"):
        detector.parse(
            {
                "version": 1,
                "languages": {"en": {"imminent": {"x": ["a"]}, "concern": {"y": ["b"]}}},
                "jokes": "lol",
            }
        )
