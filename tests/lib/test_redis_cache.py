"""The Redis cache reuses one client per connection pool."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from peerlight.lib.redis_cache import PooledClientRedisCache

REDIS = "redis://127.0.0.1:6379/15"


def reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_it_hands_out_the_same_client_for_the_same_pool() -> None:
    cache = PooledClientRedisCache(REDIS, {})
    client: Any = cache._cache
    first = client.get_client(write=True)
    assert client.get_client(write=True) is first
    assert first.connection_pool is client._get_connection_pool(True)


@pytest.mark.skipif(not reachable(), reason="no Redis at 127.0.0.1:6379")
def test_it_still_reads_and_writes() -> None:
    cache = PooledClientRedisCache(REDIS, {"KEY_PREFIX": "peerlight-test"})
    cache.set("answer", 42, 5)
    assert cache.get("answer") == 42
    assert cache.incr("answer") == 43
    cache.delete("answer")
    assert cache.get("answer") is None
