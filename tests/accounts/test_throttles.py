"""Guessing is slowed down: failed sign-ins per account and email and per client address, and requests with
an unknown API token per address, end in a 429 with a clear message until their window is over; shared
by every process through Redis when REDIS_URL is set."""

import json
from unittest import mock

import pytest
from django.test import Client, override_settings

from common.ratelimit import Throttle
from tests.accounts.test_rate_limit_redis import shared  # noqa: F401 - a fixture
from tests.api.test_api_tokens import send

WRONG = "not-the-password"


def sign_in(email: str, password: str = WRONG, address: str = "192.0.2.1", **headers):
    client = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR=address, **headers)
    return client, client.post("/sign-in/", {"username": email, "password": password})


def test_a_hundred_wrong_passwords_get_ten_answers_then_only_429s(bob):
    statuses = [sign_in("bob@acme.test")[1].status_code for _ in range(100)]

    assert statuses.count(200) == 10
    assert statuses.count(429) == 90


def test_once_throttled_even_the_right_password_waits_and_is_told_how_long(bob):
    for _ in range(10):
        sign_in("bob@acme.test")

    client, response = sign_in("BOB@acme.test", "demo-password-1")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins. For your security, try again in" in response.text
    assert "_auth_user_id" not in client.session


def test_someone_else_can_still_sign_in_meanwhile(bob, alice):
    for _ in range(10):
        sign_in("bob@acme.test")

    _client, response = sign_in("alice@acme.test", "demo-password-1", address="198.51.100.7")

    assert response.status_code == 302


def test_one_address_trying_many_emails_is_throttled_too(bob):
    for n in range(30):
        sign_in(f"someone{n}@acme.test")

    _client, response = sign_in("bob@acme.test", "demo-password-1")
    _elsewhere, other = sign_in("bob@acme.test", "demo-password-1", address="198.51.100.7")

    assert response.status_code == 429
    assert other.status_code == 302


def test_the_throttle_ends_with_its_window(bob):
    for _ in range(10):
        sign_in("bob@acme.test")

    with mock.patch("common.ratelimit.time.time", return_value=__import__("time").time() + 15 * 60):
        _client, response = sign_in("bob@acme.test", "demo-password-1")

    assert response.status_code == 302


@override_settings(CLIENT_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR")
def test_behind_a_proxy_the_address_is_the_one_the_proxy_wrote_not_what_the_client_claims(bob):
    for n in range(30):
        sign_in(f"someone{n}@acme.test", address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.50")

    _client, same = sign_in("bob@acme.test", "demo-password-1", address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.50")
    _client, other = sign_in("bob@acme.test", "demo-password-1", address="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.51")

    assert same.status_code == 429
    assert other.status_code == 302


@override_settings(SIGN_IN_FAILURES_PER_EMAIL=0, SIGN_IN_FAILURES_PER_ADDRESS=0)
def test_a_limit_of_zero_turns_the_throttle_off(bob):
    statuses = {sign_in("bob@acme.test")[1].status_code for _ in range(40)}

    assert statuses == {200}


def test_failures_counted_by_another_process_through_redis_count_here(shared, settings, acme, bob):  # noqa: F811
    key, _retry = Throttle("sign-in-email", 10, 15 * 60)._window(f"{acme.pk}:bob@acme.test")
    shared.incr(f"{settings.REDIS_KEY_PREFIX}:{key}", 10)  # ten failures seen by other servers

    _client, response = sign_in("bob@acme.test", "demo-password-1")

    assert response.status_code == 429


def test_requests_with_unknown_api_tokens_are_limited_per_address(acme):
    statuses = [send("hdk_guess" + str(n)).status_code for n in range(35)]

    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}
    refused = send("hdk_another")
    assert json.loads(refused.content)["error"] == "TooManyRequests"
    assert 1 <= int(refused["Retry-After"]) <= 60


@pytest.mark.parametrize("header", ["", "Bearer ", "Basic !!!"])
def test_missing_or_unreadable_tokens_count_as_unknown(acme, header):
    statuses = [send(authorization=header).status_code for _ in range(31)]

    assert statuses[-1] == 429
