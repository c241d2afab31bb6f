"""Migrations carry an existing database forward with every row: one populated at the schema before custom
fields moved to their own app (profiles/0003, custom_fields/0001) is migrated to the head and read back."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Account, User
from custom_fields.models import CustomField
from profiles.models import Identity, Organization, OrganizationMembership
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("profiles", "0002_search_trigram_indexes"), ("custom_fields", None)]
NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _applied_state(executor: MigrationExecutor):
    """The models as the applied migrations define them."""
    return executor._create_project_state(with_applied_migrations=True).apps


def _populate(apps) -> dict:
    """Rows in every table the move touches, written with the models as they were then."""
    account = apps.get_model("accounts", "Account").objects.create(name="Acme", subdomain="acme")
    user_model = apps.get_model("accounts", "User")
    carol = user_model.objects.create(
        account=account, name="Carol", email="carol@example.com", custom_fields={"plan": "pro", "manager": 2}
    )
    organization = apps.get_model("profiles", "Organization").objects.create(
        account=account, name="Initech", custom_fields={"region": "emea"}
    )
    apps.get_model("profiles", "OrganizationMembership").objects.create(
        account=account, user=carol, organization=organization, default=True
    )
    apps.get_model("profiles", "Identity").objects.create(
        account=account, user=carol, type="email", value="carol@example.com", primary=True, verified=True
    )
    fields = apps.get_model("profiles", "CustomField").objects
    plan = fields.create(
        account=account,
        object_type="user",
        key="plan",
        title="Plan",
        type="dropdown",
        options=[{"name": "Pro", "value": "pro"}],
        position=0,
    )
    manager = fields.create(
        account=account,
        object_type="user",
        key="manager",
        title="Manager",
        type="lookup",
        lookup_target="user",
        position=1,
        agent_access="read_only",
    )
    region = fields.create(account=account, object_type="organization", key="region", title="Region", type="text")
    ticket = apps.get_model("tickets", "Ticket").objects.create(
        account=account,
        subject="Printer on fire",
        requester=carol,
        submitter=carol,
        custom_fields={"severity": 3},
        created_at=NOW,
        updated_at=NOW,
    )
    return {"account": account.pk, "carol": carol.pk, "fields": [plan.pk, manager.pk, region.pk], "ticket": ticket.pk}


def test_a_database_from_before_the_custom_fields_app_keeps_every_row():
    executor = _migrate(BEFORE_THE_MOVE)
    rows = _populate(_applied_state(executor))

    _migrate(executor.loader.graph.leaf_nodes())

    fields = list(CustomField.objects.filter(account_id=rows["account"]).order_by("pk"))
    assert [(f.pk, f.object_type, f.key, f.type, f.position) for f in fields] == [
        (rows["fields"][0], "user", "plan", "dropdown", 0),
        (rows["fields"][1], "user", "manager", "lookup", 1),
        (rows["fields"][2], "organization", "region", "text", 0),
    ]
    assert fields[0].options == [{"name": "Pro", "value": "pro"}]
    assert (fields[1].lookup_target, fields[1].agent_access) == ("user", "read_only")
    assert CustomField._meta.db_table in connection.introspection.table_names()
    assert "profiles_customfield" not in connection.introspection.table_names()
    carol = User.objects.get(pk=rows["carol"])
    assert carol.custom_fields == {"plan": "pro", "manager": 2}
    assert Account.objects.get(pk=rows["account"]).name == "Acme"
    assert Identity.objects.get(user=carol).value == "carol@example.com"
    assert OrganizationMembership.objects.get(user=carol).organization.custom_fields == {"region": "emea"}
    assert Organization.objects.count() == 1
    assert Ticket.objects.get(pk=rows["ticket"]).custom_fields == {"severity": 3}


def test_a_new_field_after_the_move_gets_a_fresh_id_and_the_key_rule_still_holds():
    executor = _migrate(BEFORE_THE_MOVE)
    rows = _populate(_applied_state(executor))
    _migrate(executor.loader.graph.leaf_nodes())

    added = CustomField.objects.create(
        account_id=rows["account"], object_type="user", key="seats", title="Seats", type="integer"
    )

    assert added.pk > max(rows["fields"])
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        CustomField.objects.create(account_id=rows["account"], object_type="user", key="plan", title="P", type="text")


def test_every_model_change_has_its_migration():
    """A changed field (even its choices' labels) without a migration would leave the next deploy's `migrate`
    with work nobody wrote: makemigrations --check fails here first."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
