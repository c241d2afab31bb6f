"""/healthz tells a load balancer whether this process can serve pages: the database and the collected
static files (their manifest) must both be there. It answers any host, over plain HTTP."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost:8000", "web:8000", "10.0.0.7"])
def test_it_says_ok_to_a_probe_from_any_host(host):
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_it_answers_over_plain_http_when_everything_else_redirects_to_https():
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_it_fails_when_the_database_cant_be_reached():
    with mock.patch("config.middleware.connection.cursor", side_effect=OperationalError("refused")):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.content == b"database unreachable"


@pytest.mark.django_db
def test_it_fails_when_the_static_files_were_never_collected(tmp_path):
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert b"collectstatic" in response.content


@pytest.mark.django_db
def test_it_is_ok_once_they_are(tmp_path):
    manifest = {"paths": {"css/app.css": "css/app.0123456789ab.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))

    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path):
        response = Client().get("/healthz")

    assert response.status_code == 200
