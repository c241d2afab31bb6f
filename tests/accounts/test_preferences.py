import zoneinfo

from accounts.models import AuditEntry, User
from demo.factories import TicketFactory


def test_a_team_member_switches_the_product_to_french_and_their_time_zone(as_bob, bob):
    response = as_bob.post("/preferences/", {"locale": "fr", "time_zone": "America/Montreal"}, follow=True)

    bob.refresh_from_db()
    assert (bob.locale, bob.time_zone) == ("fr", "America/Montreal")
    page = response.content.decode()
    assert "Vos préférences ont été enregistrées." in page and 'lang="fr"' in page
    assert AuditEntry.objects.get(action="user.preferences_changed").after == {
        "locale": "fr",
        "time_zone": "America/Montreal",
    }


def test_an_unknown_time_zone_is_refused_next_to_the_field(as_bob, bob):
    response = as_bob.post("/preferences/", {"locale": "fr", "time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=bob.pk).locale == "en"


def test_preferences_are_personal_and_need_a_sign_in(anonymous):
    response = anonymous.get("/preferences/")

    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_times_follow_the_viewers_time_zone(as_bob, bob, carol):
    ticket = TicketFactory(requester=carol)
    User.objects.filter(pk=bob.pk).update(time_zone="Asia/Tokyo")

    page = as_bob.get(f"/agent/tickets/{ticket.pk}/").content.decode()

    assert ticket.created_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).isoformat() in page
