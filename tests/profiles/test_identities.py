import threading

import pytest
from django.db import connection, transaction

from accounts.models import AuditEntry, User
from activity.models import Event, EventKind
from common.errors import RecordGone
from demo.factories import IdentityFactory, PhoneIdentityFactory, UserFactory
from profiles import identities
from profiles.identities import (
    IdentityError,
    IdentityTaken,
    identity_actions,
    identity_add,
    identity_for_customer,
    identity_make_direct_line,
    identity_make_primary,
    identity_remove,
    identity_verify,
    phone_format,
    phone_sharers,
)
from profiles.models import Identity, IdentityType, PhoneLine
from tests.test_configuration import _check

EMAIL, PHONE = IdentityType.EMAIL, IdentityType.PHONE


@pytest.fixture
def erin(acme):
    """Another customer of Acme, whose addresses Carol can't take."""
    return UserFactory(account=acme, name="Erin Example", email="erin@example.com")


def _values(user, type=None) -> list[tuple[str, bool]]:
    identities = Identity.objects.filter(user=user).order_by("id")
    if type:
        identities = identities.filter(type=type)
    return [(i.value, i.primary) for i in identities]


def _events(user, type: str) -> list[Event]:
    return list(Event.objects.filter(customer=user, type=type).order_by("id"))


def _audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def _miss_once(monkeypatch, name: str):
    """Make the named pre-check see nothing the first time, as when another agent commits just after it."""
    real = getattr(identities, name)
    calls = []

    def first_call_misses(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            return [] if name == "_other_holders" else None
        return real(**kwargs)

    monkeypatch.setattr(identities, name, first_call_misses)
    return calls


# Adding emails


def test_an_agent_adds_a_second_email_which_stays_secondary_and_unverified(bob, carol):
    assert _values(carol) == [("carol@example.com", True)]

    identity = identity_add(customer=carol, actor=bob, type=EMAIL, value="  Carol.Work@Example.COM ")

    assert _values(carol) == [("carol@example.com", True), ("carol.work@example.com", False)]
    assert identity.verified is False and identity.account_id == carol.account_id
    assert User.objects.get(pk=carol.pk).email == "carol@example.com"
    (event,) = _events(carol, "identity_created")
    assert event.source == "Support" and event.description == "Email added"
    assert event.properties == {
        "identity_id": identity.pk,
        "identity_type": "email",
        "value": "carol.work@example.com",
        "primary": False,
        "actor_id": bob.pk,
    }
    assert EventKind.objects.get(customer=carol, type="identity_created").count == 1
    (audit,) = _audits("identity.created")
    assert audit.actor == bob and audit.target_id == str(identity.pk)
    assert audit.after["value"] == "carol.work@example.com" and audit.after["primary"] is False


def test_the_first_email_of_a_customer_becomes_primary_and_is_mirrored_on_the_user(acme, bob):
    frank = UserFactory(account=acme, name="Frank Phoneonly", email="")
    assert _values(frank) == [] and frank.email == ""

    identity_add(customer=frank, actor=bob, type=EMAIL, value="frank@example.com")

    assert _values(frank) == [("frank@example.com", True)]
    assert User.objects.get(pk=frank.pk).email == "frank@example.com"
    assert frank.email == "frank@example.com"
    assert _events(frank, "identity_created")[0].properties["primary"] is True


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter an email address."),
        ("carol-at-example.com", "Enter a valid email address"),
        ("carol@", "Enter a valid email address"),
        ("<script>@example.com", "Enter a valid email address"),
    ],
)
def test_a_malformed_email_is_refused_and_nothing_is_written(bob, carol, value, message):
    with pytest.raises(IdentityError) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value=value)

    assert refused.value.message.startswith(message) and refused.value.field == "value"
    assert _values(carol) == [("carol@example.com", True)]
    assert not _events(carol, "identity_created") and not _audits("identity.created")


def test_an_unknown_identity_type_is_refused_on_the_type_field(bob, carol):
    with pytest.raises(IdentityError) as refused:
        identity_add(customer=carol, actor=bob, type="fax", value="+33123456789")

    assert refused.value.field == "type"


def test_adding_an_email_the_customer_already_has_is_refused(bob, carol):
    with pytest.raises(IdentityError, match="Carol Customer already has this email address."):
        identity_add(customer=carol, actor=bob, type=EMAIL, value="CAROL@example.com")

    assert _values(carol) == [("carol@example.com", True)]


def test_adding_an_email_another_customer_owns_is_refused_naming_that_customer(bob, carol, erin):
    with pytest.raises(IdentityTaken) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value="Erin@Example.com")

    assert refused.value.owner.pk == erin.pk and refused.value.owner.name == "Erin Example"
    assert refused.value.message == "erin@example.com already belongs to Erin Example."
    assert _values(carol) == [("carol@example.com", True)]
    assert _values(erin) == [("erin@example.com", True)]
    assert not _events(carol, "identity_created") and not _audits("identity.created")


def test_a_secondary_email_of_another_customer_is_refused_too(bob, carol, erin):
    IdentityFactory(user=erin, value="erin.home@example.com")

    with pytest.raises(IdentityTaken) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value="erin.home@example.com")

    assert refused.value.owner.pk == erin.pk


def test_an_email_only_mirrored_on_an_imported_user_is_refused_too(acme, bob, carol):
    imported = UserFactory(account=acme, name="Imported Ivy", email="ivy@example.com", with_identity=False)

    with pytest.raises(IdentityTaken) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value="ivy@example.com")

    assert refused.value.owner.pk == imported.pk


def test_the_same_email_may_belong_to_a_customer_of_another_account(bob, carol, dave):
    identity_add(customer=carol, actor=bob, type=EMAIL, value="dave@example.com")

    assert ("dave@example.com", False) in _values(carol)
    assert _values(dave) == [("dave@example.com", True)]


def test_losing_the_race_on_an_email_names_the_winner_and_leaves_one_owner(monkeypatch, bob, carol, erin):
    # Erin's row stands for the other agent's insert, committed after our check but before our insert.
    calls = _miss_once(monkeypatch, "_refuse_email_of_someone_else")

    with pytest.raises(IdentityTaken) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value="erin@example.com")

    assert len(calls) == 2, "the insert hit the database constraint and the check ran again"
    assert refused.value.owner.pk == erin.pk
    assert "Erin Example" in refused.value.message
    # The savepoint kept the surrounding transaction usable: nothing half-written, queries still work.
    assert Identity.objects.filter(value="erin@example.com").count() == 1
    assert _values(carol) == [("carol@example.com", True)]
    assert not _events(carol, "identity_created")


# Adding phone numbers


def test_a_phone_number_is_stored_in_e164_and_the_first_one_is_the_primary_direct_line(bob, carol):
    identity = identity_add(customer=carol, actor=bob, type=PHONE, value="+33 (0)6 12 34 56 78")

    assert identity.value == "+33612345678"
    assert (identity.primary, identity.phone_line, identity.verified) == (True, PhoneLine.DIRECT, False)
    (event,) = _events(carol, "identity_created")
    assert event.description == "Phone number added" and event.properties["value"] == "+33612345678"
    assert _audits("identity.created")[0].after["phone_line"] == "direct"


def test_a_second_phone_number_is_secondary(bob, carol):
    identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")

    second = identity_add(customer=carol, actor=bob, type=PHONE, value="+14155552671")

    assert second.primary is False
    assert _values(carol, PHONE) == [("+33612345678", True), ("+14155552671", False)]


def test_a_number_without_country_code_is_read_in_the_default_region(bob, carol, settings):
    settings.PHONE_DEFAULT_REGION = "FR"

    identity = identity_add(customer=carol, actor=bob, type=PHONE, value="01 23 45 67 89")

    assert identity.value == "+33123456789"


def test_with_no_default_region_a_number_needs_its_country_code(bob, carol, settings):
    settings.PHONE_DEFAULT_REGION = ""

    with pytest.raises(IdentityError, match="with its country code"):
        identity_add(customer=carol, actor=bob, type=PHONE, value="01 23 45 67 89")

    assert identity_add(customer=carol, actor=bob, type=PHONE, value="+33 1 23 45 67 89").value == "+33123456789"


@pytest.mark.parametrize("value", ["", "123", "call me", "+33 1 23", "+999 123 456 789"])
def test_an_invalid_phone_number_is_refused_and_nothing_is_written(bob, carol, value):
    with pytest.raises(IdentityError):
        identity_add(customer=carol, actor=bob, type=PHONE, value=value)

    assert _values(carol, PHONE) == []


def test_adding_a_number_the_customer_already_has_is_refused(bob, carol):
    identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")

    with pytest.raises(IdentityError, match="already has this phone number"):
        identity_add(customer=carol, actor=bob, type=PHONE, value="06 12 34 56 78")


def test_a_number_another_customer_has_as_direct_line_becomes_shared_on_both(bob, carol, erin):
    theirs = PhoneIdentityFactory(user=erin, value="+33123456789", primary=True)

    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="01 23 45 67 89")

    theirs.refresh_from_db()
    assert (mine.phone_line, theirs.phone_line) == (PhoneLine.SHARED, PhoneLine.SHARED)
    assert theirs.primary is True, "Erin keeps the number as her primary phone"
    (changed,) = _events(erin, "identity_changed")
    assert changed.description == "Phone number became a shared line"
    assert changed.properties["change"] == "made_shared_line"
    assert changed.properties["current"] == {"phone_line": "shared", "shared_with_id": carol.pk}
    (audit,) = _audits("identity.changed")
    assert audit.target_id == str(theirs.pk) and audit.before == {"phone_line": "direct"}
    assert phone_sharers(customer=carol) == {"+33123456789": [erin]}


def test_a_number_already_shared_by_others_stays_shared(acme, bob, carol, erin):
    grace = UserFactory(account=acme, name="Grace Other")
    PhoneIdentityFactory(user=erin, value="+33123456789", phone_line=PhoneLine.SHARED)
    PhoneIdentityFactory(user=grace, value="+33123456789", phone_line=PhoneLine.SHARED)

    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    assert mine.phone_line == PhoneLine.SHARED
    assert not _events(erin, "identity_changed") and not _events(grace, "identity_changed")
    assert phone_sharers(customer=carol) == {"+33123456789": [erin, grace]}


def test_a_number_in_another_account_does_not_make_a_line_shared(bob, carol, dave):
    PhoneIdentityFactory(user=dave, value="+33123456789")

    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    assert mine.phone_line == PhoneLine.DIRECT
    assert Identity.objects.get(user=dave, type=PHONE).phone_line == PhoneLine.DIRECT


def test_losing_the_race_on_a_new_number_makes_it_shared_instead_of_failing(monkeypatch, bob, carol, erin):
    # Erin's direct line stands for the other agent's insert, committed between our look and our insert.
    PhoneIdentityFactory(user=erin, value="+33123456789")
    calls = _miss_once(monkeypatch, "_other_holders")

    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    assert len(calls) == 2
    assert mine.phone_line == PhoneLine.SHARED
    assert Identity.objects.get(user=erin, type=PHONE).phone_line == PhoneLine.SHARED
    assert len(_events(carol, "identity_created")) == 1


# Removing


def test_an_agent_removes_a_secondary_email(bob, carol):
    work = identity_add(customer=carol, actor=bob, type=EMAIL, value="carol.work@example.com")

    promoted = identity_remove(customer=carol, actor=bob, identity=work)

    assert promoted is None
    assert _values(carol) == [("carol@example.com", True)]
    (event,) = _events(carol, "identity_removed")
    assert event.description == "Email removed"
    assert event.properties["value"] == "carol.work@example.com" and event.properties["identity_id"] == work.pk
    (audit,) = _audits("identity.removed")
    assert audit.target_id == str(work.pk) and audit.before["value"] == "carol.work@example.com"


def test_the_primary_email_cant_be_removed(bob, carol):
    primary = Identity.objects.get(user=carol, primary=True)

    with pytest.raises(IdentityError, match="primary email can't be removed"):
        identity_remove(customer=carol, actor=bob, identity=primary)

    assert _values(carol) == [("carol@example.com", True)]
    assert not _events(carol, "identity_removed") and not _audits("identity.removed")


def test_removing_the_primary_phone_promotes_the_next_one(bob, carol):
    first = identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")
    identity_add(customer=carol, actor=bob, type=PHONE, value="+14155552671")
    identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    promoted = identity_remove(customer=carol, actor=bob, identity=first)

    assert promoted.value == "+14155552671"
    assert _values(carol, PHONE) == [("+14155552671", True), ("+33123456789", False)]
    (event,) = _events(carol, "identity_removed")
    assert event.properties["was_primary"] is True and event.properties["new_primary"] == "+14155552671"


def test_removing_a_shared_number_leaves_the_others_lines_as_they_are(bob, carol, erin):
    PhoneIdentityFactory(user=erin, value="+33123456789", phone_line=PhoneLine.SHARED)
    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    identity_remove(customer=carol, actor=bob, identity=mine)

    assert Identity.objects.get(user=erin, type=PHONE).phone_line == PhoneLine.SHARED


def test_an_identity_of_another_customer_or_account_is_not_found(bob, carol, erin, dave):
    erins = Identity.objects.get(user=erin)
    daves = Identity.objects.get(user=dave)

    for identity in (erins, daves):
        with pytest.raises(RecordGone):
            identity_remove(customer=carol, actor=bob, identity=identity)
        with pytest.raises(RecordGone):
            identity_make_primary(customer=carol, actor=bob, identity=identity)
        with pytest.raises(RecordGone):
            identity_verify(customer=carol, actor=bob, identity=identity)
        assert identity_for_customer(customer=carol, identity_id=identity.pk) is None

    assert Identity.objects.filter(pk__in=[erins.pk, daves.pk]).count() == 2
    assert identity_for_customer(customer=carol, identity_id=carol.identities.get().pk).value == "carol@example.com"


# Making primary


def test_a_verified_secondary_email_becomes_primary_and_the_mirror_follows(bob, carol):
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=True)

    changed = identity_make_primary(customer=carol, actor=bob, identity=work)

    assert changed is True
    assert _values(carol) == [("carol@example.com", False), ("carol.work@example.com", True)]
    assert User.objects.get(pk=carol.pk).email == carol.email == "carol.work@example.com"
    (event,) = _events(carol, "identity_changed")
    assert event.description == "Email made primary"
    assert event.properties["change"] == "made_primary"
    assert event.properties["previous"] == {"primary": "carol@example.com"}
    assert event.properties["current"] == {"primary": "carol.work@example.com"}
    (audit,) = _audits("identity.changed")
    assert audit.before == {"primary": "carol@example.com"} and audit.actor == bob


def test_an_unverified_email_cant_become_primary(bob, carol):
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=False)

    with pytest.raises(IdentityError, match="Only a verified email"):
        identity_make_primary(customer=carol, actor=bob, identity=work)

    assert _values(carol)[0] == ("carol@example.com", True)
    assert User.objects.get(pk=carol.pk).email == "carol@example.com"
    assert not _events(carol, "identity_changed")


def test_making_the_primary_primary_again_changes_nothing(bob, carol):
    primary = Identity.objects.get(user=carol, primary=True)

    assert identity_make_primary(customer=carol, actor=bob, identity=primary) is False
    assert not _events(carol, "identity_changed") and not _audits("identity.changed")


def test_any_phone_number_can_become_primary(bob, carol):
    identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")
    second = identity_add(customer=carol, actor=bob, type=PHONE, value="+14155552671")

    identity_make_primary(customer=carol, actor=bob, identity=second)

    assert _values(carol, PHONE) == [("+33612345678", False), ("+14155552671", True)]
    assert User.objects.get(pk=carol.pk).email == "carol@example.com"


# Direct and shared lines


def test_a_shared_number_becomes_the_customers_direct_line(bob, carol, erin):
    PhoneIdentityFactory(user=erin, value="+33123456789", phone_line=PhoneLine.SHARED)
    mine = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")
    assert mine.phone_line == PhoneLine.SHARED

    changed = identity_make_direct_line(customer=carol, actor=bob, identity=mine)

    mine.refresh_from_db()
    assert changed is True and mine.phone_line == PhoneLine.DIRECT
    assert Identity.objects.get(user=erin, type=PHONE).phone_line == PhoneLine.SHARED
    (event,) = _events(carol, "identity_changed")
    assert event.description == "Phone number made direct line"
    assert event.properties["change"] == "made_direct_line"
    assert (event.properties["previous"], event.properties["current"]) == (
        {"phone_line": "shared"},
        {"phone_line": "direct"},
    )
    assert _audits("identity.changed")[-1].after == {"phone_line": "direct"}


def test_a_number_someone_else_has_as_direct_line_cant_become_direct(bob, carol, erin):
    PhoneIdentityFactory(user=erin, value="+33123456789", phone_line=PhoneLine.DIRECT)
    mine = PhoneIdentityFactory(user=carol, value="+33123456789", phone_line=PhoneLine.SHARED)

    with pytest.raises(IdentityTaken) as refused:
        identity_make_direct_line(customer=carol, actor=bob, identity=mine)

    assert refused.value.owner.pk == erin.pk
    assert refused.value.message == "+33123456789 is the direct line of Erin Example."
    mine.refresh_from_db()
    assert mine.phone_line == PhoneLine.SHARED
    assert not _events(carol, "identity_changed")


def test_losing_the_race_for_a_direct_line_names_the_winner(monkeypatch, bob, carol, erin):
    PhoneIdentityFactory(user=erin, value="+33123456789", phone_line=PhoneLine.DIRECT)
    mine = PhoneIdentityFactory(user=carol, value="+33123456789", phone_line=PhoneLine.SHARED)
    calls = _miss_once(monkeypatch, "_refuse_direct_line_of_someone_else")

    with pytest.raises(IdentityTaken) as refused:
        identity_make_direct_line(customer=carol, actor=bob, identity=mine)

    assert len(calls) == 2 and refused.value.owner.pk == erin.pk
    assert Identity.objects.get(pk=mine.pk).phone_line == PhoneLine.SHARED


def test_a_direct_line_stays_direct_and_an_email_has_no_line(bob, carol):
    direct = identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")

    assert identity_make_direct_line(customer=carol, actor=bob, identity=direct) is False
    with pytest.raises(IdentityError, match="Only a phone number"):
        identity_make_direct_line(customer=carol, actor=bob, identity=Identity.objects.get(user=carol, type=EMAIL))


# Verifying


def test_an_agent_marks_an_email_verified_once(bob, carol):
    work = IdentityFactory(user=carol, value="carol.work@example.com", verified=False)

    assert identity_verify(customer=carol, actor=bob, identity=work) is True
    assert identity_verify(customer=carol, actor=bob, identity=work) is False

    assert Identity.objects.get(pk=work.pk).verified is True
    (event,) = _events(carol, "identity_verified")
    assert event.description == "Email verified"
    assert event.properties["via"] == "agent" and event.properties["actor_id"] == bob.pk
    (audit,) = _audits("identity.verified")
    assert audit.before == {"verified": False} and audit.after == {"verified": True, "via": "agent"}


# Tenant isolation of the actor


def test_an_agent_of_another_account_changes_nothing(charlie, carol):
    primary = Identity.objects.get(user=carol)

    with pytest.raises(RecordGone):
        identity_add(customer=carol, actor=charlie, type=EMAIL, value="charlie.was.here@example.com")
    with pytest.raises(RecordGone):
        identity_verify(customer=carol, actor=charlie, identity=primary)

    assert _values(carol) == [("carol@example.com", True)]
    assert not Event.objects.filter(customer=carol).exists()


# What each row's menu offers


def test_each_row_offers_only_the_actions_its_rules_allow(bob, carol, erin):
    primary = Identity.objects.get(user=carol)
    unverified = IdentityFactory(user=carol, value="carol.new@example.com", verified=False)
    verified = IdentityFactory(user=carol, value="carol.old@example.com", verified=True)
    direct = identity_add(customer=carol, actor=bob, type=PHONE, value="+33612345678")
    PhoneIdentityFactory(user=erin, value="+33123456789")
    shared = identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789")

    assert identity_actions(primary) == ["send_email"]
    assert identity_actions(unverified) == ["send_verification", "send_email", "remove"]
    assert identity_actions(verified) == ["send_email", "make_primary", "remove"]
    assert identity_actions(direct) == ["remove"]
    assert identity_actions(shared) == ["make_direct_line", "remove"]


def test_phone_numbers_read_as_people_write_them():
    assert phone_format("+33123456789") == "+33 1 23 45 67 89"
    assert phone_format("+14155552671") == "+1 415-555-2671"
    assert phone_format("not a number") == "not a number"


# Errors speak the agent's language


def test_refusals_are_worded_in_the_active_language(bob, carol, erin):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(IdentityTaken) as refused:
        identity_add(customer=carol, actor=bob, type=EMAIL, value="erin@example.com")

    assert refused.value.message == "erin@example.com appartient déjà à Erin Example."


# Settings


@pytest.mark.parametrize(
    ("variable", "value"), [("PHONE_DEFAULT_REGION", "Narnia"), ("EMAIL_VERIFICATION_LINK_DAYS", "a week")]
)
def test_a_bad_identity_setting_stops_start_up_with_one_line_naming_it(variable, value):
    result = _check(**{variable: value})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr


# A real race, on a database that runs transactions side by side


def _count_inserts_in_this_thread(monkeypatch) -> list:
    real, mine, me = identities._insert, [], threading.get_ident()

    def counted(**kwargs):
        if threading.get_ident() == me:
            mine.append(kwargs["value"])
        return real(**kwargs)

    monkeypatch.setattr(identities, "_insert", counted)
    return mine


def _while_another_agent_adds(customer, actor, type, value, act):
    """Run `act` while another agent's transaction, in another thread, has just added `value` to
    `customer` and holds it uncommitted: `act` has to wait for it. Returns what `act` returned and the
    other agent's errors."""
    inserted, errors = threading.Event(), []

    def other_agent():
        try:
            with transaction.atomic():
                identity_add(customer=customer, actor=actor, type=type, value=value)
                inserted.set()
                threading.Event().wait(0.5)
        except Exception as error:  # pragma: no cover - reported by the caller
            errors.append(error)
            inserted.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_agent)
    thread.start()
    inserted.wait(5)
    try:
        return act(), errors
    finally:
        thread.join(5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_agents_adding_one_email_to_two_customers_at_once_leave_exactly_one_owner(
    monkeypatch, acme, bob, carol, erin
):
    attempts = _count_inserts_in_this_thread(monkeypatch)

    def carols_agent():
        with pytest.raises(IdentityTaken) as refused:
            identity_add(customer=carol, actor=bob, type=EMAIL, value="shared@example.com")
        return refused

    refused, errors = _while_another_agent_adds(erin, bob, EMAIL, "shared@example.com", carols_agent)

    assert not errors
    assert len(attempts) == 2, "Carol's insert waited for Erin's, hit the constraint, and was decided again"
    assert refused.value.owner.pk == erin.pk
    assert list(Identity.objects.filter(value="shared@example.com").values_list("user_id", flat=True)) == [erin.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_agents_adding_one_new_number_at_once_end_with_a_shared_line_on_both(monkeypatch, acme, bob, carol, erin):
    attempts = _count_inserts_in_this_thread(monkeypatch)

    mine, errors = _while_another_agent_adds(
        erin,
        bob,
        PHONE,
        "+33123456789",
        lambda: identity_add(customer=carol, actor=bob, type=PHONE, value="+33123456789"),
    )

    assert not errors
    assert len(attempts) == 2, "Carol's insert waited for Erin's, hit the constraint, and was decided again"
    assert mine.phone_line == PhoneLine.SHARED
    assert Identity.objects.get(user=erin, type=PHONE).phone_line == PhoneLine.SHARED
