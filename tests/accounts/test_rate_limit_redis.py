"""API rate limits counted in Redis (REDIS_URL): every process of every server spends the same budget.

These tests need the Redis server at TEST_REDIS_URL (default redis://127.0.0.1:6379/0); without one they
are skipped locally, never in CI."""

import logging
import os
import time
import uuid

import pytest
import redis
from django.test import override_settings

from accounts.models import ApiToken
from accounts.services import api_token_create
from activity.models import Event
from common import ratelimit
from config.env import ConfigError, env_redis_url
from tests.api.test_api_tokens import send

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def secret(acme, alice):
    return api_token_create(account=acme, actor=alice, name="Shop")[1]


@pytest.fixture
def shared(settings):
    """REDIS_URL set, with a key prefix of this test's own; the Redis client, as another process holds it."""
    client = redis.Redis.from_url(REDIS, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS}")
    settings.REDIS_URL = REDIS
    settings.REDIS_KEY_PREFIX = f"helpdesk-test-{uuid.uuid4().hex}"
    yield client
    for key in client.scan_iter(f"{settings.REDIS_KEY_PREFIX}:*"):
        client.delete(key)


def _window_key(prefix: str, token: ApiToken) -> str:
    """This minute's counter of the token; waits for the next minute when this one is about to end."""
    if time.time() % 60 > 57:
        time.sleep(60 - time.time() % 60 + 0.1)
    return f"{prefix}:api-rate:{token.pk}:{int(time.time() // 60)}"


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_requests_made_through_other_processes_spend_the_same_budget(shared, settings, acme, carol, secret):
    key = _window_key(settings.REDIS_KEY_PREFIX, ApiToken.objects.get())
    shared.incr(key, 2)  # two requests served by another process this minute

    last_allowed = send(secret)
    refused = send(secret)

    assert last_allowed.status_code == 202
    assert last_allowed["X-Rate-Limit-Remaining"] == "0"
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert int(shared.get(key)) == 4
    assert Event.objects.count() == 1


@override_settings(API_RATE_LIMIT_PER_MINUTE=10)
def test_a_minutes_counter_goes_away_by_itself(shared, settings, acme, carol, secret):
    key = _window_key(settings.REDIS_KEY_PREFIX, ApiToken.objects.get())

    send(secret)
    send(secret)

    assert int(shared.get(key)) == 2
    assert 0 < shared.ttl(key) <= 120


@override_settings(API_RATE_LIMIT_PER_MINUTE=1, REDIS_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_redis_lets_requests_through_and_says_so_once(acme, carol, secret, caplog, monkeypatch):
    monkeypatch.setattr(ratelimit, "_last_warning", -3600.0)  # no warning given yet

    with caplog.at_level(logging.WARNING, logger="common.ratelimit"):
        responses = [send(secret) for _ in range(3)]

    assert [r.status_code for r in responses] == [202, 202, 202]
    assert "X-Rate-Limit" not in responses[0]
    warnings = [r for r in caplog.records if "Redis" in r.getMessage()]
    assert len(warnings) == 1  # once a minute at most, however many requests


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("rediss://cache:6380", "rediss://cache:6380"),
    ],
)
def test_the_redis_url_is_read_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("X", raw)

    assert env_redis_url("X") == expected


def test_a_redis_url_of_another_kind_stops_start_up(monkeypatch):
    monkeypatch.setenv("X", "http://cache:6379")

    with pytest.raises(ConfigError, match="X must be a redis://"):
        env_redis_url("X")
