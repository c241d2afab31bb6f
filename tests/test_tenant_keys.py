"""Every tenant table (each row belongs to one account) carries the account id, and each of its unique keys
includes it: the condition for spreading the tables over several nodes by account (docs/scaling.md). A
table that doesn't is listed below with the reason, and the test fails once the listing goes stale.

Primary keys are Django's `id` from a sequence (unique on its own); distributing turns each into
(account_id, id), as docs/scaling.md describes. Composite keys here (activity.EventClientId) already lead
with the account."""

from django.apps import apps
from django.db import models

# Not tenant data: shared by all accounts, or Django's own.
SHARED = {
    "accounts.Account": "the tenants themselves: distributed by their own id, co-located with their rows",
    "auth.Permission": "Django's, the same for every account: a reference table (copied to every node)",
    "auth.Group": "Django's, unused; a reference table",
    "contenttypes.ContentType": "Django's, the same for every account: a reference table",
    "sessions.Session": "keyed by a random session key, read by it alone; stays on the coordinator",
    "django_tasks_database.DBTaskResult": "the background task queue (emails, bulk jobs), read by the workers "
    "across accounts; stays on the coordinator (its tasks' arguments name their account)",
}
# Tenant tables that reach their account through another row. Each needs an account_id column (filled
# from its parent) before the tables are distributed; until then their keys are account-scoped through it.
WITHOUT_ACCOUNT_ID = {
    "activity.EventKind": "one customer's (source, type) tally; unique per customer, who belongs to one account",
    "tickets.TicketCC": "a person copied on a ticket; unique per (user, ticket), both of one account",
    "tickets.Comment": "a ticket's comment; no unique key of its own",
    "custom_fields.LookupLink": "a record's lookup value read backwards; unique per (field, target, source), the "
    "field being one account's",
    "custom_fields.LookupCount": "how many records' field names a target; unique per (field, target), the field "
    "being one account's",
}


def _unique_keys(model) -> list[tuple[str, ...]]:
    keys = [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    keys += [tuple(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    keys += [tuple(fields) for fields in model._meta.unique_together]
    if isinstance(model._meta.pk, models.CompositePrimaryKey):
        keys.append(tuple(f.name for f in model._meta.pk.fields))
    return keys


def _account_field(model):
    field = next((f for f in model._meta.concrete_fields if f.name == "account"), None)
    return field if field is not None and field.related_model is apps.get_model("accounts", "Account") else None


def test_every_tenant_table_has_the_account_in_each_of_its_unique_keys():
    missing, unscoped = [], []
    for model in apps.get_models():
        label = model._meta.label
        if label in SHARED or label in WITHOUT_ACCOUNT_ID or model._meta.app_label == "devtools":
            continue
        if _account_field(model) is None:
            missing.append(label)
            continue
        unscoped += [f"{label} {key}" for key in _unique_keys(model) if "account" not in key]

    assert missing == [], "tenant tables without an account field (add one, or list it with the reason)"
    assert unscoped == [], "unique keys without the account (add it, or list the table with the reason)"


def test_the_tables_listed_without_an_account_really_lack_one():
    for label in WITHOUT_ACCOUNT_ID:
        assert _account_field(apps.get_model(label)) is None, f"{label} has an account now: take it off the list"
