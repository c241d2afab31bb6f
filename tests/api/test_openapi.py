"""The OpenAPI document, generated from the shapes, and schemathesis against it: no 5xx, no response that
breaks the document, and every 4xx names the field (or header, or parameter) at fault.

Examples are bounded (a few generated ones per operation, positive and negative) so the suite stays fast;
SCHEMATHESIS_FULL=1 adds schemathesis' coverage phase (every boundary value of every field, ~40 requests an
operation) and 50 examples an operation: a few minutes, worth a run after changing a shape.
"""

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from accounts.services import api_token_create
from api.openapi import openapi_document
from custom_fields.models import FieldType
from demo.factories import CustomFieldFactory, OrganizationFactory, TicketFactory, UserFactory

FULL = os.environ.get("SCHEMATHESIS_FULL", "") not in ("", "0")
EXAMPLES = 50 if FULL else 4


def test_the_document_is_openapi_3_1_and_lists_every_resource(anonymous):
    response = anonymous.get("/api/v2/openapi.json")

    document = response.json()
    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    for path in (
        "/api/v2/users",
        "/api/v2/users/{user_id}",
        "/api/v2/users/{user_id}/identities/{identity_id}/make_primary",
        "/api/v2/organization_memberships",
        "/api/v2/users/{user_id}/tickets/ccd",
        "/api/v2/user_fields/reorder",
        "/api/v2/job_statuses/{job_id}",
    ):
        assert path in document["paths"]
    assert set(document["paths"]["/api/v2/users/{user_id}"]) == {"get", "put", "delete"}
    user = document["components"]["schemas"]["User"]
    assert {"id", "email", "user_fields", "tags", "last_login_at"} <= set(user["required"])


def test_the_document_is_built_from_the_same_shapes_the_views_read():
    document = json.loads(openapi_document())

    write = document["components"]["schemas"]["UserWrite"]
    assert write["properties"]["name"]["maxLength"] == 255
    operation = document["paths"]["/api/v2/users/{user_id}"]["put"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserBody"
    }


schema = schemathesis.openapi.from_dict(
    json.loads(openapi_document()), config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": FULL}}})
)
schema.app = WSGIHandler()


@pytest.fixture
def world(acme, alice, carol, settings):
    """Records for the generated requests to find now and then (ids are small numbers), and Alice's token."""
    # As Django's test client does: the test's transaction outlives each request the application answers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"  # schemathesis calls the application as "localhost"
    CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan", type=FieldType.TEXT)
    organization = OrganizationFactory(account=acme, name="Shop Co")
    TicketFactory(account=acme, requester=carol, submitter=carol, organization=organization)
    yield {"Authorization": f"Bearer {api_token_create(account=acme, actor=alice, name='fuzz')[1]}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def names_the_field(ctx, response, case):
    """Every 4xx answer says which field, header or parameter is at fault."""
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert body.get("details"), f"{response.status_code} without details: {body}"
        for field, problems in body["details"].items():
            assert field and problems and problems[0]["description"], body
    return None


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_5xx_or_breaks_the_document(case, world):
    response = case.call(headers=world)

    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            names_the_field,
        ],
    )


@pytest.mark.parametrize("role", [Role.AGENT])
def test_the_document_needs_no_token_but_every_resource_does(acme, role, anonymous):
    UserFactory(account=acme, role=role, email="agent@acme.test")

    assert anonymous.get("/api/v2/openapi.json").status_code == 200
    refused = anonymous.get("/api/v2/users/me")
    assert refused.status_code == 401
    assert refused.json()["details"]["Authorization"][0]["error"] == "InvalidValue"


def test_an_unknown_path_under_the_api_is_a_json_404_naming_it(acme_api):
    response = acme_api.get("/api/v2/no_such_thing.json")

    assert response.status_code == 404
    assert response.json()["details"]["path"][0]["error"] == "NotFound"
