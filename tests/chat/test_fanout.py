"""One read and one render per message for every socket of a process (``chat.fanout``)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from peerlight.accounts.models import Role, User
from peerlight.chat import actions, fanout
from peerlight.chat.models import Conversation, Participant
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def group_room(facilitator: User, *people: User) -> Conversation:
    return actions.start_conversation(
        kind=Conversation.Kind.GROUP,
        members=[
            (facilitator, Participant.Role.FACILITATOR),
            *((person, Participant.Role.PARTICIPANT) for person in people),
        ],
        title="Evening circle",
    )


def test_readers_asking_together_share_one_read_that_is_not_kept() -> None:
    lead = make_user("Lead", Role.PEER_SUPPORTER)
    ana, bo = make_user("Ana"), make_user("Bo")
    room = group_room(lead, ana, bo)
    actions.send_message(ana, room, "Hello all", "c-1")

    async def both() -> tuple[fanout.SharedRead, fanout.SharedRead]:
        first, second = await asyncio.gather(
            fanout.shared_read(int(room.pk), 0), fanout.shared_read(int(room.pk), 0)
        )
        return first, second

    first, second = asyncio.run(both())
    assert first is second
    assert [int(message.seq) for message in first.messages] == [1]
    assert set(first.readers) == {lead.pk, ana.pk, bo.pk}
    assert first.sees_risk(int(lead.pk))
    assert not first.sees_risk(int(bo.pk))
    # Nothing is kept once the read is done: the next push reads (and checks) afresh.
    assert fanout._reads == {}
    Participant.objects.filter(conversation=room, user=bo).update(is_removed=True)
    again = asyncio.run(fanout.shared_read(int(room.pk), 0))
    assert again is not first
    assert not again.may_receive(int(bo.pk))


def test_each_variant_of_a_message_is_rendered_once_and_shared() -> None:
    lead = make_user("Lead", Role.PEER_SUPPORTER)
    ana, bo, cy = make_user("Ana"), make_user("Bo"), make_user("Cy")
    room = group_room(lead, ana, bo, cy)
    actions.send_message(ana, room, "Glad to be here", "c-1")
    shared = asyncio.run(fanout.shared_read(int(room.pk), 0))

    async def render(viewer: User) -> list[dict[str, object]]:
        return await fanout.rendered(
            shared, int(viewer.pk), "en", shared.sees_risk(int(viewer.pk)), {}
        )

    async def everyone() -> list[list[dict[str, object]]]:
        return list(await asyncio.gather(*(render(person) for person in (bo, cy, ana, lead))))

    for_bo, for_cy, for_ana, for_lead = asyncio.run(everyone())
    assert for_bo == for_cy
    assert "Glad to be here" in str(for_bo[0]["html"])
    # The sender sees it as their own; the facilitator as one who may see safety reasons.
    assert for_ana != for_bo
    # Nothing risky in it, so the facilitator's variant reads the same as Bo's.
    assert for_lead == for_bo
    # Bo and Cy shared one render (the second waited for the first's): three
    # variants for four readers, and three renders.
    assert len(shared.html) == 3
    assert len(set(map(id, shared.renders.values()))) == 3


def test_a_reader_gets_only_what_lies_above_its_seq() -> None:
    lead = make_user("Lead", Role.PEER_SUPPORTER)
    ana, bo = make_user("Ana"), make_user("Bo")
    room = group_room(lead, ana, bo)
    for number in range(1, 6):
        actions.send_message(ana, room, f"Message {number}", f"c-{number}")
    # Bo has had up to seq 3; a push for seq 5 reads from a little before it.
    start = fanout.read_start(3, 5)
    assert start <= 3
    shared = asyncio.run(fanout.shared_read(int(room.pk), start))
    items = asyncio.run(fanout.rendered(shared, int(bo.pk), "en", False, {}, after_seq=3))
    assert [item["seq"] for item in items] == [4, 5]
    # A socket far behind reads from its own seq.
    assert fanout.read_start(0, 50) == 0
    assert fanout.read_start(49, 50) == 50 - fanout.NEAR


def test_a_reader_in_another_language_gets_the_notice_in_it() -> None:
    lead = make_user("Lead", Role.PEER_SUPPORTER)
    ana = make_user("Ana")
    room = group_room(lead, ana)
    actions.post_notice(room, "paused")
    shared = asyncio.run(fanout.shared_read(int(room.pk), 0))
    english = asyncio.run(fanout.rendered(shared, int(ana.pk), "en", False, {}))
    spanish = asyncio.run(fanout.rendered(shared, int(ana.pk), "es", False, {}))
    assert "paused" in str(english[0]["html"])
    assert english != spanish


def test_the_read_runs_off_the_event_loop() -> None:
    lead = make_user("Lead", Role.PEER_SUPPORTER)
    room = group_room(lead, make_user("Ana"))

    async def read() -> fanout.SharedRead:
        # Inside a running loop, as in a consumer: no SynchronousOnlyOperation.
        await database_sync_to_async(lambda: None)()
        return await fanout.shared_read(int(room.pk), 0)

    assert asyncio.run(read()).messages == []
