"""Admin center › Audit log: every audit entry of the account, newest first, a page at a time; admins only.

Alice is Acme's admin, Bob its agent; Charlie (Globex) has entries of his own that Acme never sees.
"""

from accounts.models import AuditEntry
from accounts.services import account_set_agents_may_assume_identity, audit_record

PAGE = "/admin-center/account/audit-log/"


def test_an_admin_reads_the_audit_log_newest_first_with_who_and_whom(as_alice, alice, carol, acme):
    audit_record(account=acme, actor=alice, action="user.identity_assumed", target=carol, after={"member": "Alice"})
    audit_record(account=acme, actor=alice, action="user.identity_assumption_ended", target=carol)

    response = as_alice.get(PAGE)

    assert response.status_code == 200
    actions = [e.action for e in response.context["page"].items]
    assert actions == ["user.identity_assumption_ended", "user.identity_assumed"]
    body = response.content.decode()
    assert "Carol Customer" in body and "Alice Admin" in body
    assert body.index("user.identity_assumption_ended") < body.index("user.identity_assumed")


def test_the_audit_log_pages_back_in_time_without_losing_or_repeating_an_entry(as_alice, alice, acme):
    for index in range(60):
        audit_record(account=acme, actor=alice, action=f"test.entry_{index}", target=acme)

    first = as_alice.get(PAGE).context["page"]
    second = as_alice.get(PAGE, {"after": first.next_cursor}).context["page"]
    back = as_alice.get(PAGE, {"before": second.prev_cursor}).context["page"]

    seen = [e.action for e in first.items + second.items]
    assert len(first.items) == 50 and len(second.items) == 10
    assert seen == [f"test.entry_{index}" for index in reversed(range(60))]
    assert [e.pk for e in back.items] == [e.pk for e in first.items]
    assert not second.has_next


def test_the_audit_log_shows_only_this_accounts_entries(as_alice, charlie, globex):
    audit_record(account=globex, actor=charlie, action="globex.secret", target=globex)

    assert "globex.secret" not in as_alice.get(PAGE).content.decode()


def test_a_broken_cursor_is_the_first_page_not_an_error(as_alice, alice, acme):
    audit_record(account=acme, actor=alice, action="test.entry", target=acme)

    response = as_alice.get(PAGE, {"after": "not-a-cursor"})

    assert response.status_code == 200
    assert [e.action for e in response.context["page"].items] == ["test.entry"]


def test_agents_are_refused_the_audit_log(as_bob, as_carol):
    assert as_bob.get(PAGE).status_code == 403
    assert as_carol.get(PAGE).status_code == 403


def test_the_admin_center_links_to_it(as_alice):
    assert PAGE in as_alice.get("/admin-center/workspaces/agent-tools/agent-interface/").content.decode()


def test_letting_agents_assume_identities_is_recorded_in_the_log(as_alice, alice, acme):
    account_set_agents_may_assume_identity(account=acme, actor=alice, allowed=True)

    entry = AuditEntry.objects.get(action="account.agents_may_assume_identity_changed")
    assert (entry.before, entry.after) == ({"agents_may_assume_identity": False}, {"agents_may_assume_identity": True})
    assert "account.agents_may_assume_identity_changed" in as_alice.get(PAGE).content.decode()
