"""The users endpoints' conventions, as clients of the original rely on them: envelopes, both page styles,
side-loading, create_or_update's 200/201, errors naming each field, bulk jobs to poll."""

import json

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from activity.models import Event
from custom_fields.models import FieldType
from demo.factories import CustomFieldFactory, IdentityFactory, MembershipFactory, OrganizationFactory, UserFactory
from profiles.models import Identity


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_user_reads_in_the_originals_shape_with_and_without_json(acme_api, acme, carol):
    organization = OrganizationFactory(account=acme, name="Shop Co")
    MembershipFactory(user=carol, organization=organization, default=True)
    CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan")

    plain = acme_api.get(f"/api/v2/users/{carol.pk}")
    suffixed = acme_api.get(f"/api/v2/users/{carol.pk}.json?include=organizations,identities")

    user = plain.json()["user"]
    assert plain.status_code == suffixed.status_code == 200
    assert user["url"] == f"http://acme.localhost/api/v2/users/{carol.pk}.json"
    assert (user["email"], user["role"], user["tags"], user["organization_id"]) == (
        "carol@example.com",
        "end-user",
        ["vip", "beta"],
        organization.pk,
    )
    assert user["user_fields"] == {"plan": None}
    assert user["created_at"].endswith("Z") and "." not in user["created_at"]
    side = suffixed.json()
    assert [o["name"] for o in side["organizations"]] == ["Shop Co"]
    assert [i["value"] for i in side["identities"]] == ["carol@example.com"]


def test_offset_pages_carry_next_page_previous_page_and_count(acme_api, acme):
    for n in range(3):
        UserFactory(account=acme, name=f"Person {n}")

    first = acme_api.get("/api/v2/users.json?role=end-user&per_page=2").json()
    second = acme_api.get(first["next_page"].removeprefix("http://acme.localhost")).json()

    assert (len(first["users"]), first["count"], first["previous_page"]) == (2, 3, None)
    assert "page=2" in first["next_page"]
    assert (len(second["users"]), second["next_page"]) == (1, None)
    assert second["previous_page"].endswith("page=1&per_page=2")


def test_cursor_pages_carry_meta_and_links_with_the_query_unencoded(acme_api, acme):
    for n in range(3):
        UserFactory(account=acme, name=f"Person {n}")

    first = acme_api.get("/api/v2/users?role=end-user&page[size]=2").json()
    second = acme_api.get(first["links"]["next"].removeprefix("http://acme.localhost")).json()

    assert first["meta"]["has_more"] is True
    assert "page[size]=2" in first["links"]["next"] and "page[after]=" in first["links"]["next"]
    assert second["meta"]["has_more"] is False
    assert len({u["id"] for u in first["users"] + second["users"]}) == 3


def test_a_bad_page_parameter_is_a_400_naming_it(acme_api):
    response = acme_api.get("/api/v2/users?page[size]=1000")

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["page[size]"]


def test_create_or_update_answers_201_then_200_for_the_same_external_id(acme_api):
    created = post(acme_api, "/api/v2/users/create_or_update", {"user": {"name": "Eve", "external_id": "shop-9"}})
    updated = post(
        acme_api, "/api/v2/users/create_or_update.json", {"user": {"name": "Eve Shopper", "external_id": "shop-9"}}
    )

    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["user"]["id"] == updated.json()["user"]["id"]
    assert User.objects.get(external_id="shop-9").name == "Eve Shopper"


def test_every_field_at_fault_is_named_and_nothing_is_written(acme_api, acme, carol):
    CustomFieldFactory(account=acme, object_type="user", key="age", title="Age", type=FieldType.INTEGER)

    response = put(
        acme_api,
        f"/api/v2/users/{carol.pk}",
        {"user": {"name": "Carol C", "locale": "xx", "time_zone": "Mars/Base", "user_fields": {"age": "old"}}},
    )

    assert response.status_code == 422
    body = response.json()
    assert (body["error"], body["description"]) == ("RecordInvalid", "Record validation errors")
    assert set(body["details"]) == {"user.locale", "user.time_zone", "user.user_fields.age"}
    carol.refresh_from_db()
    assert carol.name == "Carol Customer"


def test_a_body_of_the_wrong_shape_names_the_field(acme_api, carol):
    wrong_type = put(acme_api, f"/api/v2/users/{carol.pk}", {"user": {"name": 12}})
    missing = put(acme_api, f"/api/v2/users/{carol.pk}", {"person": {}})

    assert wrong_type.json()["details"]["user.name"][0]["error"] == "InvalidType"
    assert missing.json()["details"]["user"][0]["error"] == "Required"


def test_an_update_that_fails_half_way_writes_nothing(acme_api, acme, carol):
    UserFactory(account=acme, name="Owner", email="taken@example.com")

    response = put(acme_api, f"/api/v2/users/{carol.pk}", {"user": {"name": "Carol New", "email": "taken@example.com"}})

    assert response.status_code == 422
    assert response.json()["details"]["user.email"][0]["error"] == "DuplicateValue"
    carol.refresh_from_db()
    assert carol.name == "Carol Customer"
    assert not Event.objects.filter(customer=carol).exists()


def test_an_update_adds_a_phone_joins_an_organization_and_suspends(acme_api, acme, carol):
    organization = OrganizationFactory(account=acme, name="Shop Co")

    response = put(
        acme_api,
        f"/api/v2/users/{carol.pk}",
        {"user": {"phone": "+33 1 23 45 67 89", "organization_id": organization.pk, "suspended": True}},
    )

    user = response.json()["user"]
    assert (user["phone"], user["organization_id"], user["suspended"], user["active"]) == (
        "+33123456789",
        organization.pk,
        True,
        False,
    )
    assert {"identity_created", "organization_added", "user_suspension_changed"} <= set(
        Event.objects.filter(customer=carol).values_list("type", flat=True)
    )


def test_show_many_me_and_related(acme_api, acme, alice, carol):
    other = UserFactory(account=acme, name="Other", external_id="ext-2")

    many = acme_api.get(f"/api/v2/users/show_many.json?ids={carol.pk},{other.pk}").json()
    by_external = acme_api.get("/api/v2/users/show_many?external_ids=ext-2").json()
    me = acme_api.get("/api/v2/users/me.json").json()
    related = acme_api.get(f"/api/v2/users/{carol.pk}/related").json()

    assert [u["id"] for u in many["users"]] == [carol.pk, other.pk]
    assert [u["id"] for u in by_external["users"]] == [other.pk]
    assert me["user"]["id"] == alice.pk
    assert related["user_related"]["requested_tickets"] == 0


def test_tags_are_listed_set_added_and_removed(acme_api, carol):
    url = f"/api/v2/users/{carol.pk}/tags.json"

    listed = acme_api.get(url).json()["tags"]
    added = put(acme_api, url, {"tags": ["gold"]}).json()["tags"]
    removed = acme_api.delete(url, json.dumps({"tags": ["vip"]}), content_type="application/json").json()["tags"]
    replaced = post(acme_api, url, {"tags": ["only"]}).json()["tags"]

    assert (listed, added, removed, replaced) == (["vip", "beta"], ["vip", "beta", "gold"], ["beta", "gold"], ["only"])


def test_delete_answers_204_and_the_user_is_gone(acme_api, carol):
    response = acme_api.delete(f"/api/v2/users/{carol.pk}")

    assert response.status_code == 204
    assert acme_api.get(f"/api/v2/users/{carol.pk}").json()["error"] == "RecordNotFound"


def test_bulk_jobs_run_in_the_background_and_report_each_item(
    acme_api, acme, carol, django_capture_on_commit_callbacks
):
    # The job is handed to the worker once its row is committed (tasks run at once in tests).
    with django_capture_on_commit_callbacks(execute=True):
        created = post(
            acme_api,
            "/api/v2/users/create_many.json",
            {"users": [{"name": "One", "email": "one@shop.test"}, {"name": "Two", "email": "carol@example.com"}]},
        )
        updated = put(acme_api, f"/api/v2/users/update_many.json?ids={carol.pk}", {"user": {"notes": "bulk"}})
    assert created.json()["job_status"]["status"] == "queued"

    job = created.json()["job_status"]
    polled = acme_api.get(f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
    assert polled["status"] == "completed" and polled["total"] == polled["progress"] == 2
    first, second = polled["results"]
    assert (first["status"], first["success"]) == ("Created", True)
    assert (second["success"], second["error"]) == (False, "DuplicateValue")
    assert "user.email" in second["details"]
    assert User.objects.filter(email="one@shop.test").exists()
    update_job = updated.json()["job_status"]["id"]
    assert acme_api.get(f"/api/v2/job_statuses/{update_job}").json()["job_status"]["results"][0]["status"] == "Updated"
    carol.refresh_from_db()
    assert carol.notes == "bulk"


def test_identities_refuse_removing_the_primary_email_with_a_message(acme_api, carol):
    primary = Identity.objects.get(user=carol, primary=True)

    response = acme_api.delete(f"/api/v2/users/{carol.pk}/identities/{primary.pk}")

    assert response.status_code == 422
    assert "primary email" in response.json()["details"]["id"][0]["description"]


@override_settings(API_RATE_LIMIT_PER_MINUTE=2)
def test_beyond_the_rate_limit_a_user_call_is_a_429_with_retry_after(acme_api, carol):
    for _ in range(2):
        assert acme_api.get(f"/api/v2/users/{carol.pk}").status_code == 200

    response = acme_api.get(f"/api/v2/users/{carol.pk}")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_user_is_read_in_a_fixed_number_of_queries_whatever_they_have(acme_api, acme, carol):
    CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan")
    for n in range(3):
        MembershipFactory(user=carol, organization=OrganizationFactory(account=acme, name=f"Org {n}"))
        IdentityFactory(user=carol)
    url = f"/api/v2/users/{carol.pk}"
    acme_api.get(url)  # the token's "last used" is written once a minute, not on every call

    with CaptureQueriesContext(connection) as queries:
        response = acme_api.get(url)

    # Integrations call this in loops: the account with the token (1), the team member it acts for (1), the
    # user (1) with their identities (1) and memberships (1); the user fields' definitions are kept by each
    # process under the account's version, read with the account.
    assert response.status_code == 200
    assert len(queries) == 5, [q["sql"] for q in queries]


def test_a_bulk_item_with_text_no_database_keeps_is_refused_naming_it(acme_api):
    response = post(acme_api, "/api/v2/users/create_many", {"users": [{"name": "Fine"}, {"name": "Nul\u0000l"}]})

    assert response.status_code == 422
    assert list(response.json()["details"]) == ["users[1].name"]


def test_text_no_database_keeps_is_refused_naming_the_field_on_any_write(acme_api, carol):
    ticket = post(acme_api, "/api/v2/tickets", {"ticket": {"subject": "Lone \ud800", "requester_id": carol.pk}})
    field = post(acme_api, "/api/v2/user_fields", {"user_field": {"type": "text", "title": "Nul\u0000"}})

    assert (ticket.status_code, field.status_code) == (422, 422)
    assert list(ticket.json()["details"]) == ["ticket.subject"]
    assert list(field.json()["details"]) == ["user_field.title"]
