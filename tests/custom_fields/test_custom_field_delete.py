"""Deleting a field takes every record's value for it along, so a later field with its key starts empty."""

from accounts.models import AuditEntry, User
from custom_fields.models import CustomField
from custom_fields.services import custom_field_delete
from demo.factories import CustomFieldFactory


def test_deleting_a_field_removes_it_and_every_value_of_it(acme, alice, carol):
    field = CustomFieldFactory(account=acme, object_type="user", key="plan", title="Plan")
    User.objects.filter(pk=carol.pk).update(custom_fields={"plan": "gold", "other": 1})

    custom_field_delete(field=field, actor=alice)

    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert User.objects.get(pk=carol.pk).custom_fields == {"other": 1}
    assert AuditEntry.objects.get(action="custom_field.deleted").before["key"] == "plan"
