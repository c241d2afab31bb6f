import pytest
from django.db import IntegrityError, transaction

from demo.factories import IdentityFactory, MembershipFactory, PhoneIdentityFactory, UserFactory
from profiles.models import PhoneLine


def test_the_database_refuses_a_second_user_with_the_same_primary_email(acme, carol):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(account=acme, email="carol@example.com", with_identity=False)


def test_the_same_email_may_live_in_two_accounts(carol, globex):
    other = UserFactory(account=globex, email="carol@example.com")

    assert other.pk != carol.pk


def test_an_email_identity_belongs_to_one_user_of_an_account(acme, carol, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityFactory(user=bob, value="carol@example.com")


def test_a_user_has_at_most_one_primary_email(carol):
    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityFactory(user=carol, value="second@example.com", primary=True)


def test_a_direct_line_has_one_owner_but_a_shared_line_many(acme, carol, bob):
    PhoneIdentityFactory(user=carol, value="+33100000000", phone_line=PhoneLine.SHARED)
    PhoneIdentityFactory(user=bob, value="+33100000000", phone_line=PhoneLine.SHARED)
    PhoneIdentityFactory(user=carol, value="+33200000000")

    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneIdentityFactory(user=bob, value="+33200000000")


def test_a_user_has_at_most_one_default_organization(carol):
    MembershipFactory(user=carol, default=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=carol, default=True)
