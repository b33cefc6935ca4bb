"""Demo past chats: a few ended support requests with messages, ratings and notes.

``seed(out)`` runs after the demo people (accounts) and peer profiles (peers)
exist. Each past chat is found again by the ``client_id`` of its first
message (``demo-past-<key>-1``), so a second run changes nothing. The chats
are written straight to the tables rather than through ``chat.actions``:
their times lie in the past, and the live send path (rate limits, realtime
events) is for people typing now. The live queue is left empty, so the demo
of asking for a peer starts clean.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from peerlight.accounts.models import User
from peerlight.chat import actions as chat_actions
from peerlight.chat.models import Conversation, Message, Participant
from peerlight.peers import actions as peers_actions
from peerlight.support.models import ChatRating, Offer, PeerNote, SupportRequest

MARKER = "demo-past"


class Writer(Protocol):
    def write(self, text: str) -> object: ...


@dataclass(frozen=True)
class PastChat:
    key: str
    member: str
    peer: str
    language: str
    topics: tuple[str, ...]
    priorities: tuple[str, ...]
    # When the member asked (days before today, local time) and how long they waited.
    days_ago: int
    asked_at: time
    wait_seconds: int
    # (who, text): who is "member" or "peer"; a couple of minutes between lines.
    lines: tuple[tuple[str, str], ...]
    felt_heard: int
    rating_words: str
    note: dict[str, str]

    @property
    def marker(self) -> str:
        return f"{MARKER}-{self.key}-1"


PAST_CHATS = (
    PastChat(
        key="luz-marisol",
        member="Luz del Mar",
        peer="Marisol",
        language="es",
        topics=("parenting", "feeling_low", "sleep"),
        priorities=("perinatal", "immigration"),
        days_ago=3,
        asked_at=time(10, 15),
        wait_seconds=35,
        lines=(
            (
                "member",
                "Hola. Mi bebé tiene cuatro meses y no sé por qué me siento tan triste. "
                "Todos dicen que debería estar feliz.",
            ),
            (
                "peer",
                "Hola, Luz. Gracias por escribir. Yo sentí algo muy parecido después de mi "
                "segundo bebé, y no es culpa tuya. ¿Cómo han sido estos días?",
            ),
            ("member", "Cansados. Casi no duermo y mi familia está lejos. Me siento muy sola."),
            (
                "peer",
                "Estar lejos de la familia con un bebé pequeño pesa mucho. Lo que cuentas "
                "tiene sentido. ¿Hay algún momento del día que sea un poco más fácil?",
            ),
            ("member", "Por la mañana, cuando salimos a caminar al parque."),
            (
                "peer",
                "Eso es algo tuyo que ya te ayuda. Hay un grupo de madres en español los "
                "jueves; si quieres, te cuento más. También puedes contarle a tu médico cómo te "
                "sientes: le pasa a muchas madres y tiene ayuda.",
            ),
            ("member", "Me gustaría saber del grupo. Gracias por escucharme, de verdad."),
            ("peer", "Gracias a ti por confiar en mí. Aquí estamos cuando lo necesites."),
        ),
        felt_heard=5,
        rating_words="Me sentí comprendida. Marisol sabe de lo que habla.",
        note={
            "talked_about": "Cómo te has sentido desde que nació tu bebé, el cansancio y la "
            "distancia con tu familia.",
            "strengths": "Pediste apoyo cuando lo necesitabas, y ya tienes algo que te ayuda: "
            "las caminatas de la mañana en el parque.",
            "resources": "El grupo de madres en español de los jueves. Hablar con tu médico "
            "sobre cómo te sientes.",
            "next_step": "Ir al grupo este jueves, aunque sea solo a escuchar.",
        },
    ),
    PastChat(
        key="quietfern-dev",
        member="quietfern",
        peer="Dev",
        language="en",
        topics=("worry_stress", "work_school"),
        priorities=("young_adult", "neurodivergence"),
        days_ago=2,
        asked_at=time(16, 30),
        wait_seconds=50,
        lines=(
            (
                "member",
                "hi. exams start next week and my head won't slow down. I keep "
                "thinking I'll fail everything",
            ),
            (
                "peer",
                "Hi, thanks for reaching out. That racing-head feeling before exams is "
                "really hard. What's been the loudest thought today?",
            ),
            ("member", "that if I fail, everyone will see I don't belong at uni"),
            (
                "peer",
                "That sounds heavy to carry. I felt like I didn't belong in my first "
                "year too. What has helped you get through hard weeks before?",
            ),
            ("member", "Making lists I guess. And my flatmate makes me go for walks"),
            (
                "peer",
                "Lists, and walks with your flatmate: those are real tools, and you "
                "already use them. Student support also runs drop-in sessions in exam weeks, "
                "if you'd like someone there in person.",
            ),
            ("member", "I might try the drop-in. Thank you for not telling me to just relax"),
            ("peer", "Never. Good luck next week. You can come back here any time."),
        ),
        felt_heard=4,
        rating_words="It helped to say it out loud.",
        note={
            "talked_about": "The worry before next week's exams, and the feeling of not "
            "belonging at university.",
            "strengths": "You know what helps you: lists, and walks with your flatmate. You "
            "reached out while your head was loud, which takes strength.",
            "resources": "Student support's drop-in sessions during exam weeks.",
            "next_step": "Write tomorrow's list tonight, and take one walk a day this week.",
        },
    ),
    PastChat(
        key="nightowl-tomas",
        member="nightowl",
        peer="Tomás",
        language="en",
        topics=("loss", "sleep"),
        priorities=("grief",),
        days_ago=1,
        asked_at=time(22, 40),
        wait_seconds=95,
        lines=(
            (
                "member",
                "can't sleep again. it's been a year since my dad died and I thought "
                "it would be easier by now",
            ),
            (
                "peer",
                "Hi, I'm really sorry about your dad. Anniversaries can bring it all "
                "back. There's no timetable for grief.",
            ),
            ("member", "everyone else seems to have moved on"),
            (
                "peer",
                "When I lost my brother I felt like the only one still stuck. It doesn't "
                "mean you're doing it wrong. What was he like?",
            ),
            ("member", "he was funny. he used to call me at midnight because he knew I'd be up"),
            (
                "peer",
                "That's a lovely thing to hold on to. Maybe midnight is hard partly "
                "because it was your time together.",
            ),
            ("member", "yeah. I never thought of it like that"),
            (
                "peer",
                "Some people write to the person they lost, at the time they used to "
                "talk. There's also a grief circle here on Sunday evenings, if you ever want "
                "company.",
            ),
            ("member", "maybe I'll write to him tonight. thanks for staying up with me"),
        ),
        felt_heard=5,
        rating_words="He got it.",
        note={
            "talked_about": "The first anniversary of your dad's death, and how hard the "
            "nights have been.",
            "strengths": "You keep your dad's humour close, and you found words for what "
            "midnight means to you.",
            "resources": "The Sunday evening grief circle. Writing to your dad at the time "
            "you used to talk.",
            "next_step": "Write to your dad tonight, and notice how it feels.",
        },
    ),
)


def _person(display_name: str) -> User | None:
    return User.objects.filter(display_name__iexact=display_name).first()


@transaction.atomic
def seed_chat(chat: PastChat, now: datetime) -> str:
    """Write one past chat: "created", or "present" / "missing people" when it was not."""
    if Message.objects.filter(client_id=chat.marker).exists():
        return "present"
    member, peer = _person(chat.member), _person(chat.peer)
    if member is None or peer is None:
        return "missing people"
    # Whole days back at a set hour, so the demo reads the same whenever it
    # is seeded (nightowl talks late in the evening, every time).
    day = timezone.localdate(now) - timedelta(days=chat.days_ago)
    asked_at = timezone.make_aware(datetime.combine(day, chat.asked_at))
    connected_at = asked_at + timedelta(seconds=chat.wait_seconds)
    conversation = chat_actions.start_conversation(
        kind=Conversation.Kind.DIRECT,
        members=[(member, Participant.Role.MEMBER), (peer, Participant.Role.SUPPORTER)],
    )
    request = SupportRequest.objects.create(
        member=member,
        peer=peer,
        conversation=conversation,
        topics=list(chat.topics),
        priorities=list(chat.priorities),
        language=chat.language,
        status=SupportRequest.Status.ENDED,
        created_at=asked_at,
        connected_at=connected_at,
        match_reasons=[
            {"kind": "experience", "codes": [chat.priorities[0]]},
            {"kind": "language", "codes": [chat.language]},
        ],
    )
    Offer.objects.create(
        request=request,
        peer=peer,
        status=Offer.Status.ACCEPTED,
        created_at=asked_at + timedelta(seconds=2),
        expires_at=asked_at + timedelta(minutes=2),
        answered_at=connected_at,
    )
    at = connected_at
    for seq, (who, text) in enumerate(chat.lines, start=1):
        at += timedelta(minutes=1 + seq % 3)
        Message.objects.create(
            conversation=conversation,
            seq=seq,
            client_id=f"{MARKER}-{chat.key}-{seq}",
            sender=member if who == "member" else peer,
            body=text,
            created_at=at,
        )
    ended_at = at + timedelta(minutes=2)
    last_seq = len(chat.lines) + 1
    Message.objects.create(
        conversation=conversation,
        seq=last_seq,
        client_id=f"notice-{last_seq}",
        kind=Message.Kind.SYSTEM,
        body="ended",
        created_at=ended_at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=connected_at,
        ended_at=ended_at,
        ended_by=member,
        last_seq=last_seq,
        context_url=reverse("support:request", args=[request.pk]),
    )
    Participant.objects.filter(conversation=conversation).update(
        joined_at=connected_at, last_read_seq=last_seq
    )
    SupportRequest.objects.filter(pk=request.pk).update(closed_at=ended_at)
    ChatRating.objects.create(
        request=request,
        felt_heard=chat.felt_heard,
        words=chat.rating_words,
        created_at=ended_at + timedelta(minutes=1),
    )
    PeerNote.objects.create(
        request=request,
        author=peer,
        created_at=ended_at + timedelta(minutes=10),
        updated_at=ended_at + timedelta(minutes=10),
        **chat.note,
    )
    peers_actions.record_chat_ended(peer, ended_at)
    return "created"


def seed(out: Writer) -> None:
    now = timezone.now()
    outcomes = Counter(seed_chat(chat, now) for chat in PAST_CHATS)
    out.write(
        f"Past support chats: {outcomes['created']} created, {outcomes['present']} already "
        "there. The queue is left empty.\n"
    )
    if outcomes["missing people"]:
        out.write(f"  {outcomes['missing people']} skipped: their demo people are missing.\n")
