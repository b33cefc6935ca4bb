"""Demo stories: recovery stories by the demo members and peer supporters.

Six fictional lived-experience stories, five of them published and one still
waiting for review, so the moderation queue has something in it. Each is
written the way its author would write it, through ``stories.actions``
(a version, consent with its exact words and hash, the safe-messaging check
on sending) and published through ``stories.moderation`` by the demo
coordinator, so versions, consent rows and audit entries are real. One story
is in Spanish. Consent varies on purpose: public or members only; signed
with the display name, another name or no name; campaigns may use it
(any, or none). The advocacy demo later narrows one story's consent to a
campaign of its own, since campaigns are made after stories.

Every story tells of recovery and none describes a method of self-harm: a
demo story that the safe-messaging check would send back or hold is refused
with an error rather than seeded.

``seed(out)`` is idempotent: each story has a fixed public id
("demo-story-1"...), and a story already there is left exactly as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db import transaction

from peerlight.accounts.models import User
from peerlight.stories import actions, moderation
from peerlight.stories.actions import ConsentChoices, Draft
from peerlight.stories.models import Story, StoryConsent

COORDINATOR = "Jo Coordinator"
Audience = StoryConsent.Audience
Attribution = StoryConsent.Attribution
Advocacy = StoryConsent.Advocacy


class Writer(Protocol):
    def write(self, text: str) -> object: ...


class DemoStoryRefused(RuntimeError):
    """A demo story did not pass the safe-messaging check: the demo text must change."""


@dataclass(frozen=True)
class DemoStory:
    public_id: str
    author: str
    title: str
    body: str
    prompt: str
    tags: tuple[str, ...]
    notes: tuple[str, ...] = ()
    audience: str = Audience.PUBLIC
    attribution: str = Attribution.DISPLAY_NAME
    other_name: str = ""
    advocacy: str = Advocacy.ANY
    # False: sent for review and left waiting in the moderators' queue.
    published: bool = True


DEMO_STORIES: tuple[DemoStory, ...] = (
    DemoStory(
        public_id="demo-story-1",
        author="Dev",
        title="The first time someone said “me too”",
        body=(
            "I was nineteen and in my first year of college when the voices started. For a "
            "long time I told nobody. I thought that if I said it out loud, people would look "
            "at me differently, and some did.\n\n"
            "After a short stay in hospital, a nurse gave me a flyer for a hearing voices "
            "group. I almost didn't go. The group met above a bakery, and I stood outside for "
            "ten minutes pretending to read my phone.\n\n"
            "The first thing I noticed inside was that nobody asked me to prove anything. A "
            "woman about my mum's age said she had heard voices for twenty years, and that "
            "hers had become *quieter* once she stopped fighting them. Someone else just "
            "said: “Me too.”\n\n"
            "I have been going for four years now. The voices have not gone, but they are "
            "not in charge any more. I sleep, I study, I laugh at bad films with friends. "
            "These days I am the one who says “me too” to the new person standing outside."
        ),
        prompt="connection",
        tags=("psychosis", "voices", "young_adult", "loneliness"),
        notes=("psychosis", "hospitalisation"),
    ),
    DemoStory(
        public_id="demo-story-2",
        author="quietfern",
        title="A week at the respite house",
        body=(
            "Two winters ago I hit a wall. I wasn't sleeping, I had stopped answering "
            "messages, and the next week felt like a mountain. I did not need an emergency "
            "room. I needed somewhere quiet, and people who understood.\n\n"
            "A friend told me about a peer respite house across the river. It looked like "
            "any other house on the street. The people who worked there had all been through "
            "hard times of their own. They asked what would help, and then they listened to "
            "the answer.\n\n"
            "I stayed for six nights. I cooked soup with a woman who had been finding her way "
            "back from depression for ten years. I slept. On the fourth morning I noticed I "
            "was hungry, and that felt like the first good news in months.\n\n"
            "The house can only take four guests at a time, and there is always a waiting "
            "list. I think about the people who were on it when I was there. Places like that "
            "should not be so hard to find."
        ),
        prompt="hope",
        tags=("depression", "feeling_low", "services", "recovery"),
        attribution=Attribution.OTHER_NAME,
        other_name="Fern",
    ),
    DemoStory(
        public_id="demo-story-3",
        author="Luz del Mar",
        title="Lo que me ayudó después de nacer mi hija",
        body=(
            "Cuando nació mi hija, todos esperaban que yo estuviera feliz. Yo también lo "
            "esperaba. Pero pasaba los días llorando, sin ganas de comer y con miedo de no "
            "ser una buena mamá. Mi familia estaba lejos, en otro país, y mi inglés no me "
            "alcanzaba para explicar lo que sentía.\n\n"
            "Una vecina me habló de un círculo de mamás en español. La primera vez fui con la "
            "bebé en brazos y casi no dije nada. Nadie me presionó. Otra mamá me sirvió un "
            "café y me dijo: «Yo también me sentí así. Poco a poco se pasa».\n\n"
            "Volví cada lunes. Aprendí que lo que me pasaba tenía nombre y que no era culpa "
            "mía. Con el tiempo busqué ayuda con una doctora que hablaba español, y las mamás "
            "del círculo cuidaban a mi hija mientras yo iba a las citas.\n\n"
            "Hoy mi hija tiene tres años. Cuando llega una mamá nueva al círculo, yo le sirvo "
            "el café."
        ),
        prompt="connection",
        tags=("perinatal", "immigration", "parenting", "loneliness"),
        audience=Audience.MEMBERS,
        attribution=Attribution.ANONYMOUS,
    ),
    DemoStory(
        public_id="demo-story-4",
        author="Tomás",
        title="Grief and recovery arrived together",
        body=(
            "Eight years ago I stopped drinking. Three months later my brother was killed in "
            "a car crash. Everyone around me was waiting for me to pick up a drink again, and "
            "honestly, so was I.\n\n"
            "What kept me going was a man at my meetings who had lost his own son. He didn't "
            "give me advice. He sat with me on the steps outside after the meeting, week "
            "after week, and let me be angry. When I couldn't talk, he talked about "
            "baseball.\n\n"
            "Grief and cravings come in waves, and sometimes on the same day. I learned to "
            "ride them out: call someone, take a walk, go to one more meeting. I learned that "
            "missing my brother is one of the ways I love him.\n\n"
            "Now I sit on those steps with other people. I tell them what that man told me: "
            "you don't have to feel better today. You just have to keep showing up."
        ),
        prompt="meaning",
        tags=("substance_use", "grief", "recovery", "loss"),
        notes=("substance_use", "grief"),
        audience=Audience.MEMBERS,
        advocacy=Advocacy.NONE,
    ),
    DemoStory(
        public_id="demo-story-5",
        author="Renée",
        title="When the crisis team sent a peer",
        body=(
            "When I came home from my last deployment, I held it together for almost a year. "
            "Then one night everything came apart. My neighbor heard me shouting and called "
            "for help.\n\n"
            "I expected the police. I was ready for a fight, because that is what my body "
            "had learned. Instead, two people came to the door: a nurse and a peer specialist "
            "who had served in the Navy. He sat on my kitchen floor with me and talked about "
            "how sleep never felt safe after he got back. I had never said those things out "
            "loud to anyone.\n\n"
            "That night ended with a plan I helped make, a phone call the next morning, and "
            "a veterans' group on Tuesday. No handcuffs, and no bill I couldn't pay.\n\n"
            "Not every county sends someone like him. It should. I am a peer supporter now "
            "myself, and I know what that one visit changed."
        ),
        prompt="empowerment",
        tags=("military", "trauma", "services", "recovery"),
        attribution=Attribution.ANONYMOUS,
    ),
    DemoStory(
        public_id="demo-story-6",
        author="nightowl",
        title="Learning to rest when my mind won't",
        body=(
            "For most of my twenties I was awake at three in the morning, replaying every "
            "conversation of the day. Anxiety felt like a radio I couldn't switch off.\n\n"
            "What helped first wasn't a technique. It was a drop-in group, where someone said "
            "they keep a notebook by the bed and write the worry down, so it can wait until "
            "morning. I tried it that night. It didn't fix everything, but it gave the worry "
            "somewhere to go.\n\n"
            "I still have nights like that. But now I know they end, and I know there are "
            "people I can tell about them in the morning."
        ),
        prompt="hope",
        tags=("anxiety", "young_adult", "sleep", "worry_stress"),
        published=False,
    ),
)


def seed(out: Writer) -> None:
    made = existing = skipped = 0
    coordinator = _person(COORDINATOR)
    for spec in DEMO_STORIES:
        if Story.objects.filter(public_id=spec.public_id).exists():
            existing += 1
            continue
        author = _person(spec.author)
        if author is None or coordinator is None:
            # Without the demo people (accounts.demo) there is no one to write or publish it.
            skipped += 1
            continue
        make_story(spec, author, coordinator)
        made += 1
    out.write(
        f"Stories: {made} created, {existing} already there"
        + (f", {skipped} skipped (no demo people)" if skipped else "")
        + ".\n"
    )


def _person(name: str) -> User | None:
    return User.objects.filter(display_name__iexact=name, is_active=True).first()


def make_story(spec: DemoStory, author: User, coordinator: User) -> Story:
    """Write, consent to and send ``spec`` as its author; publish it as the coordinator.

    All in one transaction: a refused step leaves no half-made story behind.
    """
    with transaction.atomic():
        story = actions.start_story(
            author,
            Draft(spec.title, spec.body, spec.prompt, notes=spec.notes, tags=spec.tags),
        )
        # The fixed address is what makes seeding idempotent; the random id
        # ``start_story`` gave is replaced before anything refers to it.
        Story.objects.filter(pk=story.pk).update(public_id=spec.public_id)
        story.public_id = spec.public_id
        actions.change_consent(
            author,
            story,
            ConsentChoices(
                audience=spec.audience,
                attribution=spec.attribution,
                advocacy=spec.advocacy,
                other_name=spec.other_name,
            ),
            language=author.language,
        )
        sent = actions.submit(author, story)
        if sent.outcome != "queued":
            raise DemoStoryRefused(
                f"Demo story {spec.public_id} did not pass the safe-messaging check "
                f"({sent.outcome}); change its text."
            )
        if spec.published:
            story = moderation.start_review(coordinator, story)
            version = moderation.under_review(story)
            assert version is not None  # start_story gave it its first version
            story = moderation.publish(coordinator, story, version_number=version.number)
    return story
