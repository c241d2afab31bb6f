"""The permission matrix, generated from the URL conf: every URL pattern × every role (anonymous, end user,
agent, admin, another account's agent) × GET and POST. No cell is a 5xx, and each role gets exactly what
its level allows. A new URL fails here until it says who may use it (ACCESS) and how to fill its
parameters (ARGUMENTS), so none can be forgotten."""

import json

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

import api.urls  # noqa: F401 - importing it declares every resource of the API
from accounts.models import AuditEntry, User
from accounts.services import account_set_agents_may_assume_identity, account_set_customer_profile, api_token_create
from api.routing import Resource
from demo.factories import CustomFieldFactory, IdentityFactory, MembershipFactory, TicketFactory
from profiles.verification import verification_token_make
from tests.conftest import client_for


def url_patterns(patterns=None, prefix="", namespace=None):
    """(name, route, parameter names) of every pattern of the URL conf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        else:
            yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern), list(pattern.pattern.converters)


PUBLIC, SIGNED_IN, TEAM, ADMIN, END_USER, API = "public", "signed in", "team", "admin", "end user", "api"
# Actions on one customer for some team members only: they find the customer first (another account's is a
# 404), then check the role. ASSUMERS are admins, and agents where the account allows it (off here; see
# tests/profiles/test_record_actions.py for the matrix with it on).
ADMIN_ON_RECORD, ASSUMERS = "admin, on a customer", "admin or allowed agent, on a customer"
NO_SUCH_API = "no such API endpoint"  # /api/v2/ and anything under it no resource claims: a JSON 404
# Who may use each URL.
ACCESS = {
    "accounts:home": PUBLIC,  # sends each person to their own place, or to sign-in
    "accounts:login": PUBLIC,
    "accounts:logout": PUBLIC,
    "accounts:assumption_return": PUBLIC,  # without an assumed identity to end, it only leads home
    "accounts:audit_log": ADMIN,
    "accounts:preferences": SIGNED_IN,
    "accounts:admin_center": ADMIN,
    "accounts:agent_interface": ADMIN,
    "accounts:api_tokens": ADMIN,
    "accounts:api_token_revoke": ADMIN,
    "custom_fields:list": ADMIN,
    "custom_fields:create": ADMIN,
    "custom_fields:edit": ADMIN,
    "custom_fields:move": ADMIN,
    "custom_fields:set_active": ADMIN,
    "profiles:search": TEAM,
    "profiles:customer": TEAM,
    "profiles:details_save": TEAM,
    "profiles:identity_action": TEAM,
    "profiles:membership_add": TEAM,
    "profiles:membership_action": TEAM,
    "profiles:experience": TEAM,
    "profiles:organization": TEAM,
    "profiles:new_ticket": TEAM,
    "profiles:merge": TEAM,
    "profiles:assume_identity": ASSUMERS,
    "profiles:upgrade_to_agent": ADMIN_ON_RECORD,
    "profiles:suspension": TEAM,
    "profiles:set_password": ADMIN_ON_RECORD,
    "profiles:send_password_reset": TEAM,
    "profiles:export": TEAM,
    "profiles:delete": ADMIN_ON_RECORD,
    "custom_fields:lookup": TEAM,
    "tickets:ticket": TEAM,
    "tickets:fields_save": TEAM,
    "portal:home": END_USER,
    "portal:new_request": END_USER,
    "portal:request": END_USER,  # and only the requester or someone CC'd: tests/tickets/test_portal.py
    "portal:password": END_USER,
    "verification:confirm": PUBLIC,  # the signed token in the link is the credential
    "password_reset:ask": PUBLIC,  # a forgotten password: no one is signed in
    "password_reset:sent": PUBLIC,
    "password_reset:confirm": PUBLIC,  # the token in the link is the credential
    "password_reset:done": PUBLIC,
    "api:user_profile_events": API,
    "api:user_profile_events_many": API,
    "api:user_events": API,
    "api:openapi": PUBLIC,  # the API's description, public like the original's reference
    "devtools:trivial": PUBLIC,  # the benchmarks' baseline; development and tests only
    "api:None": NO_SUCH_API,
    # Every resource of the API v2 is declared through api.routing, whose views take an API token only
    # (with and without ".json").
    **{f"api:{name}": API for resource in Resource.registry for name in (resource.name, f"{resource.name}_json")},
}
# Parameters naming one of Acme's records: another account's agent must find none of them (a 404).
RECORDS = {"user_id", "identity_id", "membership_id", "ticket_id", "token_id", "field_id", "organization_id"}


@pytest.fixture
def acme_world(acme, alice, bob, carol):
    """One of each record of Acme's that a URL can name."""
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=False)
    membership = MembershipFactory(user=carol, organization__account=acme)
    return {
        "user_id": carol.pk,
        "identity_id": work.pk,
        "membership_id": membership.pk,
        "organization_id": membership.organization_id,
        "option_id": 1,
        "job_id": "no-such-job",
        "ticket_id": TicketFactory(account=acme, requester=carol, submitter=carol).pk,
        "token_id": api_token_create(account=acme, actor=alice, name="Shop")[0].pk,
        "field_id": CustomFieldFactory(account=acme, object_type="user").pk,
        "object_type": "user",
        "target": "user",
        "token": verification_token_make(work),
        "uidb64": urlsafe_base64_encode(force_bytes(carol.pk)),
    }


# Parameters that aren't records: a value each pattern accepts.
ACTIONS = {"profiles:identity_action": "make_primary", "profiles:membership_action": "make-default"}


def concrete(name: str, route: str, parameters: list[str], world: dict) -> str:
    path = route
    for parameter in parameters:
        value = ACTIONS[name] if parameter == "action" else world[parameter]
        start = path.index("<")
        path = path[:start] + str(value) + path[path.index(">", start) + 1 :]
    return "/" + path


def clients(bob, alice, carol, charlie) -> dict:
    """A new client per request (a POST may sign its person out), on the host each person uses."""
    return {
        "anonymous": lambda: client_for(None, host="acme.localhost"),
        "end user": lambda: client_for(carol),
        "agent": lambda: client_for(bob),
        "admin": lambda: client_for(alice),
        "other account's agent": lambda: client_for(charlie),  # on globex.localhost, naming Acme's records
    }


def refused_as_anonymous(response) -> bool:
    return response.status_code == 302 and response.url.startswith("/sign-in/")


def violation(level: str, role: str, names_record: bool, response) -> str | None:
    """Why this answer is wrong for this role at this level, or None."""
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    if level == NO_SUCH_API:
        json = response["Content-Type"] == "application/json"
        return None if status == 404 and json else f"answered {status} ({response['Content-Type']})"
    if level == API:  # a session is no API credential, whoever holds it
        json = response["Content-Type"] == "application/json"
        return None if status in (401, 405) and json else f"answered {status} ({response['Content-Type']})"
    if status == 405:  # the method is refused before anything is looked up: nothing is let in or shown
        return None
    if level == PUBLIC:
        return None
    if role == "anonymous":
        return None if refused_as_anonymous(response) else f"let an anonymous visitor in ({status})"
    if role == "other account's agent":
        if level in (ADMIN, END_USER):
            return None if status == 403 else f"let another account's agent in ({status})"
        if level in (TEAM, ADMIN_ON_RECORD, ASSUMERS) and names_record:
            return None if status == 404 else f"showed another account's record ({status})"
        return None if status not in (401, 403) and not refused_as_anonymous(response) else f"refused ({status})"
    allowed = {
        SIGNED_IN: True,
        TEAM: role in ("agent", "admin"),
        ADMIN: role == "admin",
        ADMIN_ON_RECORD: role == "admin",
        ASSUMERS: role == "admin",
        END_USER: role == "end user",
    }[level]
    if allowed:
        return None if status not in (401, 403) and not refused_as_anonymous(response) else f"refused ({status})"
    return None if status == 403 else f"let the {role} in ({status})"


PATTERNS = list(url_patterns())


def test_every_url_pattern_says_who_may_use_it():
    assert {name for name, _route, _parameters in PATTERNS} == set(ACCESS)


@pytest.mark.parametrize(("name", "route", "parameters"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_every_role_gets_what_its_level_allows_and_no_cell_fails(
    name, route, parameters, acme_world, bob, alice, carol, charlie
):
    path = concrete(name, route, parameters, acme_world)
    level = ACCESS[name]
    names_record = bool(RECORDS & set(parameters))
    violations = []
    for role, new_client in clients(bob, alice, carol, charlie).items():
        for method in ("GET", "POST"):
            client = new_client()
            client.raise_request_exception = False
            response = client.get(path) if method == "GET" else client.post(path, {})
            problem = violation(level, role, names_record, response)
            if problem:
                violations.append(f"{method} {path} as {role}: {problem}")
            if role == "other account's agent" and response.status_code == 200 and names_record:
                assert "Carol Customer" not in response.content.decode(), f"{method} {path} showed Acme's customer"
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize(("name", "route", "parameters"), [p for p in PATTERNS if ACCESS[p[0]] == API])
def test_every_api_url_takes_only_its_own_accounts_token(name, route, parameters, acme_world, acme, alice, charlie):
    path = concrete(name, route, parameters, acme_world)
    own = api_token_create(account=acme, actor=alice, name="Own")[1]
    foreign = api_token_create(account=charlie.account, actor=charlie, name="Foreign")[1]

    for secret, expected in ((own, lambda s: s not in (401, 403) and s < 500), (foreign, lambda s: s in (401, 405))):
        client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
        for response in (client.get(path), client.post(path, json.dumps({}), content_type="application/json")):
            assert expected(response.status_code), (path, response.status_code)
            assert response["Content-Type"] == "application/json"


# The profile's record actions (its Actions menu), role by role, with the role the matrix above can't have: an
# agent of an account that lets agents assume identities. Each action's URL, who may use it (its confirmation
# page and its POST); everyone else on Acme is refused (403), another account's agent finds no customer (404).
AGENT_ASSUMING = "agent with assume allowed"
RECORD_ACTION_ROLES = {
    "profiles:assume_identity": {"admin", AGENT_ASSUMING},
    "profiles:upgrade_to_agent": {"admin"},
    "profiles:suspension": {"admin", "agent", AGENT_ASSUMING},
    "profiles:set_password": {"admin"},
    "profiles:send_password_reset": {"admin", "agent", AGENT_ASSUMING},
    "profiles:export": {"admin", "agent", AGENT_ASSUMING},
    "profiles:delete": {"admin"},
}
RECORD_ACTION_PATTERNS = [p for p in PATTERNS if p[0] in RECORD_ACTION_ROLES]
POST_ONLY_RECORD_ACTIONS = {"profiles:send_password_reset", "profiles:export"}
# What an allowed member's POST without fields gets: done (302, or the export's 200 download), or the form
# back with its errors (400) where fields are needed.
ANSWER_TO_AN_EMPTY_POST = {
    "profiles:assume_identity": 302,
    "profiles:upgrade_to_agent": 302,
    "profiles:suspension": 302,
    "profiles:set_password": 400,
    "profiles:send_password_reset": 302,
    "profiles:export": 200,
    "profiles:delete": 302,
}


def test_every_record_action_says_who_may_use_it():
    assert {name for name, _route, _parameters in RECORD_ACTION_PATTERNS} == set(RECORD_ACTION_ROLES)


@pytest.mark.parametrize("role", ["admin", "agent", AGENT_ASSUMING, "end user", "other account's agent"])
@pytest.mark.parametrize(
    ("name", "route", "parameters"), RECORD_ACTION_PATTERNS, ids=[p[0] for p in RECORD_ACTION_PATTERNS]
)
def test_each_record_action_is_for_whom_may_use_it(
    name, route, parameters, role, acme_world, acme, alice, bob, carol, charlie
):
    if role == AGENT_ASSUMING:
        account_set_agents_may_assume_identity(account=acme, actor=alice, allowed=True)
    path = concrete(name, route, parameters, acme_world)
    person = {"admin": alice, "end user": carol, "other account's agent": charlie}.get(role, bob)
    audited = AuditEntry.objects.filter(target_type="user", target_id=str(carol.pk))

    get = client_for(User.objects.get(pk=person.pk)).get(path)
    post = client_for(User.objects.get(pk=person.pk)).post(path, {})

    # A team member's GET of a POST-only action is refused (405) before anyone is looked up.
    post_only = name in POST_ONLY_RECORD_ACTIONS and role != "end user"
    if role == "other account's agent":
        assert (get.status_code, post.status_code) == (405 if post_only else 404, 404)
    elif role in RECORD_ACTION_ROLES[name]:
        assert (get.status_code, post.status_code) == (405 if post_only else 200, ANSWER_TO_AN_EMPTY_POST[name])
    else:
        assert (get.status_code, post.status_code) == (405 if post_only else 403, 403)
        assert not audited.exists()
