"""One item of a bulk users job, applied as its single-record endpoint would."""

import msgspec
from django.utils.translation import gettext as _

from accounts.models import Account, User
from api.routing import forbidden, not_found
from api.shapes import UserWrite
from api.user_writes import user_apply, user_create, user_plan
from profiles.deletion import customer_delete


def item_apply(account: Account, actor: User | None, item: dict) -> dict:
    """Create, update or delete one user; returns the result's fields; raises ApiError when refused."""
    if actor is None or not actor.is_team_member or actor.suspended:
        raise forbidden(_("The team member this job acted for can no longer act."))
    action = item["action"]
    if action == "create":
        write = msgspec.convert(item["user"], type=UserWrite)
        created = user_create(account=account, actor=actor, plan=user_plan(account=account, actor=actor, write=write))
        return {"action": "create", "id": created.pk, "status": "Created", "external_id": created.external_id or None}
    found = User.objects.filter(account=account, pk=item["id"], deleted_at__isnull=True).first()
    if found is None:
        raise not_found()
    found.account = account
    if action == "update":
        write = msgspec.convert(item["user"], type=UserWrite)
        user_apply(user=found, actor=actor, plan=user_plan(account=account, actor=actor, write=write, user=found))
        return {"action": "update", "id": found.pk, "status": "Updated"}
    if found.is_team_member:
        raise forbidden(_("Team members are managed in the admin center."))
    customer_delete(customer=found, actor=actor)
    return {"action": "delete", "id": found.pk, "status": "Deleted"}
