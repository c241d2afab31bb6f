"""The profile header's Actions ▾ menu: what a team member may do to a customer's record beyond editing it,
each shown only to those who may use it (by role and account settings), on both profile pages.

To add an action: write its menu item as an include under `profiles/templates/profiles/actions/` (a link
to its own page, or a small POST form; `customer` is in its context) and append one `RecordAction` to
`RECORD_ACTIONS` with the rule saying who may use it. The action's view checks the same rule.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User


def may_assume_identity(member: User, customer: User) -> bool:
    """Admins, and agents where the account allows it, may sign in as an active end user of their account."""
    if not _team_member_of(member, customer) or customer.suspended:
        return False
    return member.is_admin or member.account.agents_may_assume_identity


def may_upgrade_to_agent(member: User, customer: User) -> bool:
    """Only admins make a customer a team member."""
    return _team_member_of(member, customer) and member.is_admin


def may_change_suspension(member: User, customer: User) -> bool:
    """Agents and admins alike suspend a customer (and lift it): it stops sign-ins, removes nothing."""
    return _team_member_of(member, customer)


def may_set_password(member: User, customer: User) -> bool:
    """Only admins choose a customer's password; agents send a reset link instead."""
    return _team_member_of(member, customer) and member.is_admin


def may_send_password_reset(member: User, customer: User) -> bool:
    """Any team member may email a customer a link to choose a new password."""
    return _team_member_of(member, customer)


def may_export(member: User, customer: User) -> bool:
    """Any team member may download what is stored about a customer (fields hidden from agents left out)."""
    return _team_member_of(member, customer)


def may_delete(member: User, customer: User) -> bool:
    """Only admins delete a customer and their personal data."""
    return _team_member_of(member, customer) and member.is_admin


def _team_member_of(member: User, customer: User) -> bool:
    return member.is_team_member and customer.is_end_user and member.account_id == customer.account_id


@dataclass(frozen=True)
class RecordAction:
    name: str
    template: str
    allowed: Callable[[User, User], bool]  # (member, customer)


RECORD_ACTIONS = [
    RecordAction("assume_identity", "profiles/actions/assume_identity.html", may_assume_identity),
    RecordAction("upgrade_to_agent", "profiles/actions/upgrade_to_agent.html", may_upgrade_to_agent),
    RecordAction("suspension", "profiles/actions/suspension.html", may_change_suspension),
    RecordAction("set_password", "profiles/actions/set_password.html", may_set_password),
    RecordAction("send_password_reset", "profiles/actions/send_password_reset.html", may_send_password_reset),
    RecordAction("export", "profiles/actions/export.html", may_export),
    RecordAction("delete", "profiles/actions/delete.html", may_delete),
]


def record_actions_for(*, member: User, customer: User) -> list[RecordAction]:
    """The Actions menu's items this member may use on this customer, in menu order."""
    return [action for action in RECORD_ACTIONS if action.allowed(member, customer)]
