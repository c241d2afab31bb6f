"""The database settings read from the environment, and the account each request's host names."""

import pytest
from django.test import override_settings

from accounts.models import Account
from accounts.selectors import account_for_host
from config.env import ConfigError, env_database, env_database_replicas

LOCAL = "var/local.sqlite3"  # the file used when no URL is set
PREPARED = {"server_side_binding", "prepare_threshold"}


@pytest.fixture
def environment(monkeypatch):
    """Set the database URL (and, optionally, the prepared statements switch) as the environment would."""
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)

    def set(url: str | None, prepared: str | None = None) -> None:
        if url is None:
            monkeypatch.delenv("X", raising=False)
        else:
            monkeypatch.setenv("X", url)
        if prepared is not None:
            monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", prepared)

    return set


# env_database


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgresql_database_keeps_repeated_queries_prepared(environment, scheme):
    environment(f"{scheme}://app@db.internal:5432/helpdesk")

    config = env_database("X", LOCAL)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["OPTIONS"]["server_side_binding"] is True
    assert config["OPTIONS"]["prepare_threshold"] == 3


@pytest.mark.parametrize("off", ["false", "0", "no", "off"])
def test_prepared_statements_can_be_turned_off_for_a_pooler(environment, off):
    environment("postgres://app@db.internal:5432/helpdesk", prepared=off)

    config = env_database("X", LOCAL)

    assert PREPARED.isdisjoint(config.get("OPTIONS", {}))
    assert config["NAME"] == "helpdesk"


def test_options_given_in_the_url_are_kept_beside_prepared_statements(environment):
    environment("postgres://app@db.internal:5432/helpdesk?sslmode=require")

    config = env_database("X", LOCAL)

    assert config["OPTIONS"] == {"sslmode": "require", "server_side_binding": True, "prepare_threshold": 3}


def test_a_sqlite_url_gets_no_prepared_statement_options(environment):
    environment("sqlite:////tmp/elsewhere.sqlite3")

    config = env_database("X", LOCAL)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert PREPARED.isdisjoint(config.get("OPTIONS", {}))


def test_no_url_means_the_local_sqlite_file_without_options(environment):
    environment(None, prepared="true")

    config = env_database("X", LOCAL)

    assert config == {"ENGINE": "django.db.backends.sqlite3", "NAME": LOCAL}


def test_a_bad_prepared_statements_switch_stops_start_up_naming_it(environment):
    environment("postgres://app@db.internal:5432/helpdesk", prepared="sometimes")

    with pytest.raises(ConfigError, match="DATABASE_PREPARED_STATEMENTS"):
        env_database("X", LOCAL)


# env_database_replicas

PRIMARY = {"ENGINE": "django.db.backends.postgresql", "NAME": "helpdesk"}


def test_no_replica_urls_means_no_replicas(environment):
    environment(None)

    assert env_database_replicas("X", PRIMARY) == {}


def test_each_replica_url_is_a_database_named_in_order_that_tests_never_create(environment):
    environment("postgres://app@replica-a:5432/helpdesk, postgres://app@replica-b:5433/helpdesk?sslmode=require")

    replicas = env_database_replicas("X", PRIMARY)

    assert list(replicas) == ["replica1", "replica2"]
    assert (replicas["replica1"]["HOST"], replicas["replica2"]["PORT"]) == ("replica-a", 5433)
    assert replicas["replica2"]["OPTIONS"]["sslmode"] == "require"
    assert replicas["replica1"]["OPTIONS"]["connect_timeout"] == 2  # a replica that hangs costs 2 s, not a request
    assert replicas["replica1"]["OPTIONS"]["server_side_binding"] is True
    assert replicas["replica1"]["TEST"] == {"MIRROR": "default"}


@pytest.mark.parametrize(
    ("urls", "primary", "problem"),
    [
        ("postgres://app@replica/helpdesk", {"ENGINE": "django.db.backends.sqlite3", "NAME": LOCAL}, "PostgreSQL"),
        ("mysql://app@replica/helpdesk", PRIMARY, "postgres:// URLs"),
        ("postgres://app@replica/other", PRIMARY, "the primary's database 'helpdesk'"),
        ("postgres://app@replica", PRIMARY, "must name a database"),
    ],
)
def test_a_bad_replica_url_stops_start_up_naming_the_variable(environment, urls, primary, problem):
    environment(urls)

    with pytest.raises(ConfigError, match="X") as error:
        env_database_replicas("X", primary)

    assert problem in str(error.value)


def test_a_refused_replica_url_is_not_printed_with_its_password(environment):
    environment("mysql://app:s3cret@replica/helpdesk")

    with pytest.raises(ConfigError) as error:
        env_database_replicas("X", PRIMARY)

    assert "s3cret" not in str(error.value)


# account_for_host


@pytest.mark.parametrize("host", ["acme.localhost", "acme.localhost:8000", "ACME.Helpdesk.example"])
@override_settings(DEFAULT_ACCOUNT_SUBDOMAIN="globex")
def test_a_hosts_first_label_names_the_account(acme, globex, host):
    account = account_for_host(host)

    assert account == acme


def columns(account: Account) -> dict:
    return {field.attname: getattr(account, field.attname) for field in Account._meta.concrete_fields}


def test_the_account_comes_back_whole(acme):
    account = account_for_host("acme.localhost")

    assert columns(account) == columns(Account.objects.get(pk=acme.pk))
    assert account._state.adding is False


@pytest.mark.parametrize("host", ["nowhere.localhost", "nowhere.localhost:8000", "nowhere.helpdesk.example"])
@override_settings(DEFAULT_ACCOUNT_SUBDOMAIN="globex", MAIN_DOMAIN="helpdesk.example")
def test_an_unknown_subdomain_is_no_account_not_the_default_one(acme, globex, host):
    account = account_for_host(host)

    assert account is None


# One label, an IP address, or MAIN_DOMAIN itself (any case, with or without the root's dot).
BARE_HOSTS = ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "web"]
BARE_HOSTS += ["helpdesk.example", "HelpDesk.Example.:443"]


@pytest.mark.parametrize("host", BARE_HOSTS)
@override_settings(DEFAULT_ACCOUNT_SUBDOMAIN="globex", MAIN_DOMAIN="helpdesk.example")
def test_a_bare_host_is_the_default_account(acme, globex, host):
    account = account_for_host(host)

    assert account == globex


@pytest.mark.parametrize("host", ["localhost", "nowhere.localhost"])
@override_settings(DEFAULT_ACCOUNT_SUBDOMAIN="missing")
def test_no_account_when_the_default_one_does_not_exist(acme, host):
    account = account_for_host(host)

    assert account is None
