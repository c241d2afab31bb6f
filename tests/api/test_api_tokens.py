"""API tokens: the admin center page, the command, and how the API checks them (401, 429)."""

import base64
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, AuditEntry
from accounts.services import api_token_create, api_token_revoke
from accounts.tokens import token_hash
from activity.models import Event
from demo.factories import AdminFactory
from tests.conftest import client_for

PAGE = "/admin-center/apps-and-integrations/apis/api-tokens/"
EVENTS = "/api/v2/user_profiles/events"


def event_body(email="carol@example.com") -> str:
    return json.dumps(
        {
            "profile": {"source": "shop", "type": "customer", "identifiers": [{"type": "email", "value": email}]},
            "event": {"source": "Shop", "type": "order_placed"},
        }
    )


def send(secret: str | None = None, host="acme.localhost", authorization: str | None = None):
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    elif secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client(HTTP_HOST=host).post(EVENTS, event_body(), content_type="application/json", **headers)


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}/token:{secret}".encode()).decode()


@pytest.fixture
def secret(acme, alice):
    return api_token_create(account=acme, actor=alice, name="Shop")[1]


# The admin center page


def test_an_admin_adds_a_token_and_sees_its_secret_once(as_alice, alice, acme):
    response = as_alice.post(PAGE, {"name": "Shop sync"})

    assert response.status_code == 200
    token = ApiToken.objects.get(account=acme)
    secret = response.context["secret"]
    assert secret.startswith("hdk_") and len(secret) > 40
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert (token.name, token.prefix, token.created_by) == ("Shop sync", secret[:12], alice)
    assert token.secret_hash == token_hash(secret)

    listing = as_alice.get(PAGE).content.decode()
    assert "Shop sync" in listing and token.prefix in listing
    assert secret not in listing


def test_only_the_hash_of_the_secret_is_stored(as_alice, acme):
    secret = as_alice.post(PAGE, {"name": "Shop"}).context["secret"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and secret[12:] not in row


def test_adding_a_token_is_audited(as_alice, alice, acme):
    as_alice.post(PAGE, {"name": "Shop"})

    entry = AuditEntry.objects.get(action="api_token.created")
    assert (entry.account, entry.actor, entry.after["name"]) == (acme, alice, "Shop")
    assert entry.after["prefix"].startswith("hdk_")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_of_at_most_100_characters(as_alice, acme, name):
    response = as_alice.post(PAGE, {"name": name})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_an_admin_revokes_a_token_after_confirming(as_alice, alice, acme, secret):
    token = ApiToken.objects.get()
    revoke = f"{PAGE}{token.pk}/revoke/"

    confirm = as_alice.get(revoke)
    assert confirm.status_code == 200 and "Revoke" in confirm.content.decode()
    assert ApiToken.objects.get().revoked_at is None

    response = as_alice.post(revoke, follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == alice
    assert "was revoked" in response.content.decode()
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert (entry.actor, entry.target_id) == (alice, str(token.pk))
    assert send(secret).status_code == 401


def test_revoking_twice_changes_nothing_more(as_alice, acme, secret):
    token = ApiToken.objects.get()
    as_alice.post(f"{PAGE}{token.pk}/revoke/")

    response = as_alice.post(f"{PAGE}{token.pk}/revoke/")

    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1
    assert as_alice.get(f"{PAGE}{token.pk}/revoke/").status_code == 302


def test_the_list_shows_revoked_tokens_as_revoked(as_alice, alice, acme, secret):
    api_token_revoke(token=ApiToken.objects.get(), actor=alice)

    page = as_alice.get(PAGE).content.decode()

    assert "Revoked" in page
    assert "/revoke/" not in page


def test_agents_and_customers_are_refused_the_token_pages(as_bob, as_carol, acme, secret):
    token = ApiToken.objects.get()
    for client in (as_bob, as_carol):
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"name": "Mine"}).status_code == 403
        assert client.post(f"{PAGE}{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(anonymous):
    response = anonymous.get(PAGE)

    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_another_accounts_token_is_not_found(globex, charlie, as_alice):
    theirs, _secret = api_token_create(account=globex, actor=charlie, name="Theirs")

    assert as_alice.get(f"{PAGE}{theirs.pk}/revoke/").status_code == 404
    assert as_alice.post(f"{PAGE}{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_admin_of_another_account_sees_only_their_tokens(globex, acme, secret):
    other_admin = AdminFactory(account=globex, email="root@globex.test")

    page = client_for(other_admin).get(PAGE).content.decode()

    assert "Shop" not in page


# The command


def test_the_command_prints_only_a_working_token(acme, alice, carol):
    out = io.StringIO()

    call_command("create_api_token", account="acme", name="Import script", admin="alice@acme.test", stdout=out)

    secret = out.getvalue().strip()
    assert "\n" not in secret
    token = ApiToken.objects.get()
    assert (token.name, token.created_by) == ("Import script", alice)
    assert send(secret).status_code == 202


@pytest.mark.parametrize(
    "options",
    [
        {"account": "nowhere", "name": "x"},
        {"account": "acme", "name": "x", "admin": "bob@acme.test"},
        {"account": "acme", "name": " "},
    ],
)
def test_the_command_refuses_bad_options(acme, bob, options):
    with pytest.raises(CommandError):
        call_command("create_api_token", **options)
    assert not ApiToken.objects.exists()


# How the API checks a token


def test_a_request_without_a_token_is_unauthorized(acme, carol):
    response = send()

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"] == "Unauthorized"
    assert list(response.json()["details"]) == ["Authorization"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer hdk_wrong",
        "Bearer ",
        "Token abc",
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"alice@acme.test:password").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
        "Bearer " + "x" * 5000,
    ],
)
def test_a_wrong_or_malformed_token_is_unauthorized(acme, carol, secret, authorization):
    assert send(authorization=authorization).status_code == 401


def test_a_revoked_token_is_unauthorized(acme, alice, carol, secret):
    assert send(secret).status_code == 202

    api_token_revoke(token=ApiToken.objects.get(), actor=alice)

    assert send(secret).status_code == 401


def test_a_token_only_works_on_its_own_accounts_host(acme, globex, carol, dave, secret, charlie):
    assert send(secret, host="globex.localhost").status_code == 401
    theirs = api_token_create(account=globex, actor=charlie, name="Theirs")[1]
    assert send(theirs, host="acme.localhost").status_code == 401
    assert not Event.objects.exists()


def test_a_page_request_that_presents_a_token_is_served_as_any_other(acme, bob, secret):
    # The middleware looks a presented token up with the account whatever the URL: a page must not care.
    agent = client_for(bob)

    response = agent.get("/agent/users/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.wsgi_request.account == acme


def test_an_api_request_finds_its_account_and_token_in_one_query(acme, carol, secret):
    send(secret)  # the token's "last used" is written once a minute: out of the way

    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST="acme.localhost").get(
            f"/api/v2/users/{carol.pk}/events", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )

    assert response.status_code == 200
    first = queries.captured_queries[0]["sql"]
    assert "accounts_account" in first and "accounts_apitoken" in first
    assert not any("accounts_apitoken" in q["sql"] for q in queries.captured_queries[1:])


def test_zendesk_style_basic_auth_acts_as_the_named_team_member(acme, bob, carol, secret):
    response = send(authorization=basic("Bob@Acme.test", secret))

    assert response.status_code == 202


@pytest.mark.parametrize("email", ["carol@example.com", "nobody@acme.test", "charlie@globex.test"])
def test_basic_auth_must_name_a_team_member_of_the_account(acme, carol, charlie, secret, email):
    assert send(authorization=basic(email, secret)).status_code == 401


def test_using_a_token_records_when_it_was_last_used(acme, carol, secret):
    assert ApiToken.objects.get().last_used_at is None

    send(secret)

    assert ApiToken.objects.get().last_used_at is not None


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_a_token_over_its_rate_limit_gets_429_with_retry_after(acme, alice, carol, secret):
    statuses = [send(secret).status_code for _ in range(3)]

    response = send(secret)

    assert statuses == [202, 202, 202]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-Rate-Limit-Remaining"] == "0"
    assert response.json()["error"] == "TooManyRequests"
    assert Event.objects.count() == 3
    # Another token has its own budget.
    other = api_token_create(account=acme, actor=alice, name="Other")[1]
    assert send(other).status_code == 202


@override_settings(API_RATE_LIMIT_PER_MINUTE=10)
def test_responses_say_how_many_requests_are_left(acme, carol, secret):
    response = send(secret)

    assert (response["X-Rate-Limit"], response["X-Rate-Limit-Remaining"]) == ("10", "9")


def test_api_requests_need_no_csrf_token(acme, carol, secret):
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)

    response = client.post(EVENTS, event_body(), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 202
