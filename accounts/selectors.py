"""Reads on accounts and team members."""

from django.conf import settings
from django.http import Http404

from accounts.models import Account, ApiToken, AuditEntry, User


def account_for_host(host: str) -> Account | None:
    """The account named by the host's first label, else the default account."""
    hostname = host.split(":", 1)[0].lower()
    labels = hostname.split(".")
    candidates = [labels[0]] if len(labels) > 1 else []
    candidates.append(settings.DEFAULT_ACCOUNT_SUBDOMAIN)
    accounts = {a.subdomain: a for a in Account.objects.filter(subdomain__in=candidates)}
    for subdomain in candidates:
        if subdomain in accounts:
            return accounts[subdomain]
    return None


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
