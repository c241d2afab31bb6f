"""Writes on accounts and team members. Each one records its audit entry in the same transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, ApiToken, AuditEntry, Role, User
from accounts.tokens import token_generate


def audit_record(
    *,
    account: Account,
    actor: User | None,
    action: str,
    target: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one audit entry: who did `action` to `target`, from `before` to `after`."""
    return AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        before=before or {},
        after=after or {},
    )


def account_set_customer_profile(*, account: Account, actor: User, enabled: bool) -> bool:
    """Turn the new customer profile page on or off for the whole account; returns whether it changed."""
    return _account_switch(account, actor, "customer_profile_enabled", enabled, "account.customer_profile_changed")


@transaction.atomic
def _account_switch(account: Account, actor: User, field: str, value: bool, action: str) -> bool:
    """Set one of the account's on/off settings, with its audit entry; returns whether it changed."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    previous = getattr(locked, field)
    if previous == value:
        return False
    setattr(locked, field, value)
    locked.save(update_fields=[field])
    setattr(account, field, value)
    audit_record(
        account=account, actor=actor, action=action, target=locked, before={field: previous}, after={field: value}
    )
    return True


@transaction.atomic
def user_set_preferences(*, user: User, locale: str, time_zone: str) -> list[str]:
    """Change the language and time zone a person sees the product in; returns the fields changed."""
    before = {"locale": user.locale, "time_zone": user.time_zone}
    after = {"locale": locale, "time_zone": time_zone}
    changed = [f for f in after if before[f] != after[f]]
    if not changed:
        return []
    User.objects.filter(pk=user.pk).update(**{f: after[f] for f in changed})
    for f in changed:
        setattr(user, f, after[f])
    audit_record(
        account=user.account,
        actor=user,
        action="user.preferences_changed",
        target=user,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return changed


@transaction.atomic
def team_member_set_profile_preference(*, member: User, use_new_profile: bool) -> bool:
    """Record a team member's own choice of profile experience; kept even while the account has it off."""
    if not member.is_team_member:
        raise ValueError("Only team members choose a profile experience.")
    previous = member.prefers_new_profile
    if previous == use_new_profile:
        return False
    User.objects.filter(pk=member.pk).update(prefers_new_profile=use_new_profile)
    member.prefers_new_profile = use_new_profile
    audit_record(
        account=member.account,
        actor=member,
        action="member.profile_preference_changed",
        target=member,
        before={"prefers_new_profile": previous},
        after={"prefers_new_profile": use_new_profile},
    )
    return True


@transaction.atomic
def api_token_create(*, account: Account, actor: User | None, name: str) -> tuple[ApiToken, str]:
    """Issue a token for integrated apps; returns it with its secret, which is never available again."""
    secret, prefix, secret_hash = token_generate()
    token = ApiToken.objects.create(
        account=account, name=name.strip(), prefix=prefix, secret_hash=secret_hash, created_by=actor
    )
    audit_record(
        account=account,
        actor=actor,
        action="api_token.created",
        target=token,
        after={"name": token.name, "prefix": prefix},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> bool:
    """Stop a token from working, at once and for good; returns False when it was already revoked."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if not updated:
        return False
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    audit_record(
        account=token.account,
        actor=actor,
        action="api_token.revoked",
        target=token,
        before={"name": token.name, "prefix": token.prefix},
    )
    return True


@transaction.atomic
def account_create(*, subdomain: str, name: str, admin_email: str, admin_name: str, password: str) -> Account:
    """A new helpdesk at <subdomain>.<main domain>, with its first admin (who signs in with `password`)."""
    account = Account.objects.create(subdomain=subdomain, name=name)
    admin = User(account=account, role=Role.ADMIN, name=admin_name, email=admin_email.strip().lower())
    admin.set_password(password)
    admin.save()
    audit_record(account=account, actor=admin, action="account.created", target=account, after={"admin": admin.email})
    return account


def user_set_role(*, user: User, actor: User, role: str) -> bool:
    """Make someone an end user, an agent or an admin (admins only; nobody changes their own role);
    returns whether it changed."""
    if not actor.is_admin or actor.account_id != user.account_id:
        raise PermissionError("Only an admin of the account changes roles.")
    if actor.pk == user.pk:
        raise PermissionError("Nobody changes their own role.")
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}")
    locked = User.objects.select_for_update().get(pk=user.pk)
    previous = locked.role
    if previous == role:
        return False
    User.objects.filter(pk=locked.pk).update(role=role, updated_at=timezone.now())
    user.role = role
    audit_record(
        account=locked.account,
        actor=actor,
        action="user.role_changed",
        target=locked,
        before={"role": previous},
        after={"role": role},
    )
    return True


def account_set_agents_may_assume_identity(*, account: Account, actor: User, allowed: bool) -> bool:
    """Let agents (not only admins) assume customers' identity, or stop them; returns whether it changed."""
    return _account_switch(
        account, actor, "agents_may_assume_identity", allowed, "account.agents_may_assume_identity_changed"
    )


@transaction.atomic
def identity_assumption_ended(*, member: User, customer: User, how: str) -> AuditEntry:
    """Record that a team member stopped acting as a customer: `how` is "returned" or "signed_out"."""
    return audit_record(
        account=customer.account,
        actor=member,
        action="user.identity_assumption_ended",
        target=customer,
        after={"member_id": member.pk, "member": member.name, "customer": customer.name, "how": how},
    )


@transaction.atomic
def assumed_request_record(*, member: User, customer: User, method: str, path: str, status: int) -> AuditEntry:
    """Record one request that may have written something, made by a team member acting as a customer."""
    return audit_record(
        account=customer.account,
        actor=member,
        action="user.assumed_identity_request",
        target=customer,
        after={"method": method, "path": path[:500], "status": status, "member_id": member.pk},
    )
