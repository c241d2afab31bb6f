"""The write lock on a customer. Every write on one customer's profile, identities or organizations takes
it first, in its own transaction, so two agents' writes queue up instead of both deciding, say, which email
is primary."""

from accounts.models import Role, User
from common.errors import RecordGone
from tickets.selectors import ticket_count_annotations


def customer_lock(*, customer: User, actor: User, with_ticket_counts: bool = False) -> User:
    """Lock the customer's row until the transaction ends and return it as saved now (with the caller's
    account object attached, so nothing reads it again; and their `ticket_counts`, in the same query, if
    asked). Raises RecordGone for another account's user, a team member, or one that no longer exists
    (deleted, or merged into someone else: writes go to the kept customer)."""
    if actor.account_id != customer.account_id:
        raise RecordGone(f"user {customer.pk} is not in account {actor.account_id}")
    customers = User.objects.select_for_update().filter(pk=customer.pk, account_id=actor.account_id)
    if with_ticket_counts:
        customers = customers.annotate(**ticket_count_annotations(customer.pk))
    locked = customers.filter(role=Role.END_USER, merged_into__isnull=True, deleted_at__isnull=True).first()
    if locked is None:
        raise RecordGone(f"customer {customer.pk} no longer exists")
    if User._meta.get_field("account").is_cached(customer):
        locked.account = customer.account
    if with_ticket_counts:
        locked.ticket_counts = {"total": locked.tickets_total, "open": locked.tickets_open}
    return locked
