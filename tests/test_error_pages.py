"""Error pages: styled like the product, in the reader's language, saying what happened and where to go
next; JSON under /api/, whatever failed (404, 405, 500, a database outage)."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from accounts.services import api_token_create, user_set_preferences
from config.urls import urlpatterns as site_urlpatterns
from tests.conftest import client_for


def _boom(request):
    raise ZeroDivisionError("a bug")


def _database_down(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


def _fine(request):
    return HttpResponse("fine")


# A URL conf with views that fail, beside the site's own (and its error handlers).
urlpatterns = [
    path("boom/", _boom),
    path("api/v2/boom", _boom),
    path("down/", _database_down),
    path("api/v2/down", _database_down),
    *site_urlpatterns,
]
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"


def lenient(client: Client) -> Client:
    client.raise_request_exception = False
    return client


def test_a_missing_page_says_so_and_offers_the_customer_list_to_an_agent(as_bob):
    response = as_bob.get("/agent/nowhere/")

    assert response.status_code == 404
    assert "We couldn&#x27;t find that page" in response.text
    assert 'href="/agent/users/"' in response.text
    assert 'class="app-bar"' in response.text and "css/app.css" in response.text


def test_a_missing_page_offers_sign_in_to_a_visitor(anonymous):
    response = anonymous.get("/agent/nowhere/")

    assert response.status_code == 404
    assert 'href="/sign-in/"' in response.text


def test_a_refused_page_says_why_and_offers_the_customers_own_requests(as_carol):
    response = as_carol.get("/agent/users/")

    assert response.status_code == 403
    assert "You don&#x27;t have access to this page" in response.text
    assert 'href="/portal/"' in response.text
    assert "403 Forbidden" not in response.text


def test_a_page_reached_with_the_wrong_method_is_a_styled_405_that_keeps_allow(as_bob):
    response = as_bob.get("/agent/profile-experience/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This page can&#x27;t be used that way" in response.text


def test_error_pages_speak_the_readers_language(bob, as_bob):
    user_set_preferences(user=bob, locale="fr", time_zone="Europe/Paris")

    response = as_bob.get("/agent/nowhere/")

    assert response.status_code == 404
    assert '<html lang="fr">' in response.text
    assert "Nous n’avons pas trouvé cette page" in response.text


def test_a_visitors_error_page_speaks_their_browsers_language(acme):
    response = Client(HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="fr").get("/nowhere/")

    assert "Nous n’avons pas trouvé cette page" in response.text


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_is_a_styled_500_page(as_bob):
    response = lenient(as_bob).get("/boom/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "ZeroDivisionError" not in response.text


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_under_the_api_is_a_json_500(acme_api):
    response = lenient(acme_api).get("/api/v2/boom")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"] == "InternalError"


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_outage_is_a_friendly_503_asking_to_retry(as_bob):
    response = lenient(as_bob).get("/down/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "The helpdesk is briefly unavailable" in response.text
    assert 'href="/down/"' in response.text  # "Try again"


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_outage_under_the_api_is_a_json_503_with_retry_after(acme_api):
    response = lenient(acme_api).get("/api/v2/down")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert json.loads(response.content)["error"] == "ServiceUnavailable"


def test_when_the_database_is_unreachable_before_any_view_the_page_is_still_a_503(bob):
    client = lenient(client_for(bob))
    with mock.patch("accounts.middleware.account_and_token_for_host", side_effect=OperationalError("refused")):
        response = client.get("/agent/users/")

    assert response.status_code == 503
    assert "The helpdesk is briefly unavailable" in response.text


@pytest.mark.parametrize("path", ["/api/v2/nope", "/api/v2/users/abc/events", "/api/"])
def test_every_missing_api_url_is_a_json_404(acme_api, path):
    response = acme_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    # Under /api/v2/, in the original's words for a path it doesn't serve; elsewhere a plain NotFound.
    assert json.loads(response.content)["error"] == ("InvalidEndpoint" if path.startswith("/api/v2/") else "NotFound")


def test_a_form_sent_with_an_expired_token_says_so_in_plain_words(acme):
    strict = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)

    response = strict.post("/sign-in/", {"username": "x@example.com", "password": "whatever-it-is"})

    assert response.status_code == 403
    assert "This form expired" in response.text
    assert "CSRF verification failed" not in response.text


def test_an_unknown_subdomain_is_a_404_page_not_the_default_account(settings, acme):
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"

    response = Client(HTTP_HOST="nosuch.localhost").get("/sign-in/")

    assert response.status_code == 404
    assert "There&#x27;s no helpdesk at this address" in response.text
    assert "Acme" not in response.text


def test_the_default_accounts_api_token_works_on_its_hosts_and_on_no_unknown_subdomain(settings, acme, alice, carol):
    settings.DEFAULT_ACCOUNT_SUBDOMAIN = "acme"
    secret = api_token_create(account=acme, actor=alice, name="Shop")[1]
    path = f"/api/v2/users/{carol.pk}/events"

    def get(host):
        return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {secret}").get(path)

    unknown = get("nosuch.localhost")

    assert unknown.status_code == 404
    assert json.loads(unknown.content)["error"] == "NotFound"
    assert get("acme.localhost").status_code == get("localhost").status_code == 200


def test_a_nul_in_a_query_parameter_is_refused_with_a_page(as_bob):
    response = as_bob.get("/agent/users/?q=a%00b")

    assert response.status_code == 422
    assert "This request couldn&#x27;t be read" in response.text


def test_a_nul_in_an_api_query_parameter_is_a_422_naming_it(acme_api, carol):
    response = acme_api.get(f"/api/v2/users/{carol.pk}/events?filter%5Bsource%5D=a%00b")

    assert response.status_code == 422
    assert list(json.loads(response.content)["details"]) == ["filter[source]"]


def test_profile_pages_and_api_answers_are_never_kept_by_a_cache(acme, alice, as_bob, carol, acme_api):
    page = as_bob.get(f"/agent/users/{carol.pk}/")
    api = acme_api.get(f"/api/v2/users/{carol.pk}/events")

    assert page.status_code == api.status_code == 200
    for response in (page, api):
        assert set(response["Cache-Control"].split(", ")) >= {"private", "no-store"}


def test_a_form_sent_by_hand_with_a_bad_value_is_refused_on_a_styled_page_that_says_why(as_alice, alice):
    from custom_fields.services import custom_field_create

    field = custom_field_create(account=alice.account, actor=alice, object_type="user", title="Seats", type="text")

    response = as_alice.post(f"/admin-center/people/user-fields/{field.pk}/move/", {"direction": "sideways"})

    assert response.status_code == 400
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html") and "Move a field up or down." in page
    assert 'class="card error-page"' in page and 'href="/agent/users/"' in page


def test_an_htmx_request_keeps_its_plain_refusal(as_alice, alice):
    from custom_fields.services import custom_field_create

    field = custom_field_create(account=alice.account, actor=alice, object_type="user", title="Seats", type="text")

    response = as_alice.post(
        f"/admin-center/people/user-fields/{field.pk}/move/", {"direction": "sideways"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400 and response.content.decode() == "Move a field up or down."


@pytest.mark.parametrize(
    ("language", "heading", "way_back"),
    [("en", "Too many attempts", "Go to customers"), ("fr", "Trop de tentatives", "Aller aux clients")],
)
def test_a_429_page_is_styled_translated_and_offers_a_way_back(bob, language, heading, way_back):
    from django.test import RequestFactory

    from config.errors import too_many_requests

    request = RequestFactory().get("/agent/users/", HTTP_HOST="acme.localhost")
    request.account, request.user, request.LANGUAGE_CODE = bob.account, bob, language

    response = too_many_requests(request, retry_after=60)

    page = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert heading in page and way_back in page and f'lang="{language}"' in page
