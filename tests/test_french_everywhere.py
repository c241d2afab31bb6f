"""Every page and HTMX partial, rendered for French readers (admin, agent, customer, anonymous), carries no
English sentence of the product: each English msgid of the catalogues is looked for in the visible text
(and the attributes people see or hear: labels, titles, placeholders, confirmations).

Only the product's own sentences count: the demo's data (names, app events sent by integrations, custom
field titles an admin wrote) may be in any language, so a msgid is looked for only when its words are long
enough not to turn up in data by chance, and a short list below allows the few that do."""

import glob
import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Account, Role, User
from accounts.services import api_token_create
from activity.models import Event
from custom_fields.models import CustomField
from profiles.models import Identity, Organization
from profiles.services import customer_update
from profiles.verification import verification_token_make
from tests.conftest import client_for
from tests.test_permission_matrix import ACCESS, ADMIN, END_USER, PUBLIC, SIGNED_IN, TEAM, concrete, url_patterns
from tickets.models import Ticket

BASE = Path(__file__).resolve().parents[1]
SMALL = {"customers": 12, "tickets": 30, "events": 200}
# Visible attributes: what a screen reader says, a tooltip shows or a confirmation dialog asks.
SPOKEN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "label", "hx-confirm", "aria-description"}
# English that French pages may show: proper nouns and the demo's data, which the product doesn't write.
ALLOWED = {
    "English",  # each language is listed in its own name
    "Customer number",  # custom field titles: the admin's words
}
# Words a French page may hold as they are (same in both languages, or names).
SAME_IN_FRENCH = re.compile(r"^(Description|Type|Date|Support|Notes?|Options?|Tags?|Organisations?|Contact|Ticket.*)$")


def _english_sentences() -> list[tuple[str, re.Pattern]]:
    """(msgid, pattern) of each msgid translated differently in French, placeholders matching anything."""
    found = {}
    for path in [
        *glob.glob(str(BASE / "*/locale/fr/LC_MESSAGES/django.po")),
        str(BASE / "locale/fr/LC_MESSAGES/django.po"),
    ]:
        for entry in polib.pofile(path):
            for english, french in _forms(entry):
                if not french or french == english or english in ALLOWED or SAME_IN_FRENCH.match(english):
                    continue
                literal = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{?[^}]*\}?\}|<[^>]+>", html.unescape(english))
                words = " ".join(part.strip() for part in literal).split()
                # Long enough to be the product talking, not a word that data may hold by chance.
                if len(words) < 2 and sum(len(w) for w in words) < 12:
                    continue
                pieces = [_piece(part) for part in literal]
                found[english] = re.compile(r"(?<![\w-])" + r".{1,200}?".join(pieces) + r"(?![\w-])")
    return sorted(found.items())


def _piece(part: str) -> str:
    """A literal part of a msgid as a pattern; the spaces at its ends stay, so "Suspend " doesn't match the
    start of "Suspendre"."""
    words = " ".join(part.split())
    if not words:
        return ""
    return (r"\s+" if part[0].isspace() else "") + re.escape(words) + (r"\s+" if part[-1].isspace() else "")


def _forms(entry):
    if entry.msgid_plural:
        return [(entry.msgid, entry.msgstr_plural.get(0)), (entry.msgid_plural, entry.msgstr_plural.get(1))]
    return [(entry.msgid, entry.msgstr)]


class _Visible(HTMLParser):
    """The text a person reads or hears on a page (scripts and styles aside)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in SPOKEN_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and dict(attrs).get("type") in ("submit", "button") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " \n ".join(" ".join(part.split()) for part in parser.parts if part.strip())


def english_in(text: str, sentences, data=()) -> list[str]:
    for value in data:  # what people and apps wrote is theirs, in whatever language
        text = text.replace(value, "□")
    return [english for english, pattern in sentences if pattern.search(text)]


def _data(account) -> list[str]:
    """The account's data as people and apps wrote it, longest first."""
    values = {*User.objects.filter(account=account).values_list("name", flat=True)}
    values |= {*Organization.objects.filter(account=account).values_list("name", flat=True)}
    values |= {*Ticket.objects.filter(account=account).values_list("subject", flat=True)}
    for field in CustomField.objects.filter(account=account):
        values |= {field.title, field.description, *(option["name"] for option in field.options or [])}
    values |= {*Event.objects.filter(account=account).exclude(source="Support").values_list("description", flat=True)}
    return sorted((v for v in values if v and len(v) > 2), key=len, reverse=True)


@pytest.fixture
def demo(db):
    """The demo account, everyone in it reading French, and one of each kind of event and record."""
    call_command("seed_demo", **SMALL, stdout=io.StringIO())
    account = Account.objects.get(subdomain="demo")
    User.objects.filter(account=account).update(locale="fr")
    # The agent uses the new profile page, the admin the legacy one: both are rendered.
    Account.objects.filter(pk=account.pk).update(customer_profile_enabled=True)
    User.objects.filter(account=account, email="agent@example.com").update(prefers_new_profile=True)
    admin = User.objects.get(account=account, email="admin@example.com")
    agent = User.objects.get(account=account, email="agent@example.com")
    showcase = User.objects.get(account=account, email="camille.martin@example.com")
    seats = CustomField.objects.get(account=account, object_type="user", key="seats")
    customer_update(
        customer=showcase,
        actor=agent,
        changes={"notes": "Préfère le téléphone", "locale": "en"},
        originals={"notes": showcase.notes, "locale": "fr"},
        custom_changes={seats.key: 12},
        custom_originals={},
    )
    User.objects.filter(pk=showcase.pk).update(locale="fr")
    showcase.refresh_from_db()
    unverified = Identity.objects.filter(user=showcase, type="email", verified=False).first()
    membership = showcase.memberships.first()
    ticket = Ticket.objects.filter(requester=showcase).first()
    other = User.objects.filter(account=account, role=Role.END_USER).exclude(pk=showcase.pk).first()
    world = {
        "user_id": showcase.pk,
        "identity_id": (unverified or showcase.identities.first()).pk,
        "membership_id": membership.pk,
        "organization_id": membership.organization_id,
        "ticket_id": ticket.pk,
        "token_id": api_token_create(account=account, actor=admin, name="Boutique")[0].pk,
        "field_id": seats.pk,
        "object_type": "user",
        "target": "user",
        "option_id": 1,
        "job_id": "none",
        "token": verification_token_make(unverified) if unverified else "nonsense",
        "uidb64": urlsafe_base64_encode(force_bytes(showcase.pk)),
    }
    return {"admin": admin, "agent": agent, "customer": showcase, "other": other, "world": world}


def _clients(demo) -> dict:
    return {
        "admin": lambda: client_for(demo["admin"]),
        "agent": lambda: client_for(demo["agent"]),
        "customer": lambda: client_for(demo["customer"]),
        "anonymous": lambda: _anonymous(),
    }


def _anonymous():
    client = client_for(None, host="demo.localhost")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


WHO_MAY = {ADMIN: ["admin"], TEAM: ["agent", "admin"], END_USER: ["customer"], SIGNED_IN: ["agent", "customer"]}
WHO_MAY[PUBLIC] = ["anonymous", "agent"]


def _pages(demo) -> list[tuple[str, str, str, dict]]:
    """(role, method, path, headers) of every page of the URL conf a person opens, and its HTMX partials."""
    pages = []
    for name, route, parameters in url_patterns():
        level = ACCESS.get(name)
        if level not in WHO_MAY or name.startswith(("api:", "devtools:")) or name == "accounts:logout":
            continue
        path = concrete(name, route, parameters, demo["world"])
        pages += [(role, "get", path, {}) for role in WHO_MAY[level]]
    customer = f"/agent/users/{demo['customer'].pk}/"
    panel = {"HX-Request": "true", "HX-Target": "tab-panel"}
    related_field = CustomField.objects.filter(account=demo["admin"].account, type="lookup").first()
    for query in ["?tab=activity", "?tab=tickets", "?tab=details", "?tab=related", "?tab=activity&filter=Billing"]:
        pages += [("agent", "get", customer + query, {}), ("agent", "get", customer + query, panel)]
    pages += [
        ("agent", "get", customer + "?tab=activity&filter=:x", {}),
        ("agent", "get", customer + "?tab=tickets&status=solved", panel),
        ("agent", "get", f"{customer}?tab=related&open={related_field.pk}", {}),
        ("agent", "get", f"{customer}merge/?into={demo['other'].pk}", {}),
        ("agent", "get", f"{customer}merge/?q=mar", {}),
        ("agent", "get", "/agent/users/?q=mar", {}),
        ("agent", "get", "/agent/users/?q=mar", {"HX-Request": "true"}),
        ("agent", "get", "/agent/users/?q=zzzzzz", {}),
        ("agent", "get", "/agent/no-such-page/", {}),
        ("anonymous", "get", "/verify-email/nonsense/", {}),
        ("admin", "get", "/admin-center/people/user-fields/new/", {}),
        ("admin", "get", "/admin-center/people/organization-fields/", {}),
        ("admin", "get", "/admin-center/people/ticket-fields/", {}),
        # Forms sent back with mistakes: their messages are French too.
        ("agent", "post", f"{customer}tickets/new/", {}),
        ("admin", "post", "/admin-center/people/user-fields/new/", {"type": "regexp", "regexp": "(a)\\1"}),
        ("agent", "post", "/preferences/", {"locale": "xx", "time_zone": "Mars/Olympus"}),
        ("anonymous", "post", "/sign-in/", {"username": "nobody@example.com", "password": "wrong-password"}),
    ]
    return pages


def test_every_page_and_partial_reads_in_french_for_every_role(demo):
    sentences = _english_sentences()
    data = _data(demo["admin"].account)
    clients = _clients(demo)
    found, seen = {}, 0
    for role, method, path, extra in _pages(demo):
        client = clients[role]()
        if method == "get":
            response = client.get(path, headers=extra, follow=True)
        else:
            response = client.post(path, extra, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        text = visible_text(response.content.decode())
        if english := english_in(text, sentences, data):
            found[f"{role} {method.upper()} {path} {extra or ''}"] = english
        assert "Courriel" not in text, f"{path}: one word for email, “e-mail”"
    assert seen > 40
    assert not found, "English on French pages:\n" + "\n".join(f"{page}: {english}" for page, english in found.items())


def test_the_timeline_reads_custom_field_changes_in_french(demo):
    client = client_for(demo["agent"])
    customer = demo["customer"]

    page = client.get(f"/agent/users/{customer.pk}/?tab=activity").content.decode()

    assert Event.objects.filter(customer=customer, type="custom_field_changed").exists()
    assert "Champ « Seats » modifié de « 120 » à « 12 »" in page
    assert "Champ personnalisé modifié" in page  # the filter's option
    assert "Langue modifiée de Français à English" in page  # each language in its own name


def test_numbers_meet_nouns_through_plurals(demo):
    customer = demo["customer"]
    Ticket.objects.filter(requester=customer).update(status="closed")
    Ticket.objects.filter(pk=demo["world"]["ticket_id"]).update(status="open")
    client = client_for(demo["agent"])

    page = visible_text(client.get(f"/agent/users/{customer.pk}/").content.decode())

    total = Ticket.objects.filter(requester=customer).count()
    assert f"1 ouvert sur {total}" in page


def test_language_choices_are_listed_in_their_own_names(demo):
    with translation.override("fr"):
        page = client_for(demo["agent"]).get("/preferences/").content.decode()

    assert '<option value="en">English</option>' in page or '<option value="en" selected>English</option>' in page
    assert ">Français</option>" in page and ">Anglais<" not in page and ">French<" not in page


def test_the_checker_catches_an_english_sentence_and_ignores_french():
    sentences = _english_sentences()

    assert english_in("Some fields need your attention. Nothing was saved.", sentences)
    assert english_in(visible_text('<button aria-label="Actions for Camille">⋯</button>'), sentences)
    assert not english_in("Certains champs demandent votre attention. Rien n’a été enregistré.", sentences)


def test_every_plural_reads_french_for_any_number():
    english = []
    with translation.override("fr"):
        for path in glob.glob(str(BASE / "*/locale/fr/LC_MESSAGES/django.po")):
            for entry in polib.pofile(path):
                if not entry.msgid_plural or entry.msgctxt:
                    continue
                french = set(entry.msgstr_plural.values())
                for n in (0, 1, 2, 5, 1_000_000):
                    if translation.ngettext(entry.msgid, entry.msgid_plural, n) not in french:
                        english.append((entry.msgid, n))
    assert english == []
