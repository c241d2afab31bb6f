"""Browser tests: Playwright driving the system Chromium against pytest-django's live server.

Pages are opened on http://acme.localhost:<port>/ so that the account is resolved from the host, as in
production. Screenshots and accessibility reports go to test-artifacts/.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from accounts.models import Role
from demo.factories import AccountFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; Django must allow ORM calls beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium to run browser tests")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _live_server_requests_close_their_connections():
    """The live server answers each browser connection in a thread of its own, and Chromium keeps them open;
    with the settings' persistent connections (CONN_MAX_AGE 60) every such thread kept a PostgreSQL connection
    until the server's limit of 100 was reached, some fifty browser tests in. Each request closes its own."""
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0


@pytest.fixture
def site(live_server, db):
    """The Acme account, reachable in the browser at its own host name."""
    account = AccountFactory(name="Acme", subdomain="acme")
    port = live_server.url.rsplit(":", 1)[1]
    return {"account": account, "url": f"http://acme.localhost:{port}"}


@pytest.fixture
def admin_user(site):
    return UserFactory(account=site["account"], role=Role.ADMIN, name="Alice Admin", email="alice@acme.test")


@pytest.fixture
def agent_user(site):
    return UserFactory(account=site["account"], role=Role.AGENT, name="Bob Agent", email="bob@acme.test")


def use_new_profile(account, *members) -> None:
    """Turn the new profile page on for the account and opt these team members in."""
    account.customer_profile_enabled = True
    account.save(update_fields=["customer_profile_enabled"])
    for member in members:
        member.prefers_new_profile = True
        member.save(update_fields=["prefers_new_profile"])


def sign_in(page, site, user):
    page.goto(f"{site['url']}/sign-in/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Records every Content-Security-Policy violation, so tests prove the page needs no inline script or style.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def open_page(browser, **context_args):
    """A page in a fresh browser context (a new device, as far as the app can tell), watched for CSP breaks."""
    context = browser.new_context(**{"locale": "en-US", "timezone_id": "Europe/Paris", **context_args})
    context.add_init_script(CSP_WATCH)
    return context.new_page()


@pytest.fixture
def page(context):
    context.add_init_script(CSP_WATCH)
    return context.new_page()


def assert_accessible(page, name: str) -> None:
    """Run axe-core on the current page; any violation (or CSP violation) fails the test."""
    violations_csp = page.evaluate("window.__cspViolations || []")
    assert not violations_csp, f"{name} broke the Content-Security-Policy: {violations_csp}"
    # Evaluated through the DevTools protocol, so the app's strict CSP does not need loosening for axe.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    assert not violations, f"axe-core found violations on {name}: {violations}"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "timezone_id": "Europe/Paris"}


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and settled the last response: new content gets its behaviour only after
    settling, and a user as fast as a test could otherwise act on a control that doesn't listen yet."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
    page.wait_for_timeout(50)
