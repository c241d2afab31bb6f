"""Writes on a customer's access to the helpdesk, from the profile's Actions menu: a team member assuming
their identity, making them an agent, suspending them (`profiles.services.customer_set_suspended`). Each
records its timeline event and audit entry in one transaction."""

from django.db import transaction

from accounts.models import Role, User
from accounts.services import audit_record, user_set_role
from activity.services import event_record
from profiles.locking import customer_lock
from profiles.record_actions import may_assume_identity, may_upgrade_to_agent


@transaction.atomic
def customer_identity_assume(*, customer: User, actor: User) -> None:
    """Record that `actor` starts acting as the customer (the caller then switches the session: see
    accounts/assume.py). Raises PermissionError when they may not."""
    locked = customer_lock(customer=customer, actor=actor)
    if not may_assume_identity(actor, locked):
        raise PermissionError("This team member may not assume this customer's identity.")
    event_record(
        customer=locked,
        type="identity_assumed",
        description=f"{actor.name} assumed this customer's identity"[:255],
        properties={"actor_id": actor.pk, "actor_name": actor.name},
    )
    audit_record(
        account=locked.account,
        actor=actor,
        action="user.identity_assumed",
        target=locked,
        after={"member_id": actor.pk, "member": actor.name, "customer": locked.name},
    )


@transaction.atomic
def customer_upgrade_to_agent(*, customer: User, actor: User) -> bool:
    """Make the customer an agent (admins only): from now on a team member, no longer among customers.
    Returns whether it changed; raises PermissionError when the actor may not."""
    locked = customer_lock(customer=customer, actor=actor)
    if not may_upgrade_to_agent(actor, locked):
        raise PermissionError("Only an admin makes a customer an agent.")
    previous = locked.role
    if not user_set_role(user=locked, actor=actor, role=Role.AGENT):  # records the audit entry
        return False
    customer.role = Role.AGENT
    event_record(
        customer=locked,
        type="role_changed",
        description="Role changed to agent",
        properties={"field": "role", "previous": previous, "current": Role.AGENT, "actor_id": actor.pk},
    )
    return True
