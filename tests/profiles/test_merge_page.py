"""The Merge pages (F10): find the other customer, preview what moves and choose which values stay, confirm;
a stale preview is shown again instead of merging; the merged-away address leads to the kept customer."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import account_set_customer_profile
from activity.services import event_record
from demo.factories import CustomFieldFactory, PhoneIdentityFactory, TicketFactory, UserFactory
from profiles.merge import customer_merge
from tests.conftest import client_for

HTMX = {"HX-Request": "true"}


@pytest.fixture
def camille(acme):
    return UserFactory(account=acme, name="Camille Martin", email="camille@example.com", tags="gold")


@pytest.fixture
def enabled(acme, alice):
    account_set_customer_profile(account=acme, actor=alice, enabled=True)
    return acme


@pytest.fixture
def new_page(enabled, bob):
    bob.prefers_new_profile = True
    bob.save(update_fields=["prefers_new_profile"])
    return client_for(bob)


def _url(customer, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/agent/users/{customer.pk}/merge/" + (f"?{params}" if params else "")


def _preview(client, source, target):
    return client.get(_url(source, into=target.pk))


def _confirm(client, source, target, token, **choices):
    return client.post(_url(source), {"into": target.pk, "token": token, **choices})


def test_the_search_finds_other_customers_by_name_email_or_phone_and_nobody_else(
    as_bob, acme, carol, camille, bob, dave
):
    PhoneIdentityFactory(user=camille, value="+33612345678", primary=True)
    gone = UserFactory(account=acme, name="Camille Gone", email="gone@example.com")
    customer_merge(source=gone, target=camille, actor=bob)

    by_name = as_bob.get(_url(carol, q="camille")).content.decode()
    by_email = as_bob.get(_url(carol, q="camille@example")).content.decode()
    by_phone = as_bob.get(_url(carol, q="12 34 56 78")).content.decode()
    myself = as_bob.get(_url(carol, q="carol")).content.decode()
    members = as_bob.get(_url(carol, q="bob")).content.decode()
    elsewhere = as_bob.get(_url(carol, q="dave")).content.decode()

    for page in (by_name, by_email, by_phone):
        assert f'href="/agent/users/{carol.pk}/merge/?into={camille.pk}"' in page
        assert "Merge into Camille Martin" in page
    assert "Camille Gone" not in by_name, "a merged-away customer is no one to merge with"
    assert "?into=" not in myself and "No other customer matches" in myself
    assert "?into=" not in members and "?into=" not in elsewhere


def test_the_search_updates_in_place_with_htmx(as_bob, carol, camille):
    response = as_bob.get(_url(carol, q="cam"), headers=HTMX)

    page = response.content.decode()
    assert "<html" not in page and "Merge into Camille Martin" in page


def test_the_preview_shows_what_moves_and_the_choices(as_bob, acme, carol, camille):
    CustomFieldFactory(account=acme, key="plan", title="Plan")
    User.objects.filter(pk=carol.pk).update(notes="Carol's notes", custom_fields={"plan": "pro"})
    User.objects.filter(pk=camille.pk).update(notes="<b>Camille's</b> notes", custom_fields={"plan": "team"})
    TicketFactory.create_batch(2, requester=carol)
    event_record(customer=carol, source="Shop", type="order_placed")

    response = _preview(as_bob, carol, camille)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Merge Carol Customer into Camille Martin" in page
    assert "Camille Martin’s profile is kept." in page
    assert f'href="/agent/users/{camille.pk}/merge/?into={carol.pk}"' in page and "Keep Carol Customer instead" in page
    for name in ("name", "notes", "cf_plan"):
        assert f'name="{name}" value="target" checked' in page
        assert f'name="{name}" value="source" >' in page or f'name="{name}" value="source">' in page
    assert "&lt;b&gt;Camille&#x27;s&lt;/b&gt; notes" in page
    assert "carol@example.com" in page and "becomes another email" in page
    assert "<dt>Requested tickets</dt><dd>2</dd>" in page and "<dt>Activity events</dt><dd>1</dd>" in page
    assert ">beta<" in page and ">vip<" in page, "Carol's tags Camille gains"


def test_confirming_merges_with_the_choices_and_the_old_address_leads_to_the_kept_customer(new_page, carol, camille):
    User.objects.filter(pk=camille.pk).update(notes="Camille's notes")
    TicketFactory(requester=carol, subject="Carol's ticket")
    token = _preview(new_page, carol, camille).context["preview"].token

    response = _confirm(new_page, carol, camille, token, name="source", notes="target")

    assert response.status_code == 302 and response.url == f"/agent/users/{camille.pk}/"
    kept = User.objects.get(pk=camille.pk)
    assert (kept.name, kept.notes) == ("Carol Customer", "Camille's notes")
    page = new_page.get(response.url).content.decode()
    assert "Carol Customer was merged into this customer." in page
    old = new_page.get(f"/agent/users/{carol.pk}/?tab=tickets")
    assert old.status_code == 302 and old.url == f"/agent/users/{camille.pk}/?tab=tickets"
    assert "Carol&#x27;s ticket" in new_page.get(old.url).content.decode()
    activity = new_page.get(f"/agent/users/{camille.pk}/").content.decode()
    assert f"Carol Customer (#{carol.pk}) was merged into this customer" in activity


def test_an_htmx_request_for_a_merged_away_customer_reloads_the_kept_ones_page(new_page, bob, carol, camille):
    customer_merge(source=carol, target=camille, actor=bob)

    response = new_page.get(f"/agent/users/{carol.pk}/?tab=details", headers={**HTMX, "HX-Target": "tab-panel"})

    assert response.status_code == 200 and response["HX-Redirect"] == f"/agent/users/{camille.pk}/?tab=details"


def test_a_stale_preview_is_shown_again_with_the_agents_choices_and_nothing_is_merged(as_bob, bob, carol, camille):
    token = _preview(as_bob, carol, camille).context["preview"].token
    User.objects.filter(pk=carol.pk).update(notes="Typed by another agent meanwhile")

    response = _confirm(as_bob, carol, camille, token, name="source")

    page = response.content.decode()
    assert response.status_code == 409
    assert "changed since you opened this preview. Nothing was merged" in page
    assert "Typed by another agent meanwhile" in page
    assert 'name="name" value="source" checked' in page, "the agent's choice is kept"
    assert response.context["preview"].token != token
    assert User.objects.get(pk=carol.pk).merged_into_id is None


def test_a_confirmation_without_a_token_is_stale(as_bob, carol, camille):
    response = as_bob.post(_url(carol), {"into": camille.pk})

    assert response.status_code == 409
    assert User.objects.get(pk=carol.pk).merged_into_id is None


@pytest.mark.parametrize("target", ["bob", "alice", "carol"])
def test_team_members_and_the_customer_themselves_are_refused_with_a_message(request, as_bob, carol, target):
    other = request.getfixturevalue(target)

    response = _preview(as_bob, carol, other)
    posted = _confirm(as_bob, carol, other, "whatever")

    assert response.status_code == posted.status_code == 400
    message = "be merged into themselves" if target == "carol" else "is a team member"
    assert message in response.content.decode() and message in posted.content.decode()
    assert User.objects.get(pk=carol.pk).merged_into_id is None


def test_a_team_members_merge_page_is_a_404(as_bob, alice):
    assert as_bob.get(_url(alice)).status_code == 404


def test_another_accounts_customer_is_never_found(as_bob, carol, dave):
    assert _preview(as_bob, carol, dave).status_code == 404
    assert _confirm(as_bob, carol, dave, "x").status_code == 404
    assert as_bob.get(_url(dave)).status_code == 404
    assert User.objects.get(pk=dave.pk).merged_into_id is None


def test_an_email_another_customer_owns_offers_to_merge_them(new_page, carol, camille):
    form = new_page.get(f"/agent/users/{carol.pk}/?tab=details").context["details_form"]
    data = {name: form[name].value() or "" for name in form.fields if not form.fields[name].disabled}
    data.update({"new_contact_type": "email", "new_contact_value": "camille@example.com"})

    response = new_page.post(f"/agent/users/{carol.pk}/details/", data)

    page = response.content.decode()
    assert "camille@example.com already belongs to Camille Martin." in page
    assert f'href="/agent/users/{camille.pk}/merge/?into={carol.pk}"' in page
    assert "Merge Camille Martin into this customer" in page


def test_after_a_merge_the_timeline_filter_counts_each_type_once(new_page, bob, carol, camille):
    event_record(customer=carol, source="Shop", type="order_placed")
    event_record(customer=camille, source="Shop", type="order_placed")
    event_record(customer=camille, source="Shop", type="order_placed")
    customer_merge(source=carol, target=camille, actor=bob)

    groups = new_page.get(f"/agent/users/{camille.pk}/").context["filter_groups"]

    shop = next(g for g in groups if g.source == "Shop")
    assert [(c.label, c.count) for c in shop.choices] == [("All Shop events", 3), ("Order placed", 3)]


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [("alice", 200, 302), ("bob", 200, 302), ("carol", 403, 403), ("charlie", 404, 404), (None, 302, 302)],
)
def test_who_may_merge_customers(request, acme, bob, carol, camille, who, get_status, post_status):
    client = Client(HTTP_HOST="acme.localhost") if who is None else client_for(request.getfixturevalue(who))
    token = _preview(client_for(bob), carol, camille).context["preview"].token

    assert client.get(_url(carol)).status_code == get_status
    assert _preview(client, carol, camille).status_code == get_status
    assert _confirm(client, carol, camille, token).status_code == post_status
    merged = User.objects.get(pk=carol.pk).merged_into_id == camille.pk
    assert merged is (who in ("alice", "bob"))


# Query counts. Why these numbers: session + user + account (3); the customer (1); both customers (1); their
# identities (1) and organizations (1); the user field definitions (1); the tickets they requested and are
# CC'd on, counted (2); their events, summed from the tallies (1); the lookup fields that could name them
# (1). None of it grows with what the customers have: one may have thousands of tickets and millions of
# events.
PREVIEW_QUERIES = 12


@pytest.mark.parametrize("volume", [0, 30])
def test_the_preview_takes_constant_queries(as_bob, acme, carol, camille, volume, django_assert_num_queries):
    TicketFactory.create_batch(volume, requester=carol)
    for _ in range(volume):
        event_record(customer=carol, source="Shop", type=f"type_{_ % 7}")
        PhoneIdentityFactory(user=carol)

    with django_assert_num_queries(PREVIEW_QUERIES):
        assert _preview(as_bob, carol, camille).status_code == 200
