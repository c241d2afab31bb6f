from accounts.models import AuditEntry, User
from activity.models import Event
from tests.conftest import client_for


def _form(customer, **changes):
    fields = {
        "name": customer.name,
        "locale": customer.locale,
        "time_zone": customer.time_zone,
        "details": customer.details,
        "notes": customer.notes,
        "tags": customer.tags,
    }
    return {**fields, **{f"was_{k}": v for k, v in fields.items()}, **changes}


def test_an_agent_edits_the_customer_on_the_legacy_page(as_bob, bob, carol):
    response = as_bob.post(f"/agent/users/{carol.pk}/details/", _form(carol, name="Carol Danvers", tags="VIP, Gold"))

    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.name, carol.tags) == ("Carol Danvers", "vip gold")
    assert set(Event.objects.filter(customer=carol).values_list("type", flat=True)) == {"name_changed", "tags_changed"}
    name_event = Event.objects.get(customer=carol, type="name_changed")
    assert name_event.properties["previous"] == "Carol Customer" and name_event.properties["current"] == "Carol Danvers"
    assert AuditEntry.objects.get(action="customer.updated").actor == bob


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_typed_is_lost(as_bob, carol):
    response = as_bob.post(
        f"/agent/users/{carol.pk}/details/",
        _form(carol, name="   ", notes="A long note I typed", time_zone="Mars/Olympus"),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a name." in page and "Select a valid choice" in page
    assert "A long note I typed" in page
    assert User.objects.get(pk=carol.pk).notes == ""
    assert not Event.objects.filter(customer=carol).exists()


def test_two_agents_changing_different_fields_both_keep_their_change(bob, alice, carol):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _form(carol)

    as_bob.post(f"/agent/users/{carol.pk}/details/", {**loaded, "notes": "Bob's note"})
    as_alice.post(f"/agent/users/{carol.pk}/details/", {**loaded, "details": "Alice's address"})

    carol.refresh_from_db()
    assert (carol.notes, carol.details) == ("Bob's note", "Alice's address")


def test_the_second_agent_saving_the_same_field_gets_a_conflict_not_an_overwrite(bob, alice, carol):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _form(carol)
    as_bob.post(f"/agent/users/{carol.pk}/details/", {**loaded, "notes": "Bob's note"})

    response = as_alice.post(f"/agent/users/{carol.pk}/details/", {**loaded, "notes": "Alice's note"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Bob Agent changed this to “Bob&#x27;s note” at " in page
    assert "Alice&#x27;s note" in page  # what she typed is still in the form
    assert User.objects.get(pk=carol.pk).notes == "Bob's note"


def test_after_a_conflict_saving_again_keeps_the_second_agents_value(bob, alice, carol):
    as_bob, as_alice = client_for(bob), client_for(alice)
    loaded = _form(carol)
    as_bob.post(f"/agent/users/{carol.pk}/details/", {**loaded, "notes": "Bob's note"})
    conflict = as_alice.post(f"/agent/users/{carol.pk}/details/", {**loaded, "notes": "Alice's note"})
    rebased = conflict.context["form"]

    as_alice.post(f"/agent/users/{carol.pk}/details/", {k: rebased[k].value() for k in rebased.fields})

    assert User.objects.get(pk=carol.pk).notes == "Alice's note"
