"""Rate limits on Django's cache, one named function per policy.

Each ``check_*`` function counts one attempt and raises ``RateLimited`` when
the attempt goes over its policy's limit. The cache is local memory in
development and Redis when ``REDIS_URL`` is set, so limits hold across
processes at scale.

Keys are the SHA-256 of the policy name and the value (an address, a display
name, an e-mail digest), so no personal data ever becomes a cache key.

Counting is by fixed windows: simple and atomic (``cache.add`` then
``cache.incr``), at the price of letting up to twice the limit through across
the boundary of two windows. That is acceptable here: the limits slow
guessing down by orders of magnitude either way.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext

__all__ = [
    "Policy",
    "RateLimited",
    "check_confirm_password",
    "check_login_account",
    "check_login_ip",
    "check_password_reset_address",
    "check_password_reset_ip",
    "check_signup_ip",
    "check_two_factor",
    "client_ip",
    "hit",
]


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    period: int  # seconds


# Per-address limits are generous because many people can share one address
# (a library, a shelter, a mobile carrier's NAT); per-account limits are
# tighter because they protect one person's password.
LOGIN_IP = Policy("login-ip", limit=40, period=15 * 60)
LOGIN_ACCOUNT = Policy("login-account", limit=10, period=15 * 60)
SIGNUP_IP = Policy("signup-ip", limit=5, period=60 * 60)
PASSWORD_RESET_IP = Policy("password-reset-ip", limit=10, period=60 * 60)
PASSWORD_RESET_ADDRESS = Policy("password-reset-address", limit=3, period=60 * 60)
TWO_FACTOR = Policy("two-factor", limit=10, period=15 * 60)
CONFIRM_PASSWORD = Policy("confirm-password", limit=10, period=15 * 60)


class RateLimited(Exception):
    """Too many attempts; ``retry_after`` is how many seconds to wait."""

    def __init__(self, policy: Policy, retry_after: int) -> None:
        super().__init__(policy.name)
        self.policy = policy
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def message(self) -> str:
        """A calm sentence for the person, in the active language."""
        wait = ngettext(
            "Please wait about %(minutes)d minute and try again.",
            "Please wait about %(minutes)d minutes and try again.",
            self.minutes,
        ) % {"minutes": self.minutes}
        return gettext("There have been a lot of attempts in a short time.") + " " + wait


def _now() -> float:
    return time.time()


def _window_key(policy: Policy, value: str) -> tuple[str, float]:
    """The cache key of the current window, and the seconds left in it."""
    now = _now()
    window = int(now // policy.period)
    material = f"{policy.name}:{value}".encode()
    key = f"ratelimit:{hashlib.sha256(material).hexdigest()}:{window}"
    return key, (window + 1) * policy.period - now


def hit(policy: Policy, value: str) -> None:
    """Count one attempt under ``policy`` for ``value``; raise when over the limit."""
    key, seconds_left = _window_key(policy, value)
    timeout = math.ceil(seconds_left) + 1
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this is the first attempt
        # of the new window.
        cache.set(key, 1, timeout=policy.period + 1)
        count = 1
    if count > policy.limit:
        raise RateLimited(policy, math.ceil(seconds_left))


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it; IPv6 reduced to its /64.

    One household or phone usually holds a whole IPv6 /64, so counting single
    IPv6 addresses would let anyone step around a limit. Behind a reverse
    proxy, the ASGI server must be told to trust the proxy's forwarded
    header so that ``REMOTE_ADDR`` is the client's address.
    """
    raw = str(request.META.get("REMOTE_ADDR") or "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def check_login_ip(ip: str) -> None:
    hit(LOGIN_IP, ip)


def check_login_account(display_name: str) -> None:
    # Names sign in without regard to case, so "River" and "river" share a count.
    hit(LOGIN_ACCOUNT, display_name.strip().casefold())


def check_signup_ip(ip: str) -> None:
    hit(SIGNUP_IP, ip)


def check_password_reset_ip(ip: str) -> None:
    hit(PASSWORD_RESET_IP, ip)


def check_password_reset_address(address_digest: str) -> None:
    hit(PASSWORD_RESET_ADDRESS, address_digest)


def check_two_factor(user_id: int) -> None:
    hit(TWO_FACTOR, str(user_id))


def check_confirm_password(user_id: int) -> None:
    hit(CONFIRM_PASSWORD, str(user_id))
