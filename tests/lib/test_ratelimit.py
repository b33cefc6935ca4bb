"""Rate limits on the cache: counted per window, keyed by hashes only."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from django.utils import translation

from peerlight.lib import ratelimit
from peerlight.lib.ratelimit import Policy, RateLimited

POLICY = Policy("test-policy", limit=3, period=600)
# A moment 100 seconds into a window of POLICY.
START = 600 * 1_000_000 + 100.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A clock the test moves by hand: ``clock[0]`` is now."""
    now = [START]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


def cache_keys() -> list[str]:
    """Every key the cache holds, as stored (made and prefixed)."""
    backend: Any = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        return [key.decode() if isinstance(key, bytes) else key for key in client.keys("*")]
    # LocMemCache keeps its entries in a dict of made keys.
    return [str(key) for key in backend._cache]


def test_it_allows_up_to_the_limit_then_refuses(clock: list[float]) -> None:
    for _ in range(POLICY.limit):
        ratelimit.hit(POLICY, "value")
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(POLICY, "value")
    assert refused.value.policy == POLICY
    assert refused.value.retry_after == 500


def test_it_keeps_refusing_until_the_window_ends(clock: list[float]) -> None:
    for _ in range(POLICY.limit):
        ratelimit.hit(POLICY, "value")
    clock[0] += 499
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(POLICY, "value")
    assert refused.value.retry_after == 1
    clock[0] += 1
    ratelimit.hit(POLICY, "value")


def test_values_are_counted_apart(clock: list[float]) -> None:
    for _ in range(POLICY.limit):
        ratelimit.hit(POLICY, "one")
    ratelimit.hit(POLICY, "two")
    ratelimit.hit(Policy("another-policy", limit=3, period=600), "one")


def test_keys_hold_no_personal_data(clock: list[float]) -> None:
    ratelimit.check_login_account("River Stone")
    ratelimit.check_login_ip("203.0.113.5")
    keys = " ".join(cache_keys())
    assert "river" not in keys.casefold()
    assert "203.0.113.5" not in keys
    expected = hashlib.sha256(b"login-account:river stone").hexdigest()
    assert expected in keys


def test_login_names_are_counted_without_regard_to_case(clock: list[float]) -> None:
    for name in ["River"] * (ratelimit.LOGIN_ACCOUNT.limit - 1) + ["  rIVER "]:
        ratelimit.check_login_account(name)
    with pytest.raises(RateLimited):
        ratelimit.check_login_account("river")


@pytest.mark.parametrize(
    ("check", "policy"),
    [
        (ratelimit.check_login_ip, ratelimit.LOGIN_IP),
        (ratelimit.check_signup_ip, ratelimit.SIGNUP_IP),
        (ratelimit.check_password_reset_ip, ratelimit.PASSWORD_RESET_IP),
        (ratelimit.check_password_reset_address, ratelimit.PASSWORD_RESET_ADDRESS),
    ],
)
def test_each_policy_has_its_own_limit(
    clock: list[float], check: Callable[[str], None], policy: Policy
) -> None:
    for _ in range(policy.limit):
        check("value")
    with pytest.raises(RateLimited) as refused:
        check("value")
    assert refused.value.policy == policy


@pytest.mark.parametrize(
    ("check", "policy"),
    [
        (ratelimit.check_two_factor, ratelimit.TWO_FACTOR),
        (ratelimit.check_confirm_password, ratelimit.CONFIRM_PASSWORD),
    ],
)
def test_each_account_policy_has_its_own_limit(
    clock: list[float], check: Callable[[int], None], policy: Policy
) -> None:
    for _ in range(policy.limit):
        check(7)
    check(8)
    with pytest.raises(RateLimited):
        check(7)


def test_the_message_says_how_long_to_wait(clock: list[float]) -> None:
    assert "about 9 minutes" in RateLimited(POLICY, 500).message()
    assert "about 1 minute " in RateLimited(POLICY, 20).message()
    assert "about 1 minute " in RateLimited(POLICY, 60).message()
    assert "about 2 minutes" in RateLimited(POLICY, 61).message()


def test_the_message_is_translatable() -> None:
    with translation.override("en"):
        message = RateLimited(POLICY, 120).message()
    assert message.startswith("There have been a lot of attempts")


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("", ""),
    ],
)
def test_client_ip_groups_ipv6_by_network(remote_addr: str, expected: str) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    assert ratelimit.client_ip(request) == expected
