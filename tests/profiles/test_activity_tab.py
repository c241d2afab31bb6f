"""The Activity tab: newest first, ten at a time, filters from what exists, details safely escaped."""

import datetime

import pytest
from django.utils import timezone

from accounts.services import account_set_customer_profile
from activity.services import event_record
from profiles.timeline import filter_value

HTMX_PANEL = {"HX-Request": "true", "HX-Target": "tab-panel"}
HTMX_MORE = {"HX-Request": "true", "HX-Target": "timeline-more"}


@pytest.fixture
def new_page(acme, alice, as_bob):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    as_bob.post("/agent/profile-experience/", {"experience": "new", "next": "/agent/users/"})
    return as_bob


def _history(customer, count: int, *, source="Shop", type="order_placed", start=None, step_minutes=60):
    """`count` events, one every `step_minutes`, the newest first in the returned list."""
    start = start or timezone.now() - datetime.timedelta(days=30)
    events = [
        event_record(
            customer=customer,
            source=source,
            type=type,
            description=f"{type} {i:03d}",
            properties={"n": i},
            occurred_at=start + datetime.timedelta(minutes=step_minutes * i),
        )
        for i in range(count)
    ]
    return list(reversed(events))


def _descriptions(response) -> list[str]:
    return [row.description for row in response.context["timeline_rows"]]


def test_activity_is_the_default_tab(new_page, carol):
    response = new_page.get(f"/agent/users/{carol.pk}/")

    assert response.context["tab"] == "activity"
    assert 'aria-selected="true"' in response.content.decode().split("tab-activity")[1][:200]


def test_the_timeline_shows_the_newest_ten_and_a_show_more_link(new_page, carol):
    _history(carol, 25)

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")

    assert _descriptions(response) == [f"order_placed {i:03d}" for i in range(24, 14, -1)]
    assert "Show 10 more" in response.content.decode()


def test_show_more_appends_the_previous_ten_and_disappears_at_the_end(new_page, carol):
    _history(carol, 25)
    first = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")

    second = new_page.get(
        f"/agent/users/{carol.pk}/?tab=activity&after={first.context['timeline_page'].next_cursor}", headers=HTMX_MORE
    )
    third = new_page.get(
        f"/agent/users/{carol.pk}/?tab=activity&after={second.context['timeline_page'].next_cursor}",
        headers=HTMX_MORE,
    )

    assert _descriptions(second) == [f"order_placed {i:03d}" for i in range(14, 4, -1)]
    assert "<html" not in second.content.decode() and 'id="timeline-more"' in second.content.decode()
    assert _descriptions(third) == [f"order_placed {i:03d}" for i in range(4, -1, -1)]
    assert "Show 10 more" not in third.content.decode()


def test_events_at_the_same_instant_are_neither_skipped_nor_repeated(new_page, carol):
    moment = timezone.now() - datetime.timedelta(hours=1)
    for i in range(15):
        event_record(customer=carol, source="Shop", type="cart_updated", description=f"same {i}", occurred_at=moment)
    first = new_page.get(f"/agent/users/{carol.pk}/?tab=activity")

    second = new_page.get(
        f"/agent/users/{carol.pk}/?tab=activity&after={first.context['timeline_page'].next_cursor}", headers=HTMX_MORE
    )

    seen = _descriptions(first) + _descriptions(second)
    assert sorted(seen) == sorted(f"same {i}" for i in range(15))


def test_the_filter_offers_each_source_and_each_of_its_types_with_counts(new_page, carol):
    _history(carol, 3, source="Shop", type="order_placed")
    _history(carol, 2, source="Shop", type="order_refunded")
    _history(carol, 1, source="Billing", type="invoice_paid")

    groups = new_page.get(f"/agent/users/{carol.pk}/").context["filter_groups"]

    assert [(g.source, [(c.label, c.count) for c in g.choices]) for g in groups] == [
        ("Billing", [("All Billing events", 1), ("Invoice paid", 1)]),
        ("Shop", [("All Shop events", 5), ("Order placed", 3), ("Order refunded", 2)]),
    ]


def test_filtering_by_source_then_by_type_narrows_the_timeline(new_page, carol):
    _history(carol, 3, source="Shop", type="order_placed")
    _history(carol, 2, source="Shop", type="order_refunded", step_minutes=61)
    _history(carol, 4, source="Billing", type="invoice_paid")
    url = f"/agent/users/{carol.pk}/?tab=activity&filter="

    by_source = new_page.get(url + filter_value("Shop"), headers=HTMX_PANEL)
    by_type = new_page.get(url + filter_value("Shop", "order_refunded"), headers=HTMX_PANEL)

    assert {row.source for row in by_source.context["timeline_rows"]} == {"Shop"}
    assert len(by_source.context["timeline_rows"]) == 5
    assert _descriptions(by_type) == ["order_refunded 001", "order_refunded 000"]
    assert f'value="{filter_value("Shop", "order_refunded")}" selected' in by_type.content.decode()


def test_filter_and_show_more_compose(new_page, carol):
    _history(carol, 12, source="Shop", type="order_placed", step_minutes=60)
    _history(carol, 12, source="Billing", type="invoice_paid", step_minutes=61)
    url = f"/agent/users/{carol.pk}/?tab=activity&filter=Billing"
    first = new_page.get(url)

    more = new_page.get(f"{url}&after={first.context['timeline_page'].next_cursor}", headers=HTMX_MORE)

    assert [r.source for r in more.context["timeline_rows"]] == ["Billing", "Billing"]
    assert "filter=Billing" in more.content.decode() or "Show 10 more" not in more.content.decode()


def test_a_filter_with_no_match_says_so(new_page, carol):
    _history(carol, 2)

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity&filter=Nowhere:nothing")

    assert response.status_code == 200
    assert "No events for this customer match “Nothing”." in response.content.decode()


def test_a_filter_for_a_source_the_customer_has_no_events_from_is_selected_and_named(new_page, carol):
    _history(carol, 2, source="Shop")

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity&filter=Billing")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Billing" selected>All Billing events (0)</option>' in html
    assert '<option value="" selected' not in html
    assert "No events for this customer match “All Billing events”." in html


def test_a_filter_for_an_unknown_type_of_a_known_source_is_offered_in_that_source(new_page, carol):
    _history(carol, 2, source="Shop", type="order_placed")

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity&filter=Shop:order_lost")

    shop = next(group for group in response.context["filter_groups"] if group.source == "Shop")
    assert [(c.label, c.count) for c in shop.choices] == [
        ("All Shop events", 2),
        ("Order placed", 2),
        ("Order lost", 0),
    ]
    assert 'value="Shop:order_lost" selected' in response.content.decode()


@pytest.mark.parametrize("crafted", [":", ":x", "%", "%3A", "%25zz", "x" * 5000, "a:b:c"])
def test_a_crafted_filter_value_gets_a_clear_page_never_an_error(new_page, carol, crafted):
    _history(carol, 2)

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity&filter={crafted}")

    assert response.status_code == 200
    html = response.content.decode()
    assert ("That filter names no kind of event" in html) or ("No events for this customer match" in html)


def test_a_customer_without_events_gets_an_empty_state(new_page, carol):
    response = new_page.get(f"/agent/users/{carol.pk}/")

    assert "No activity for this customer yet." in response.content.decode()


def test_a_malformed_cursor_starts_at_the_newest(new_page, carol):
    _history(carol, 3)

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=activity&after=%%%not-a-cursor")

    assert response.status_code == 200
    assert _descriptions(response)[0] == "order_placed 002"


def test_untrusted_descriptions_and_properties_are_escaped(new_page, carol):
    event_record(
        customer=carol,
        source="<b>Evil app</b>",
        type="owned",
        description="<img src=x onerror=alert(1)>",
        properties={"<script>": "<script>alert(2)</script>", "nested": {"list": ["<i>x</i>"]}},
    )

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<b>Evil app</b>" not in page and "<i>x</i>" not in page


def test_support_events_read_in_the_agents_language(new_page, bob, carol):
    event_record(
        customer=carol,
        type="name_changed",
        description="Name changed",
        properties={"field": "name", "previous": "Carol", "current": "Caroline"},
    )
    bob.locale = "fr"
    bob.save(update_fields=["locale"])

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Nom modifié de « Carol » à « Caroline »" in page


def test_consecutive_page_views_fold_into_one_group_but_distant_ones_do_not(new_page, carol):
    start = timezone.now() - datetime.timedelta(days=2)
    _history(carol, 4, source="Web", type="page_viewed", start=start, step_minutes=2)
    _history(carol, 1, source="Web", type="page_viewed", start=start - datetime.timedelta(days=1))

    rows = new_page.get(f"/agent/users/{carol.pk}/").context["timeline_rows"]

    assert [(row.description, len(row.events)) for row in rows] == [
        ("4 pages viewed", 4),
        ("page_viewed 000", 1),
    ]


def test_times_show_in_the_agents_time_zone(new_page, bob, carol):
    moment = datetime.datetime(2024, 1, 15, 12, 0, tzinfo=datetime.UTC)
    event_record(customer=carol, source="Shop", type="order_placed", description="Old order", occurred_at=moment)
    bob.time_zone = "Asia/Tokyo"
    bob.save(update_fields=["time_zone"])

    page = new_page.get(f"/agent/users/{carol.pk}/").content.decode()

    assert "Jan. 15, 2024, 9 p.m." in page
    assert '<time datetime="2024-01-15T21:00:00+09:00">' in page

    bob.locale = "fr"
    bob.save(update_fields=["locale"])

    assert "15 janvier 2024 21:00" in new_page.get(f"/agent/users/{carol.pk}/").content.decode()


# Query counts. Why these numbers: session + user + account (3); the customer (1, with Key details' ticket
# counts in the same query on a full page), plus their identities and memberships on a full page (2); the
# filter choices from the per-customer tally (1, which also names whoever was merged into the customer:
# their events are on this timeline too); one page of events (1). "Show 10 more" needs neither the filter
# choices nor Key details, only who was merged into the customer (1). None of it may grow with the history:
# a customer can have millions of events. A page whose first eleven events fold into ten rows or fewer (a burst
# of page views) reads the rest of its rows: 40 more events (1), and the rest of 500 only for a longer burst —
# bounded, whatever the history (with 30 events, the second page meets the page views). Where the kinds are
# read (a full page, the tab), a timeline with kinds that come in bursts reads those 40 with its first page.
ACTIVITY_PAGE_QUERIES = 8
ACTIVITY_PANEL_QUERIES = 6
SHOW_MORE_QUERIES = 6
FOLDED_PAGE_QUERIES = 1


@pytest.mark.parametrize(("event_count", "folded"), [(3, 0), (30, FOLDED_PAGE_QUERIES), (300, 0)])
def test_the_activity_tab_and_show_more_take_constant_queries(
    new_page, carol, event_count, folded, django_assert_num_queries
):
    _history(carol, event_count // 3, source="Shop")
    _history(carol, event_count // 3, source="Web", type="page_viewed", step_minutes=1)
    _history(carol, event_count - 2 * (event_count // 3), source="Billing", type="invoice_paid")
    url = f"/agent/users/{carol.pk}/?tab=activity"

    with django_assert_num_queries(ACTIVITY_PAGE_QUERIES):
        page = new_page.get(url)
    with django_assert_num_queries(ACTIVITY_PANEL_QUERIES):
        new_page.get(url + "&filter=Shop", headers=HTMX_PANEL)
    with django_assert_num_queries(SHOW_MORE_QUERIES + folded):
        new_page.get(f"{url}&after={page.context['timeline_page'].next_cursor or ''}", headers=HTMX_MORE)


def test_another_accounts_customer_timeline_is_a_404(new_page, dave):
    event_record(customer=dave, source="Shop", type="order_placed", description="Dave's order")

    assert new_page.get(f"/agent/users/{dave.pk}/?tab=activity").status_code == 404
    assert new_page.get(f"/agent/users/{dave.pk}/?tab=activity", headers=HTMX_MORE).status_code == 404


def test_end_users_never_see_a_timeline(as_carol, carol):
    assert as_carol.get(f"/agent/users/{carol.pk}/?tab=activity").status_code == 403


def test_identity_and_organization_changes_read_well_in_french(new_page, bob, carol, acme):
    from demo.factories import OrganizationFactory
    from profiles.identities import identity_add, identity_make_primary, identity_verify
    from profiles.organizations import membership_add

    identity_add(customer=carol, actor=bob, type="phone_number", value="+33 6 12 34 56 78")
    other = identity_add(customer=carol, actor=bob, type="email", value="carol.pro@example.org")
    identity_verify(customer=carol, actor=bob, identity=other)
    identity_make_primary(customer=carol, actor=bob, identity=other)
    membership_add(customer=carol, actor=bob, organization=OrganizationFactory(account=acme, name="Initech"))
    bob.locale = "fr"
    bob.save(update_fields=["locale"])

    descriptions = _descriptions(new_page.get(f"/agent/users/{carol.pk}/"))

    assert descriptions == [
        "Ajouté à Initech",
        "carol.pro@example.org défini comme principal",
        "E-mail carol.pro@example.org vérifié",
        "E-mail carol.pro@example.org ajouté",
        "Numéro de téléphone +33 6 12 34 56 78 ajouté",  # as people write it, not as stored
    ]
