"""The cast, shared by every test.

Account "acme": Alice (admin), Bob (agent), Carol (a customer).
Account "globex": Charlie (agent) and Dave (a customer) — they should have no access to Acme's things,
and Acme's people none to theirs.
"""

import os

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from accounts.models import Role
from accounts.services import api_token_create
from demo.factories import AccountFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Heavy drills (marked `heavy`) run in CI and on demand, so that a local `make test` stays quick."""
    if os.environ.get("CI") or os.environ.get("HEAVY_TESTS"):
        return
    skip = pytest.mark.skip(reason="heavy drill: runs in CI, or with HEAVY_TESTS=1")
    for item in items:
        if "heavy" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Translations are compiled from the .po files, so tests see the same French as the running app."""
    call_command("compile_catalogues", verbosity=0)


@pytest.fixture
def acme(db):
    return AccountFactory(name="Acme", subdomain="acme")


@pytest.fixture
def globex(db):
    return AccountFactory(name="Globex", subdomain="globex")


@pytest.fixture
def alice(acme):
    return UserFactory(account=acme, role=Role.ADMIN, name="Alice Admin", email="alice@acme.test")


@pytest.fixture
def bob(acme):
    return UserFactory(account=acme, role=Role.AGENT, name="Bob Agent", email="bob@acme.test")


@pytest.fixture
def carol(acme):
    return UserFactory(account=acme, name="Carol Customer", email="carol@example.com", tags="vip beta")


@pytest.fixture
def charlie(globex):
    return UserFactory(account=globex, role=Role.AGENT, name="Charlie Other", email="charlie@globex.test")


@pytest.fixture
def dave(globex):
    return UserFactory(account=globex, name="Dave Elsewhere", email="dave@example.com")


def client_for(user=None, host: str | None = None) -> Client:
    """A test client on the user's account host, signed in as that user (anonymous when None)."""
    client = Client(HTTP_HOST=host or f"{user.account.subdomain}.localhost")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_alice(alice):
    return client_for(alice)


@pytest.fixture
def as_bob(bob):
    return client_for(bob)


@pytest.fixture
def as_carol(carol):
    return client_for(carol)


@pytest.fixture
def as_charlie(charlie):
    return client_for(charlie)


@pytest.fixture
def anonymous(acme):
    return Client(HTTP_HOST="acme.localhost")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: API rate-limit counters and "last used" marks don't carry over."""
    cache.clear()


def api_client(account, secret: str) -> Client:
    """A client of the integrations API on the account's host, authenticated by an API token."""
    return Client(HTTP_HOST=f"{account.subdomain}.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def acme_api(acme, alice):
    return api_client(acme, api_token_create(account=acme, actor=alice, name="Shop")[1])


@pytest.fixture
def globex_api(globex, charlie):
    return api_client(globex, api_token_create(account=globex, actor=charlie, name="Globex shop")[1])
