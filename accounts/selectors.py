"""Reads on accounts and team members."""

import datetime
import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.http.request import split_domain_port
from django.utils import timezone

from accounts.models import Account, ApiToken, AuditEntry, User
from common.keyset import paginate


def account_for_host(host: str) -> Account | None:
    """The account the host names (see `subdomain_for_host`), or None."""
    account, _token = account_and_token_for_host(host, None)
    return account


def account_and_token_for_host(host: str, token_hash: str | None) -> tuple[Account | None, tuple | None]:
    """The host's account (as `account_for_host`) and, in the same query, that account's active API token
    with this hash as (id, created_by_id, wrote_at), or None. An API request needs both: one round trip, not
    two."""
    named = subdomain_for_host(host)
    # Plain SQL: every request runs this, and building it through the ORM costs more than running it.
    sql, names, converters = _account_query(with_token=token_hash is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, [named] if token_hash is None else [token_hash, named])
        row = cursor.fetchone()
    if row is None:
        return None, None
    row = list(row)
    for index, column, convert in converters:  # values as the ORM would give them (SQLite's times, for one)
        row[index] = convert(row[index], column, connection)
    token = None
    if token_hash is not None:
        token_id, created_by_id, wrote_at = row[len(names) :]
        row = row[: len(names)]
        token = None if token_id is None else (token_id, created_by_id, wrote_at)
    return Account.from_db(connection.alias, names, row), token


def subdomain_for_host(host: str) -> str:
    """The subdomain of the account a host names: its first label (`acme.localhost`, `acme.example.com`);
    the default account's for a bare host only (one label such as `localhost`, an IP address, or
    MAIN_DOMAIN itself). An unknown subdomain names an account that doesn't exist: it never falls back
    to the default one, so one helpdesk's address can't show another's."""
    return _subdomain(host, settings.DEFAULT_ACCOUNT_SUBDOMAIN, settings.MAIN_DOMAIN)


@functools.lru_cache(maxsize=1024)
def _subdomain(host: str, default: str, main_domain: str) -> str:
    hostname, _port = split_domain_port(host)
    hostname = hostname.rstrip(".")
    if "." not in hostname or hostname == main_domain or _is_ip_address(hostname):
        return default
    return hostname.split(".", 1)[0]


def _is_ip_address(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return False
    return True


@functools.cache
def _account_query(*, with_token: bool) -> tuple[str, list[str], list]:
    """The named account, every column (a whole Account) with the database's converters for each;
    optionally followed by the id, creator and last write of its active token with a given hash."""
    fields = Account._meta.concrete_fields
    columns = ", ".join(f"account.{connection.ops.quote_name(f.column)}" for f in fields)  # the model's own names
    extra_columns = joined = ""
    if with_token:
        extra_columns = ", token.id, token.created_by_id, token.wrote_at"
        joined = (
            " LEFT JOIN accounts_apitoken token ON token.account_id = account.id"
            " AND token.secret_hash = %s AND token.revoked_at IS NULL"
        )
    sql = (
        f"SELECT {columns}{extra_columns} FROM accounts_account account{joined} "  # noqa: S608
        "WHERE account.subdomain = %s"
    )
    converters = []
    converted = [(index, field, Account._meta.db_table) for index, field in enumerate(fields)]
    if with_token:  # after the token's id and creator
        converted.append((len(fields) + 2, ApiToken._meta.get_field("wrote_at"), ApiToken._meta.db_table))
    for index, field, table in converted:
        column = field.get_col(table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            converters.append((index, column, convert))
    return sql, [f.attname for f in fields], converters


def uses_new_profile(member: User) -> bool:
    """Whether this team member sees the new customer profile page (account switch AND own opt-in)."""
    return member.account.customer_profile_enabled and member.prefers_new_profile


def audit_entries(*, account: Account, action: str | None = None, limit: int = 50) -> list[AuditEntry]:
    """The account's most recent audit entries (optionally of one action), newest first."""
    entries = AuditEntry.objects.filter(account=account).select_related("actor")
    if action:
        entries = entries.filter(action=action)
    return list(entries[:limit])


def api_tokens(*, account: Account) -> list[ApiToken]:
    """The account's API tokens, active first, newest first, with who created them."""
    tokens = ApiToken.objects.filter(account=account).select_related("created_by", "revoked_by")
    return sorted(tokens, key=lambda t: t.revoked_at is not None)


def api_token_for_admin(*, account: Account, token_id: int) -> ApiToken | None:
    """One of the account's API tokens; None for another account's or an unknown id."""
    return ApiToken.objects.filter(account=account, pk=token_id).select_related("created_by").first()


def audit_log_page(*, account: Account, after: str | None = None, before: str | None = None, size: int = 50):
    """One page of the account's audit entries, newest first, with who made each and, for entries about a
    person, that person's name (`target_name`; read for the page at once)."""
    entries = AuditEntry.objects.filter(account=account).select_related("actor")
    page = paginate(entries, keys=[("created_at", True), ("id", True)], after=after, before=before, size=size)
    people = {str(e.target_id) for e in page.items if e.target_type == "user" and e.target_id.isdigit()}
    names = dict(User.objects.filter(account=account, pk__in=people).values_list("pk", "name")) if people else {}
    for entry in page.items:
        person = entry.target_type == "user" and entry.target_id.isdigit()
        entry.target_name = names.get(int(entry.target_id)) if person else None
    return page


# A conflicting save happened while someone was editing: an entry older than this is not the one.
RECENT_CHANGE_WINDOW = datetime.timedelta(days=1)


def latest_changes(*, record, fields: Iterable[str]) -> dict[str, AuditEntry]:
    """For each of `fields` (by the names audit entries use), the latest audit entry of the last day that
    changed it on `record`, with its actor; a field nobody changed in that time is left out."""
    wanted = set(fields)
    entries = (
        AuditEntry.objects.filter(
            account_id=record.account_id,
            target_type=record._meta.model_name,
            target_id=str(record.pk),
            created_at__gte=timezone.now() - RECENT_CHANGE_WINDOW,
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:50]
    )
    found: dict[str, AuditEntry] = {}
    for entry in entries:
        for name in wanted.intersection(entry.after or {}).difference(found):
            found[name] = entry
    return found
