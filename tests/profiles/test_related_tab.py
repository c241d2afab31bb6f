"""The Related tab (F8): every lookup relationship the customer takes part in, both directions, each with
its count; expanding one lists its records 25 at a time (htmx, or a plain link without JavaScript); hidden
and inactive fields and other accounts' records never show; constant queries however many fields and
records point at the customer."""

import pytest

from accounts.services import account_set_customer_profile
from common.keyset import encode_cursor
from custom_fields.models import LookupCount, LookupLink
from custom_fields.relations import lookup_links_rebuild
from custom_fields.services import custom_field_set_active, custom_field_update
from demo.factories import CustomFieldFactory, OrganizationFactory, TicketFactory, UserFactory
from tests.conftest import client_for
from tests.lookups import lookup_fields, point


@pytest.fixture
def agent(acme, alice, bob):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    bob.prefers_new_profile = True
    bob.save(update_fields=["prefers_new_profile"])
    return client_for(bob)


@pytest.fixture
def fields(acme):
    return lookup_fields(acme)


def _tab(client, customer, **headers):
    return client.get(f"/agent/users/{customer.pk}/?tab=related", headers=headers)


def _expand(client, customer, field, after=None):
    url = f"/agent/users/{customer.pk}/?tab=related&open={field.pk}" + (f"&after={after}" if after else "")
    target = f"relation-in-{field.pk}-{'more' if after else 'rows'}"
    return client.get(url, headers={"HX-Request": "true", "HX-Target": target})


def _rows(response) -> dict[str, int]:
    return {row.title: row.count for row in response.context["related_rows"]}


def test_related_is_the_fourth_tab(agent, carol):
    page = agent.get(f"/agent/users/{carol.pk}/").content.decode()

    tabs = page[page.index('role="tablist"') :]
    assert (
        tabs.index(">Activity<") < tabs.index(">Tickets<") < tabs.index(">Customer details<") < tabs.index(">Related<")
    )


def test_with_no_relationship_the_tab_says_so_plainly(agent, carol, fields):
    response = _tab(agent, carol)

    assert response.status_code == 200 and response.context["related_rows"] == []
    assert "Nothing is related to this customer." in response.content.decode()


def test_one_relationship_shows_collapsed_with_its_count(agent, bob, carol, acme, fields):
    initech = OrganizationFactory(account=acme, name="Initech")
    point(bob, initech, "primary_contact", carol)

    response = _tab(agent, carol)

    assert _rows(response) == {"Organizations where this customer is Primary contact": 1}
    page = response.content.decode()
    assert f'hx-get="/agent/users/{carol.pk}/?tab=related&amp;open={fields["primary_contact"].pk}"' in page
    assert "Initech" not in page  # listed only once expanded


def test_every_relationship_shows_in_both_directions_with_its_count(agent, bob, carol, acme, fields):
    for name in ("Initech", "Globodyne"):
        point(bob, OrganizationFactory(account=acme, name=name), "primary_contact", carol)
    for _ in range(3):
        point(bob, TicketFactory(requester=UserFactory(account=acme)), "reported_by", carol)
    for _ in range(2):
        point(bob, UserFactory(account=acme), "account_manager", carol)
    manager = UserFactory(account=acme, name="Martha Manager")
    point(bob, carol, "account_manager", manager)
    point(bob, carol, "employer", OrganizationFactory(account=acme, name="Umbrella"))

    rows = _rows(_tab(agent, carol))

    assert rows == {
        "Organizations where this customer is Primary contact": 2,
        "Tickets where this customer is Reported by": 3,
        "People where this customer is Account manager": 2,
        "This customer's Account manager": 1,
        "This customer's Employer": 1,
    }


def test_the_customers_own_lookups_are_listed_at_once_and_linked(agent, bob, carol, acme, fields):
    manager = UserFactory(account=acme, name="Martha Manager", email="martha@example.com")
    umbrella = OrganizationFactory(account=acme, name="Umbrella")
    point(bob, carol, "account_manager", manager)
    point(bob, carol, "employer", umbrella)

    page = _tab(agent, carol).content.decode()

    assert f'<a href="/agent/users/{manager.pk}/">Martha Manager</a>' in page
    assert f'<a href="/agent/organizations/{umbrella.pk}/">Umbrella</a>' in page


def test_a_team_member_is_named_but_not_linked(agent, bob, carol, fields):
    point(bob, carol, "account_manager", bob)

    page = _tab(agent, carol).content.decode()

    assert "Bob Agent" in page and "Team member" in page and f"/agent/users/{bob.pk}/" not in page


def test_expanding_lists_the_records_newest_first_linked_to_their_pages(agent, bob, carol, acme, fields):
    first = OrganizationFactory(account=acme, name="Initech", domains="initech.example")
    second = OrganizationFactory(account=acme, name="Globodyne")
    point(bob, first, "primary_contact", carol)
    point(bob, second, "primary_contact", carol)

    response = _expand(agent, carol, fields["primary_contact"])

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and 'role="tablist"' not in page
    assert page.index("Globodyne") < page.index("Initech")
    assert f'<a href="/agent/organizations/{first.pk}/">Initech</a>' in page and "initech.example" in page
    assert "Show 25 more" not in page


def test_many_records_come_25_at_a_time_with_show_more_to_the_end(agent, bob, carol, acme, fields):
    tickets = TicketFactory.create_batch(
        60, requester=UserFactory(account=acme), custom_fields={"reported_by": carol.pk}
    )
    lookup_links_rebuild(account=acme)  # written in bulk, around the services
    field = fields["reported_by"]

    assert _rows(_tab(agent, carol)) == {"Tickets where this customer is Reported by": 60}
    seen, after = [], None
    for _page in range(3):
        response = _expand(agent, carol, field, after)
        relation = response.context["relation"]
        seen += [item.label for item in relation.items]
        after = relation.next_url.rsplit("after=", 1)[1] if relation.next_url else None
    assert len(seen) == 60 and after is None
    assert seen == [f"#{t.pk} {t.subject}" for t in sorted(tickets, key=lambda t: -t.pk)]


def test_show_more_appends_only_the_next_records(agent, carol, acme, fields):
    TicketFactory.create_batch(30, requester=UserFactory(account=acme), custom_fields={"reported_by": carol.pk})
    lookup_links_rebuild(account=acme)
    field = fields["reported_by"]
    first = _expand(agent, carol, field).content.decode()
    after = first.split("after=", 1)[1].split('"', 1)[0]

    more = _expand(agent, carol, field, after).content.decode()

    assert first.count('class="relation__item"') == 25 and '<ul class="relation__list">' in first
    assert more.count('class="relation__item"') == 5 and "<ul" not in more and "data-page-start" in more
    assert f'id="relation-in-{field.pk}-more"' in first and "Show 25 more" not in more


@pytest.mark.parametrize("after", [encode_cursor(["abc"]), encode_cursor([1.5]), "%%%", encode_cursor([1, 2])])
def test_a_forged_cursor_starts_at_the_first_records_never_an_error(agent, bob, carol, acme, fields, after):
    point(bob, OrganizationFactory(account=acme, name="Initech"), "primary_contact", carol)

    response = _expand(agent, carol, fields["primary_contact"], after)

    assert response.status_code == 200 and "Initech" in response.content.decode()


def test_without_javascript_a_relationship_opens_on_the_page_itself(agent, bob, carol, acme, fields):
    point(bob, OrganizationFactory(account=acme, name="Initech"), "primary_contact", carol)
    field = fields["primary_contact"]

    page = agent.get(f"/agent/users/{carol.pk}/?tab=related&open={field.pk}").content.decode()

    assert "<html" in page and f'id="relation-in-{field.pk}" open' in page and "Initech" in page


def test_the_next_page_without_javascript_links_back_to_the_first(agent, carol, acme, fields):
    TicketFactory.create_batch(30, requester=UserFactory(account=acme), custom_fields={"reported_by": carol.pk})
    lookup_links_rebuild(account=acme)
    field = fields["reported_by"]
    first = agent.get(f"/agent/users/{carol.pk}/?tab=related&open={field.pk}")
    after = first.context["related_rows"][0].next_url.rsplit("after=", 1)[1]

    second = agent.get(f"/agent/users/{carol.pk}/?tab=related&open={field.pk}&after={after}").content.decode()

    assert second.count('class="relation__item"') == 5 and "Back to the first records" in second


def test_changing_a_lookup_moves_the_relationship_and_clearing_it_removes_it(agent, bob, carol, acme, fields):
    other = UserFactory(account=acme, name="Other Customer")
    initech = OrganizationFactory(account=acme, name="Initech")
    point(bob, initech, "primary_contact", carol)

    point(bob, initech, "primary_contact", other)

    assert _rows(_tab(agent, carol)) == {}
    assert _rows(_tab(agent, other)) == {"Organizations where this customer is Primary contact": 1}
    point(bob, initech, "primary_contact", None)
    assert _rows(_tab(agent, other)) == {}
    assert not LookupLink.objects.exists()


def test_what_the_services_keep_is_what_a_rebuild_from_the_values_finds(bob, carol, acme, fields):
    people = UserFactory.create_batch(3, account=acme)
    organizations = OrganizationFactory.create_batch(3, account=acme)
    for i, organization in enumerate(organizations):
        point(bob, organization, "primary_contact", people[i % 2])
        point(bob, organization, "parent", organizations[0])
    point(bob, organizations[1], "primary_contact", carol)
    point(bob, people[2], "account_manager", people[0])
    point(bob, people[2], "account_manager", None)
    kept = _snapshot()

    lookup_links_rebuild(account=acme)

    assert _snapshot() == kept


def _snapshot():
    links = set(LookupLink.objects.values_list("field_id", "target_id", "source_id"))
    counts = {(f, t): n for f, t, n in LookupCount.objects.values_list("field_id", "target_id", "total") if n}
    return links, counts


def test_a_lookup_pointing_at_another_accounts_record_never_shows(
    agent, bob, carol, dave, acme, globex, charlie, fields
):
    # Globex's organization names Carol (of Acme) as its primary contact; Carol's own field names Dave.
    theirs = CustomFieldFactory(
        account=globex, object_type="organization", key="primary_contact", type="lookup", lookup_target="user"
    )
    OrganizationFactory(account=globex, name="Globex HQ", custom_fields={"primary_contact": carol.pk})
    carol.custom_fields = {"account_manager": dave.pk}
    carol.save(update_fields=["custom_fields"])
    lookup_links_rebuild(account=globex)
    lookup_links_rebuild(account=acme)
    LookupLink.objects.create(field=theirs, target_id=carol.pk, source_id=1)  # even a stray link
    LookupCount.objects.create(field=theirs, target_id=carol.pk, total=1)

    response = _tab(agent, carol)

    assert _rows(response) == {}
    assert "Globex HQ" not in response.content.decode() and "Dave" not in response.content.decode()
    assert _expand(agent, carol, theirs).status_code == 404


def test_inactive_fields_and_fields_hidden_from_agents_dont_show(agent, alice, bob, carol, acme, fields):
    point(bob, OrganizationFactory(account=acme), "primary_contact", carol)
    point(bob, TicketFactory(requester=carol), "reported_by", carol)
    custom_field_set_active(field=fields["primary_contact"], actor=alice, active=False)
    custom_field_update(field=fields["reported_by"], actor=alice, agent_access="hidden")
    alice.prefers_new_profile = True
    alice.save(update_fields=["prefers_new_profile"])

    as_agent = _rows(_tab(agent, carol))
    as_admin = _rows(_tab(client_for(alice), carol))

    assert as_agent == {}
    assert as_admin == {"Tickets where this customer is Reported by": 1}  # admins see hidden fields (B3)
    assert _expand(agent, carol, fields["reported_by"]).status_code == 404
    assert _expand(agent, carol, fields["primary_contact"]).status_code == 404


def test_an_expansion_naming_a_field_that_points_elsewhere_or_nothing_is_a_404(agent, carol, fields):
    employer = fields["employer"]  # points at organizations, not customers
    field = fields["primary_contact"]

    assert _expand(agent, carol, employer).status_code == 404
    on_another_tab = agent.get(
        f"/agent/users/{carol.pk}/?tab=activity&open={field.pk}",
        headers={"HX-Request": "true", "HX-Target": f"relation-in-{field.pk}-rows"},
    )
    assert on_another_tab.status_code == 404
    response = agent.get(
        f"/agent/users/{carol.pk}/?tab=related&open=abc", headers={"HX-Request": "true", "HX-Target": "relation-in-x"}
    )
    assert response.status_code == 404


def test_titles_and_records_are_escaped(agent, alice, bob, carol, acme, fields):
    custom_field_update(field=fields["primary_contact"], actor=alice, title="<b>Boss</b>")
    point(bob, OrganizationFactory(account=acme, name="<script>x()</script>"), "primary_contact", carol)

    tab = _tab(agent, carol).content.decode()
    listed = _expand(agent, carol, fields["primary_contact"]).content.decode()

    assert "<b>Boss</b>" not in tab and "&lt;b&gt;Boss&lt;/b&gt;" in tab
    assert "<script>x()</script>" not in listed and "&lt;script&gt;x()&lt;/script&gt;" in listed


def test_the_tab_reads_in_french(agent, bob, carol, acme, fields):
    bob.locale = "fr"
    bob.save(update_fields=["locale"])
    point(bob, OrganizationFactory(account=acme), "primary_contact", carol)

    page = _tab(agent, carol).content.decode()

    assert ">Associés<" in page and "Organisations où ce client est Primary contact" in page


def test_another_accounts_customer_is_a_404_on_the_tab_and_its_expansions(as_charlie, carol, fields):
    assert as_charlie.get(f"/agent/users/{carol.pk}/?tab=related").status_code == 404
    assert _expand(as_charlie, carol, fields["primary_contact"]).status_code == 404


def test_end_users_are_refused_and_visitors_sent_to_sign_in(as_carol, anonymous, carol, fields):
    url = f"/agent/users/{carol.pk}/?tab=related&open={fields['primary_contact'].pk}"

    assert as_carol.get(url).status_code == 403
    response = anonymous.get(url)
    assert response.status_code == 302 and "/sign-in/" in response.url


# Query counts. The tab switch (HX-Target profile-tabs) reads the session, the member and the account (3),
# the customer (1), every relationship's count in one query (1) and the records the customer's own lookups
# point at, one query per kind of record (here people and organizations: 2); the first request of a process
# also reads the lookup field definitions of every kind at once (1, then kept). The full page adds the ticket
# counts in the customer's query, and their identities and memberships (2). An expansion reads the customer,
# one page of links and those records (3). None may grow with the number of fields or of records pointing at
# the customer: that is what keeps the tab as quick for 100,000 tickets as for 10.
TAB_QUERIES = 7
DEFINITIONS = 1
PAGE_QUERIES = TAB_QUERIES + 2
EXPANSION_QUERIES = 6


@pytest.mark.parametrize("scale", [1, 3])
def test_the_tab_and_its_expansions_take_constant_queries(
    agent, bob, carol, acme, alice, fields, scale, django_assert_num_queries
):
    for i in range(scale):  # more fields of each kind, each with more records pointing at Carol
        for kind in ("organization", "ticket", "user"):
            CustomFieldFactory(
                account=acme, object_type=kind, key=f"extra_{i}", type="lookup", lookup_target="user", position=10 + i
            )
        TicketFactory.create_batch(
            30 * scale, requester=carol, custom_fields={"reported_by": carol.pk, f"extra_{i}": carol.pk}
        )
        OrganizationFactory.create_batch(
            scale, account=acme, custom_fields={"primary_contact": carol.pk, f"extra_{i}": carol.pk}
        )
        UserFactory.create_batch(
            scale, account=acme, custom_fields={"account_manager": carol.pk, f"extra_{i}": carol.pk}
        )
    carol.custom_fields = {
        "account_manager": UserFactory(account=acme).pk,
        "employer": OrganizationFactory(account=acme).pk,
    }
    carol.save(update_fields=["custom_fields"])
    lookup_links_rebuild(account=acme)
    tabs = {"HX-Request": "true", "HX-Target": "profile-tabs"}

    with django_assert_num_queries(TAB_QUERIES + DEFINITIONS):
        response = _tab(agent, carol, **tabs)
    assert len(response.context["related_rows"]) == 3 + 3 * scale + 2
    with django_assert_num_queries(PAGE_QUERIES):
        assert _tab(agent, carol).status_code == 200
    with django_assert_num_queries(EXPANSION_QUERIES):
        first = _expand(agent, carol, fields["reported_by"])
    after = first.context["relation"].next_url.rsplit("after=", 1)[1]
    with django_assert_num_queries(EXPANSION_QUERIES):
        _expand(agent, carol, fields["reported_by"], after)
