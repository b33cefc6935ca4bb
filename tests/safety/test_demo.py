"""Demo rota: the demo coordinators are on call, and seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest

from peerlight.accounts import demo as accounts_demo
from peerlight.accounts.models import Role
from peerlight.safety import demo, escalations
from peerlight.safety.models import OnCallShift

pytestmark = pytest.mark.django_db


def seed_both() -> str:
    out = io.StringIO()
    accounts_demo.seed(out)
    demo.seed(out)
    return out.getvalue()


def demo_coordinators() -> list[str]:
    return [
        person.display_name
        for person in accounts_demo.demo_people()
        if Role.COORDINATOR in person.roles
    ]


def test_every_demo_coordinator_is_on_call_in_file_order() -> None:
    names = demo_coordinators()
    output = seed_both()
    assert names, "the demo people file has no coordinator"
    assert f"On-call shifts: {len(names)} added" in output
    assert [user.display_name for user in escalations.on_call()] == names


def test_seeding_twice_adds_no_shift() -> None:
    seed_both()
    output = seed_both()
    count = len(demo_coordinators())
    assert OnCallShift.objects.count() == count
    assert f"On-call shifts: 0 added, {count} already on call." in output
