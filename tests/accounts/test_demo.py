from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts.demo import demo_password, demo_people
from peerlight.accounts.models import Role, User


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_the_demo_people_once() -> None:
    first = seed()
    people = demo_people()
    names = [person.display_name for person in people]
    # Other apps' demos may add people of their own (a circle's waiting list).
    assert User.objects.filter(display_name__in=names).count() == len(people)
    everyone = User.objects.count()
    second = seed()
    assert User.objects.filter(display_name__in=names).count() == len(people)
    assert User.objects.count() == everyone
    assert f"{len(people)} created" in first
    assert "0 created" in second


@pytest.mark.django_db
def test_demo_people_can_sign_in_and_hold_their_roles() -> None:
    seed()
    for person in demo_people():
        user = User.objects.get_by_natural_key(person.display_name)
        assert user.check_password(demo_password())
        for role in person.roles:
            assert user.has_role(role)
    staff = [p for p in demo_people() if p.totp_key]
    assert {Role.COORDINATOR, Role.RESEARCHER, Role.ADMIN} <= {r for p in staff for r in p.roles}
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(staff)


@pytest.mark.django_db
def test_it_prints_the_log_ins_and_two_factor_keys() -> None:
    output = seed()
    assert demo_password() in output
    for person in demo_people():
        assert person.display_name in output
    assert output.count("otpauth://totp/") == len([p for p in demo_people() if p.totp_key])


@pytest.mark.django_db
def test_demo_code_matches_the_device() -> None:
    seed()
    person = next(p for p in demo_people() if p.totp_key)
    out = io.StringIO()
    call_command("demo_code", person.display_name.upper(), stdout=out)
    device = TOTPDevice.objects.get(user__display_name=person.display_name)
    assert out.getvalue().strip() == f"{totp(device.bin_key):06d}"


@pytest.mark.django_db
def test_demo_code_refuses_unknown_names() -> None:
    with pytest.raises(CommandError, match="No demo staff account"):
        call_command("demo_code", "nobody")


@pytest.mark.django_db
def test_it_refuses_to_seed_production() -> None:
    with override_settings(PRODUCTION=True), pytest.raises(CommandError):
        seed()
    assert User.objects.count() == 0
