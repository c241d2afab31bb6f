"""Fixed-window hit counters for rate limits.

With REDIS_URL set, the counters live in Redis and every process of every server counts against the same
budget: one round trip a hit (INCR, and EXPIRE on the first). Without it, each process counts on its own
in Django's cache (development, tests, a single process). If Redis can't be reached, hits are let through
and a warning is logged (at most once a minute): a rate limiter must not take the API down with it.
"""

import functools
import logging
import time

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
_TIMEOUT = 0.25  # seconds: a Redis that doesn't answer costs a request this much, not a hang
_WARN_EVERY = 60  # seconds between two warnings that Redis is unreachable
_last_warning = 0.0


def window_hit(key: str, ttl: int) -> int | None:
    """Count one hit on `key`, a counter that disappears `ttl` seconds after its first hit; the new count,
    or None when the shared counter can't be reached."""
    if not settings.REDIS_URL:
        cache.add(key, 0, ttl)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ttl)
            return 1
    try:
        with _client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            pipe.incr(f"{settings.REDIS_KEY_PREFIX}:{key}")
            pipe.expire(f"{settings.REDIS_KEY_PREFIX}:{key}", ttl, nx=True)
            count, _expiry_set = pipe.execute()
    except redis.RedisError as error:
        _warn(error)
        return None
    return count


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY:
        _last_warning = now
        logger.warning("Rate limits are not counted: Redis at REDIS_URL can't be reached (%s)", error)
