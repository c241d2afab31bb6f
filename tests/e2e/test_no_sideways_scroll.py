"""Nothing scrolls sideways: every page, as an admin, a customer and a visitor, at 360 to 1440 px wide, in
English and French, with the longest things people type (a 230-character name with no space, a long email,
a long organization name). One browser context per language; each page is opened once and resized."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from activity.services import event_record
from demo.factories import (
    CustomFieldFactory,
    MembershipFactory,
    OrganizationFactory,
    PhoneIdentityFactory,
    TicketFactory,
    UserFactory,
)
from tests.e2e.conftest import ARTIFACTS, assert_accessible, open_page, screenshot, use_new_profile

pytestmark = pytest.mark.e2e

WIDTHS = [360, 390, 768, 1366, 1440]
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 6 + "Jr" * 2 + "X" * 16  # 230 characters, no space
LONG_EMAIL = "maximiliana.wolfeschlegelsteinhausenbergerdorff.accounts-payable@subsidiary.example-holdings.com"
LONG_ORGANIZATION = "Établissements Wolfeschlegelsteinhausenbergerdorff & Associés — Division Internationale"
# The top bar: one row on a desktop, two compact ones on a phone (brand and person, then the sections).
ONE_ROW_BAR = 60
COMPACT_BAR = 80
# Pages whose screenshots (at 390 and 1366 px) are kept for people to look at.
SHOWN = {"search", "profile-activity", "profile-tickets", "profile-details", "portal", "error-404", "ticket"}
SHOTS = "/work/notes/shots/11b"

# Where an overflow comes from: the elements reaching past the viewport's right edge, innermost first.
CULPRITS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1);
  const innermost = wide.filter((e) => !wide.some((other) => other !== e && e.contains(other)));
  const named = (e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "");
  return innermost.slice(0, 4).map(named);
}"""


def _hostile_data(account, language):
    org = OrganizationFactory(account=account, name=LONG_ORGANIZATION)
    customer = UserFactory(
        account=account, name=LONG_NAME, email=f"{language}.{LONG_EMAIL}", locale=language, tags="vip enterprise"
    )
    PhoneIdentityFactory(user=customer, value="+33612345678", primary=True)
    MembershipFactory(user=customer, organization=org, default=True)
    agent = UserFactory(account=account, role=Role.AGENT, name="Bob Agent")
    ticket = TicketFactory(requester=customer, assignee=agent, subject=f"Refund for {LONG_NAME}", status="open")
    TicketFactory.create_batch(3, requester=customer, assignee=agent)
    now = timezone.now()
    event_record(
        customer=customer,
        type="ticket_requested",
        description=f"Requested ticket #{ticket.pk}",
        properties={"ticket_id": ticket.pk, "subject": ticket.subject},
        occurred_at=now - datetime.timedelta(hours=3),
    )
    for minute in range(4):
        event_record(
            customer=customer,
            source="Web analytics",
            type="page_viewed",
            description=f"Viewed /{LONG_NAME}",
            properties={"path": f"/{LONG_NAME}/{minute}", "referrer": LONG_EMAIL},
            occurred_at=now - datetime.timedelta(days=1, minutes=minute),
        )
    other = UserFactory(account=account, name=f"{LONG_NAME[:40]} Second", email=f"second.{language}.{LONG_EMAIL}")
    field = CustomFieldFactory(account=account, title=f"Contract {LONG_NAME}", key=f"contract_{language}")
    return {"customer": customer, "organization": org, "ticket": ticket, "other": other, "field": field}


def _sign_in(page, site, user):
    page.goto(f"{site['url']}/sign-in/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill("demo-password-1")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def _pages(data) -> dict[str, list[tuple[str, str]]]:
    c, o, t, other = data["customer"].pk, data["organization"].pk, data["ticket"].pk, data["other"].pk
    return {
        "visitor": [("sign-in", "/sign-in/"), ("error-404-visitor", "/nowhere/")],
        "customer": [("portal", "/portal/"), ("portal-new-request", "/portal/requests/new/")],
        "admin": [
            ("search", f"/agent/users/?q={LONG_NAME[:20]}"),
            ("search-all", "/agent/users/"),
            ("profile-activity", f"/agent/users/{c}/?tab=activity"),
            ("profile-tickets", f"/agent/users/{c}/?tab=tickets"),
            ("profile-details", f"/agent/users/{c}/?tab=details"),
            ("profile-related", f"/agent/users/{c}/?tab=related"),
            ("organization", f"/agent/organizations/{o}/"),
            ("ticket", f"/agent/tickets/{t}/"),
            ("new-ticket", f"/agent/users/{c}/tickets/new/"),
            ("merge", f"/agent/users/{c}/merge/?q=Second"),
            ("merge-preview", f"/agent/users/{c}/merge/?into={other}"),
            ("admin-center", "/admin-center/"),
            ("agent-interface", "/admin-center/workspaces/agent-tools/agent-interface/"),
            ("custom-fields", "/admin-center/people/user-fields/"),
            ("custom-field-new", "/admin-center/people/user-fields/new/"),
            ("custom-field-edit", f"/admin-center/people/user-fields/{data['field'].pk}/"),
            ("api-tokens", "/admin-center/apps-and-integrations/apis/api-tokens/"),
            ("preferences", "/preferences/"),
            ("error-404", "/agent/nowhere/"),
        ],
        "legacy": [("legacy-profile", f"/agent/users/{c}/")],
    }


def _overflows(page, name: str, language: str) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            found.append(f"{name} ({language}, {width} px): {scroll_width} px wide, from {page.evaluate(CULPRITS)}")
        bar = page.evaluate("document.querySelector('.app-bar').getBoundingClientRect().height")
        if bar > (COMPACT_BAR if width < 700 else ONE_ROW_BAR):
            found.append(f"{name} ({language}, {width} px): the top bar is {bar:.0f} px high")
        if name in SHOWN and width in (390, 1366):
            if width == 390:  # hostile data, a phone, both languages: still nothing axe objects to
                assert_accessible(page, f"no-sideways-{name}-{language}")
            path = screenshot(page, f"no-sideways-{name}-{language}-{width}")
            shutil.copy(path, f"{SHOTS}/{path.name}")
    return found


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_scrolls_sideways_at_any_width_in_either_language(browser, site, language):
    ARTIFACTS.mkdir(exist_ok=True)
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    account = site["account"]
    data = _hostile_data(account, language)
    admin = UserFactory(account=account, role=Role.ADMIN, name="Alexandrine Marguerite", locale=language)
    legacy = UserFactory(account=account, role=Role.AGENT, name="Léo Legacy", locale=language)
    use_new_profile(account, admin)
    page = open_page(browser, locale="fr-FR" if language == "fr" else "en-US")
    pages = _pages(data)
    problems = []

    for who, user in (("visitor", None), ("customer", data["customer"]), ("admin", admin), ("legacy", legacy)):
        if user is not None:
            page.context.clear_cookies()
            _sign_in(page, site, user)
        for name, path in pages[who]:
            page.set_viewport_size({"width": 1366, "height": 800})
            page.goto(f"{site['url']}{path}")
            assert page.locator("html").get_attribute("lang") == language, f"{name} is not in {language}"
            problems += _overflows(page, name, language)

    assert not problems, "\n".join(problems)
