"""Behind a TLS proxy that says X-Forwarded-Proto: https, the app knows it is served over HTTPS: forms pass
the CSRF origin check, emailed links start with https://, and HSTS and the HTTPS redirect apply."""

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from accounts.services import account_set_customer_profile
from demo.factories import IdentityFactory
from tests.conftest import client_for

PROXY = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}
FORWARDED = {"HTTP_X_FORWARDED_PROTO": "https"}


def _sign_in_through_the_proxy() -> int:
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True, **FORWARDED)
    client.get("/sign-in/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/sign-in/",
        {"username": "bob@acme.test", "password": "demo-password-1", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://acme.localhost",
    )
    return response.status_code


def test_without_the_proxy_setting_a_form_sent_over_https_is_refused(bob):
    assert _sign_in_through_the_proxy() == 403


@override_settings(**PROXY)
def test_with_the_proxy_setting_a_form_sent_over_https_goes_through(bob):
    assert _sign_in_through_the_proxy() == 302


@override_settings(**PROXY)
def test_a_verification_link_sent_through_the_proxy_starts_with_https(acme, alice, bob, carol):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=False)
    client = client_for(bob)

    client.post(f"/agent/users/{carol.pk}/identities/{work.pk}/send_verification/", **FORWARDED)

    assert len(mail.outbox) == 1
    assert re.search(r"https://acme\.localhost/verify-email/\S+/", mail.outbox[0].body)


@override_settings(**PROXY, SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
@pytest.mark.parametrize(("forwarded", "status"), [({}, 301), (FORWARDED, 302)])
def test_plain_http_is_sent_to_https_and_https_answers_carry_hsts(acme, forwarded, status):
    response = Client(HTTP_HOST="acme.localhost", **forwarded).get("/")

    assert response.status_code == status
    if forwarded:
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    else:
        assert response.url == "https://acme.localhost/"


@override_settings(**PROXY, SECURE_SSL_REDIRECT=True)
def test_the_health_probe_answers_over_plain_http(acme):
    response = Client(HTTP_HOST="localhost").get("/healthz")

    assert response.status_code != 301
