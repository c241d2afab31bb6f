"""One format for each kind of value, on every page: phone numbers as people write them internationally,
dates through the reader's locale, in every table as everywhere else."""

import datetime

import pytest
from django.utils import timezone

from accounts.services import account_set_customer_profile
from demo.factories import PhoneIdentityFactory, TicketFactory
from profiles.identities import identity_add


@pytest.fixture
def new_page(as_bob, acme, alice):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})
    return as_bob


def test_a_phone_number_reads_the_same_in_key_details_and_on_the_details_tab(new_page, carol):
    PhoneIdentityFactory(user=carol, value="+33612345678", primary=True)

    activity = new_page.get(f"/agent/users/{carol.pk}/").content.decode()
    details = new_page.get(f"/agent/users/{carol.pk}/?tab=details").content.decode()

    assert "+33 6 12 34 56 78" in activity and "+33 6 12 34 56 78" in details
    assert "+33612345678<" not in activity and "+33612345678<" not in details


def test_the_timeline_shows_an_added_phone_number_as_people_write_it(new_page, bob, carol):
    identity_add(customer=carol, actor=bob, type="phone_number", value="+33 6 12 34 56 78")

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Phone number +33 6 12 34 56 78 added" in page


def test_the_tickets_tab_dates_use_the_locale_format_of_the_rest_of_the_page(new_page, carol):
    moment = datetime.datetime(2026, 11, 30, 15, 5, tzinfo=datetime.UTC)
    TicketFactory(requester=carol, created_at=moment, updated_at=moment)

    english = new_page.get(f"/agent/users/{carol.pk}/?tab=tickets").content.decode()
    with timezone.override(datetime.UTC):
        french = new_page.get(f"/agent/users/{carol.pk}/?tab=tickets", headers={"Accept-Language": "fr"})

    assert "Nov. 30, 2026" in english and "11/30/2026" not in english
    assert "30 novembre 2026" in french.content.decode() or "Nov. 30, 2026" in french.content.decode()
