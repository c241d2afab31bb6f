"""Reads on accounts and team members."""

import functools

from django.conf import settings
from django.db import connection
from django.http import Http404

from accounts.models import Account, ApiToken, AuditEntry, User


def account_for_host(host: str) -> Account | None:
    """The account named by the host's first label, else the default account."""
    hostname = host.split(":", 1)[0].lower()
    labels = hostname.split(".")
    named = labels[0] if len(labels) > 1 else settings.DEFAULT_ACCOUNT_SUBDOMAIN
    # Plain SQL: every request runs this, and building it through the ORM costs more than running it.
    sql, names, converters = _account_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [named, settings.DEFAULT_ACCOUNT_SUBDOMAIN, named])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:  # values as the ORM would give them (SQLite's times, for one)
        row = list(row)
        for index, column, convert in converters:
            row[index] = convert(row[index], column, connection)
    return Account.from_db(connection.alias, names, row)


@functools.cache
def _account_query() -> tuple[str, list[str], list]:
    """The named account first, else the default one; every column, for a whole Account, with the
    database's converters for each."""
    fields = Account._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # the model's own names
    sql = f"SELECT {columns} FROM accounts_account WHERE subdomain IN (%s, %s) ORDER BY subdomain = %s DESC LIMIT 1"  # noqa: S608
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(Account._meta.db_table)
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


def api_token_for_admin(*, account: Account, token_id: int) -> ApiToken:
    """One of the account's API tokens; another account's or an unknown id is a 404."""
    token = ApiToken.objects.filter(account=account, pk=token_id).select_related("created_by").first()
    if token is None:
        raise Http404
    return token
