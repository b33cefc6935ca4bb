"""Shared fixtures: the personas every view test uses, and helpers to send forms.

``member``, ``other_member``, ``peer_supporter``, ``coordinator``,
``researcher`` and ``admin_user`` are saved accounts; ``client_for`` returns a
CSRF-enforcing test client signed in as one of them, or anonymous for None
(staff personas also pass two-factor, as they must before any staff page).

``post_with_csrf`` and ``delete_with_csrf`` go through that client's CSRF
check as a browser that loaded a page first would (``csrf_token`` is the token
it holds); ``with_sudo`` marks a session as having confirmed the password.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.plugin import DjangoDbBlocker

from peerlight.accounts.guards import SUDO_SESSION_KEY
from peerlight.accounts.models import STAFF_ROLES, Role, RoleGrant, User

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PASSWORD = "correct horse battery staple"


def make_user(display_name: str, *roles: str, email: str = "") -> User:
    user = User.objects.create_user(display_name, PASSWORD, email=email)
    for role in roles:
        RoleGrant.objects.create(user=user, role=role)
    return user


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Keep the SQLite test database in a file rather than in memory.

    Servers started inside the tests (the websocket live server of the chat's
    browser tests, threads of the concurrency tests) open their own
    connections; with a file every connection sees the same database and
    waits for the write lock as production does, where an in-memory database
    shared between threads fails at once with "table is locked". Measured: no
    slower for the suite.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: SettingsWrapper) -> None:
    # Argon2 is deliberately slow; tests that are about hashing restore it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[None]:
    """Let connections left by finished worker threads go before the test database is dropped.

    Threads of event loops that tests made and closed (the chat's pooled
    database calls) leave their connections to the garbage collector;
    PostgreSQL refuses to drop a database that still has sessions.
    """
    yield
    gc.collect()
    if connection.vendor == "postgresql":
        # Threads that are still running (a live server's, a dispatcher's)
        # keep theirs: end those sessions so the test database can go.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request for a Spanish page leaves Spanish active in the test thread;
    # every test starts and ends in the default language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(db: None) -> User:
    return make_user("River", email="river@example.org")


@pytest.fixture
def other_member(db: None) -> User:
    return make_user("Sky")


@pytest.fixture
def peer_supporter(db: None) -> User:
    return make_user("Jordan", Role.PEER_SUPPORTER)


@pytest.fixture
def coordinator(db: None) -> User:
    return make_user("Morgan", Role.COORDINATOR)


@pytest.fixture
def researcher(db: None) -> User:
    return make_user("Quinn", Role.RESEARCHER)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("Avery", Role.ADMIN)


def sign_in(client: Client, user: User) -> None:
    """Sign ``user`` in; staff also pass two-factor with a confirmed device."""
    client.force_login(user)
    if user.role_set() & STAFF_ROLES:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()


@pytest.fixture
def client_for(db: None) -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            sign_in(client, user)
        return client

    return make


def csrf_token(client: Client) -> str:
    """The CSRF token the home page hands out, as a browser would hold it."""
    client.get(reverse("home"))
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def post_with_csrf(
    client: Client, url: str, data: dict[str, Any] | None = None, **extra: Any
) -> TestResponse:
    """POST ``data`` through the CSRF check, as a browser that loaded a page first would."""
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": csrf_token(client)}, **extra)


def delete_with_csrf(client: Client, url: str) -> TestResponse:
    """DELETE with a valid CSRF token, so only the method can be refused."""
    return client.delete(url, headers={"X-CSRFToken": csrf_token(client)})


def with_sudo(client: Client, *, seconds_left: float | None = None) -> Client:
    """Mark the session as having confirmed the password just now; return the client.

    The confirmation lasts ``seconds_left`` (a negative number: it has run
    out), or the full ``PEERLIGHT_SUDO_SECONDS`` when not given.
    """
    if seconds_left is None:
        seconds_left = settings.PEERLIGHT_SUDO_SECONDS
    session = client.session
    session[SUDO_SESSION_KEY] = timezone.now().timestamp() + seconds_left
    session.save()
    return client
