"""manage.py create_account: a fresh production gets its first helpdesk and admin from the command line."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, AuditEntry, Role, User
from tests.conftest import client_for


def test_it_creates_the_account_and_an_admin_who_can_sign_in(db, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-enough-password")

    call_command(
        "create_account", subdomain="Initech", name="Initech", admin_email="Peter@initech.test", admin_name="Peter"
    )

    account = Account.objects.get(subdomain="initech")
    admin = User.objects.get(account=account)
    assert admin.role == Role.ADMIN and admin.email == "peter@initech.test"
    assert AuditEntry.objects.filter(account=account, action="account.created").exists()
    visitor = client_for(None, host="initech.localhost")
    response = visitor.post("/sign-in/", {"username": "peter@initech.test", "password": "a-long-enough-password"})
    assert response.status_code == 302
    assert "Created Initech (initech)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        ({"subdomain": "acme"}, "a-long-enough-password", "exists already"),
        ({"subdomain": "not a slug"}, "a-long-enough-password", "Enter a valid"),
        ({"admin_email": "nobody"}, "a-long-enough-password", "valid email"),
        ({}, "short", "too short"),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(acme, monkeypatch, options, password, message):
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    arguments = {"subdomain": "initech", "name": "Initech", "admin_email": "peter@initech.test", "admin_name": "P"}

    with pytest.raises(CommandError, match=message):
        call_command("create_account", **(arguments | options))

    assert list(Account.objects.values_list("subdomain", flat=True)) == ["acme"]
