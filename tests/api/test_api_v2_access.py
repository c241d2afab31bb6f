"""Who may call what on the API v2: a token sees only its own account (another account's ids are a 404), an
agent's token reads user fields but can't change them, a revoked token is a 401."""

import base64
import json

import pytest
from django.test import Client

from accounts.models import ApiToken, Role
from accounts.services import api_token_create, api_token_revoke
from custom_fields.models import CustomField
from demo.factories import (
    CustomFieldFactory,
    IdentityFactory,
    MembershipFactory,
    OrganizationFactory,
    TicketFactory,
)


@pytest.fixture
def globex_records(globex, charlie, dave):
    organization = OrganizationFactory(account=globex, name="Globex Co")
    return {
        "user": dave.pk,
        "identity": IdentityFactory(user=dave).pk,
        "organization": organization.pk,
        "membership": MembershipFactory(user=dave, organization=organization).pk,
        "ticket": TicketFactory(account=globex, requester=dave, submitter=dave).pk,
        "user_field": CustomFieldFactory(account=globex, object_type="user", key="tier", title="Tier").pk,
        "organization_field": CustomFieldFactory(
            account=globex, object_type="organization", key="size", title="Size"
        ).pk,
    }


def foreign_urls(r: dict) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/v2/users/{r['user']}.json"),
        ("put", f"/api/v2/users/{r['user']}"),
        ("delete", f"/api/v2/users/{r['user']}"),
        ("get", f"/api/v2/users/{r['user']}/related"),
        ("get", f"/api/v2/users/{r['user']}/tags"),
        ("put", f"/api/v2/users/{r['user']}/tags"),
        ("get", f"/api/v2/users/{r['user']}/identities"),
        ("get", f"/api/v2/users/{r['user']}/identities/{r['identity']}"),
        ("put", f"/api/v2/users/{r['user']}/identities/{r['identity']}/make_primary"),
        ("put", f"/api/v2/users/{r['user']}/identities/{r['identity']}/verify"),
        ("delete", f"/api/v2/users/{r['user']}/identities/{r['identity']}"),
        ("get", f"/api/v2/organizations/{r['organization']}"),
        ("put", f"/api/v2/organizations/{r['organization']}"),
        ("delete", f"/api/v2/organizations/{r['organization']}"),
        ("get", f"/api/v2/organizations/{r['organization']}/users"),
        ("get", f"/api/v2/organization_memberships/{r['membership']}"),
        ("delete", f"/api/v2/organization_memberships/{r['membership']}"),
        ("put", f"/api/v2/users/{r['user']}/organization_memberships/{r['membership']}/make_default"),
        ("get", f"/api/v2/tickets/{r['ticket']}"),
        ("put", f"/api/v2/tickets/{r['ticket']}"),
        ("get", f"/api/v2/users/{r['user']}/tickets/requested"),
        ("get", f"/api/v2/users/{r['user']}/tickets/ccd"),
        ("get", f"/api/v2/user_fields/{r['user_field']}"),
        ("put", f"/api/v2/user_fields/{r['user_field']}"),
        ("delete", f"/api/v2/user_fields/{r['user_field']}"),
        ("get", f"/api/v2/organization_fields/{r['organization_field']}/options"),
    ]


BODIES = {
    "put": {
        "user": {"name": "Mine now"},
        "tags": ["x"],
        "organization": {"name": "Mine now"},
        "ticket": {"subject": "Mine now"},
        "user_field": {"title": "Mine now"},
    }
}


def call(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    body = BODIES.get(method, {})
    key = next((k for k in ("tags", "user_field", "organization", "ticket", "user") if f"/{k}" in url), "user")
    payload = {"tags": body["tags"]} if key == "tags" and body else {key: body.get(key, {})} if body else {}
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def test_a_token_of_one_account_gets_a_404_for_every_id_of_another(acme_api, globex_records, dave):
    for method, url in foreign_urls(globex_records):
        response = call(acme_api, method, url)

        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["error"] in ("RecordNotFound", "InvalidEndpoint"), url
    dave.refresh_from_db()
    assert dave.name == "Dave Elsewhere"
    assert CustomField.objects.get(pk=globex_records["user_field"]).title == "Tier"


def test_a_membership_naming_another_accounts_user_or_organization_names_both_fields(acme_api, globex_records):
    response = acme_api.post(
        "/api/v2/organization_memberships",
        {
            "organization_membership": {
                "user_id": globex_records["user"],
                "organization_id": globex_records["organization"],
            }
        },
        content_type="application/json",
    )

    assert response.status_code == 422
    assert set(response.json()["details"]) == {
        "organization_membership.user_id",
        "organization_membership.organization_id",
    }


def test_a_user_list_shows_only_the_tokens_account(acme_api, carol, dave):
    response = acme_api.get("/api/v2/users.json?role=end-user")

    assert [u["id"] for u in response.json()["users"]] == [carol.pk]


def basic(email: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{email}/token:{secret}".encode()).decode()


@pytest.fixture
def as_bob_api(acme, alice, bob):
    secret = api_token_create(account=acme, actor=alice, name="Agent app")[1]
    return Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=basic(bob.email, secret))


def test_an_agents_token_reads_user_fields_but_cant_manage_them(as_bob_api, acme):
    field = CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan")

    listed = as_bob_api.get("/api/v2/user_fields")
    created = as_bob_api.post(
        "/api/v2/user_fields", {"user_field": {"type": "text", "title": "Tier"}}, content_type="application/json"
    )
    updated = as_bob_api.put(
        f"/api/v2/user_fields/{field.pk}", {"user_field": {"title": "Changed"}}, content_type="application/json"
    )
    deleted = as_bob_api.delete(f"/api/v2/user_fields/{field.pk}")
    reordered = as_bob_api.put(
        "/api/v2/user_fields/reorder", {"user_field_ids": [field.pk]}, content_type="application/json"
    )

    assert listed.status_code == 200
    assert [r.status_code for r in (created, updated, deleted, reordered)] == [403, 403, 403, 403]
    assert created.json()["details"]["Authorization"][0]["error"] == "Forbidden"
    field.refresh_from_db()
    assert field.title == "Plan"
    assert list(CustomField.objects.values_list("key", flat=True)) == ["plan"]


def test_an_agents_token_cant_change_a_role_or_organizations(as_bob_api, carol):
    promoted = as_bob_api.put(f"/api/v2/users/{carol.pk}", {"user": {"role": "admin"}}, content_type="application/json")
    organization = as_bob_api.post(
        "/api/v2/organizations", {"organization": {"name": "Bob's"}}, content_type="application/json"
    )

    assert (promoted.status_code, organization.status_code) == (403, 403)
    carol.refresh_from_db()
    assert carol.role == Role.END_USER


def test_an_admins_token_upgrades_a_customer_to_agent(acme_api, carol):
    response = acme_api.put(f"/api/v2/users/{carol.pk}", {"user": {"role": "agent"}}, content_type="application/json")

    assert response.status_code == 200
    carol.refresh_from_db()
    assert carol.role == Role.AGENT


def test_a_revoked_token_is_a_401_on_every_resource(acme, alice, carol):
    token, secret = api_token_create(account=acme, actor=alice, name="Old")
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"/api/v2/users/{carol.pk}").status_code == 200

    api_token_revoke(token=token, actor=alice)

    for url in (f"/api/v2/users/{carol.pk}", "/api/v2/users/me.json", "/api/v2/user_fields", "/api/v2/tickets"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["details"]["Authorization"][0]["error"] == "InvalidValue"


def test_a_token_that_acts_for_nobody_is_told_to_name_a_team_member(acme, carol):
    secret = api_token_create(account=acme, actor=None, name="Script")[1]
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = client.get(f"/api/v2/users/{carol.pk}")

    assert response.status_code == 403
    assert "Basic" in response.json()["details"]["Authorization"][0]["description"]
    assert ApiToken.objects.get().last_used_at is not None


def test_a_customer_named_in_a_basic_token_is_refused(acme, alice, carol):
    secret = api_token_create(account=acme, actor=alice, name="Shop")[1]
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=basic(carol.email, secret))

    assert client.get("/api/v2/users/me").status_code == 401


def test_team_members_are_read_but_not_changed_through_a_token(acme_api, bob):
    shown = acme_api.get(f"/api/v2/users/{bob.pk}")
    renamed = acme_api.put(f"/api/v2/users/{bob.pk}", {"user": {"name": "Robert"}}, content_type="application/json")
    deleted = acme_api.delete(f"/api/v2/users/{bob.pk}")

    assert shown.json()["user"]["role"] == "agent"
    assert (renamed.status_code, deleted.status_code) == (403, 403)
    bob.refresh_from_db()
    assert bob.name == "Bob Agent"


def test_a_job_status_of_another_account_is_a_404(acme_api, globex_api, carol):
    started = acme_api.delete(f"/api/v2/users/destroy_many.json?ids={carol.pk}")
    job = started.json()["job_status"]["id"]

    assert acme_api.get(f"/api/v2/job_statuses/{job}").status_code == 200
    assert globex_api.get(f"/api/v2/job_statuses/{job}.json").status_code == 404
