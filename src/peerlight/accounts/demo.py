"""Demo people: fictional peer supporters, members and staff.

``seed(out)`` is idempotent: running it again finds the same people and
changes nothing they already have. Staff get a fixed TOTP secret so the
printed key can be added to an authenticator app.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from peerlight.accounts import consent
from peerlight.accounts.models import ConsentPurpose, Role, RoleGrant, User


class Writer(Protocol):
    def write(self, text: str) -> object: ...


PEOPLE_FILE = Path(__file__).resolve().parent / "data" / "demo_people.json"


@dataclass(frozen=True)
class DemoPerson:
    display_name: str
    roles: tuple[str, ...]
    language: str
    email: str = ""
    totp_key: str = ""
    languages: tuple[str, ...] = ()
    lived_experience: tuple[str, ...] = ()
    bio: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def demo_password() -> str:
    data: dict[str, Any] = json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))
    return str(data["password"])


def demo_people() -> list[DemoPerson]:
    data: dict[str, Any] = json.loads(PEOPLE_FILE.read_text(encoding="utf-8"))
    return [
        DemoPerson(
            display_name=row["display_name"],
            roles=tuple(row.get("roles", [])),
            language=row.get("language", "en"),
            email=row.get("email", ""),
            totp_key=row.get("totp_key", ""),
            languages=tuple(row.get("languages", [])),
            lived_experience=tuple(row.get("lived_experience", [])),
            bio=row.get("bio", ""),
        )
        for row in data["people"]
    ]


def totp_uri(person: DemoPerson) -> str:
    secret = base64.b32encode(bytes.fromhex(person.totp_key)).decode("ascii").rstrip("=")
    issuer = quote(settings.PEERLIGHT_SITE_NAME)
    label = quote(f"{settings.PEERLIGHT_SITE_NAME}:{person.display_name}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={issuer}"


@transaction.atomic
def seed_person(person: DemoPerson, password: str) -> tuple[User, bool]:
    user = User.objects.filter(display_name__iexact=person.display_name).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(
            person.display_name, password, email=person.email, language=person.language
        )
    for role in person.roles:
        if not RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
            RoleGrant.objects.create(user=user, role=role)
    for purpose in (ConsentPurpose.TERMS, ConsentPurpose.PRIVACY):
        document = consent.current_document(purpose, person.language)
        if document is not None and not consent.has_consent(user, purpose):
            consent.grant(user, document)
    if person.totp_key:
        TOTPDevice.objects.get_or_create(
            user=user,
            name="Demo authenticator",
            defaults={"key": person.totp_key, "confirmed": True},
        )
    return user, created


def seed(out: Writer) -> None:
    password = demo_password()
    people = demo_people()
    created = 0
    for person in people:
        _user, was_created = seed_person(person, password)
        created += was_created
    out.write(f"Demo people: {created} created, {len(people) - created} already there.\n")


def describe_logins(out: Writer) -> None:
    """Print the demo log-ins, and the TOTP keys staff need for two-factor."""
    people = demo_people()
    out.write("\nDemo log-ins (password for all: " + demo_password() + ")\n")
    for person in people:
        roles = ", ".join(str(Role(role).label) for role in person.roles) or str(Role.MEMBER.label)
        out.write(f"  {person.display_name:<18} {roles}\n")
    out.write(
        "\nStaff pass two-factor with a TOTP code. Add a key to an authenticator app,\n"
        "or print the current code with: .venv/bin/peerlight demo-code NAME\n"
    )
    for person in people:
        if person.totp_key:
            out.write(f"  {person.display_name:<18} {totp_uri(person)}\n")
