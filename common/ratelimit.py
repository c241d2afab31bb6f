"""Fixed-window hit counters for rate limits and throttles.

With REDIS_URL set, the counters live in Redis and every process of every server counts against the same
budget: one round trip a hit (INCR, and EXPIRE on the first). Without it, each process counts on its own
in Django's cache (development, tests, a single process). If Redis can't be reached, hits are let through
and a warning is logged (at most once a minute): a rate limiter must not take the API down with it.
"""

import functools
import hashlib
import logging
import math
import time
from dataclasses import dataclass

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


def window_count(key: str) -> int:
    """How many hits `key` has now (0 when none, or when the shared counter can't be reached)."""
    if not settings.REDIS_URL:
        return cache.get(key, 0)
    try:
        count = _client(settings.REDIS_URL).get(f"{settings.REDIS_KEY_PREFIX}:{key}")
    except redis.RedisError as error:
        _warn(error)
        return 0
    return int(count or 0)


@dataclass(frozen=True)
class Throttle:
    """At most `limit` counted attempts per `period` seconds for each identity (an address, an account and
    email, a record), in fixed windows: the window's count is one key that expires with it."""

    name: str
    limit: int
    period: int

    def wait(self, identity: str) -> int:
        """Seconds until this identity may try again: 0 while it is within its limit."""
        key, retry_after = self._window(identity)
        return retry_after if self.limit and window_count(key) >= self.limit else 0

    def hit(self, identity: str) -> int:
        """Count one attempt; the seconds to wait if it went over the limit, else 0."""
        key, retry_after = self._window(identity)
        count = window_hit(key, self.period + 60) if self.limit else None
        return retry_after if count is not None and count > self.limit else 0

    def _window(self, identity: str) -> tuple[str, int]:
        now = time.time()
        window = int(now // self.period)
        # Hashed: keys stay short, and no email address is written to a shared Redis.
        digest = hashlib.sha256(identity.encode("utf-8", "replace")).hexdigest()[:24]
        return f"throttle:{self.name}:{digest}:{window}", max(1, math.ceil((window + 1) * self.period - now))


def client_address(request) -> str:
    """The address the request came from: REMOTE_ADDR, or behind a proxy (CLIENT_ADDRESS_HEADER set) the
    last address in that header, the one our own proxy wrote (earlier ones are whatever the client sent)."""
    if settings.CLIENT_ADDRESS_HEADER:
        forwarded = request.META.get(settings.CLIENT_ADDRESS_HEADER, "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY:
        _last_warning = now
        logger.warning("Rate limits are not counted: Redis at REDIS_URL can't be reached (%s)", error)
