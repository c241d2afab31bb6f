"""Customer search reads its trigram indexes whatever the planner's statistics say.

Two things made a search by phone digits take 2 ms or 40 ms depending on when it ran. The indexes kept
new entries in a pending list until a vacuum merged it, and every search scanned that list: after a bulk
load, tens of milliseconds. And with statistics from before a load (an account that had 5 customers and
now has 20,000), the planner walked the whole account by its account_id index instead. So: the indexes take
each entry at once (fastupdate off; a customer's insert costs a little more), and the candidates query runs
in a function where sequential scans are off and the account's own condition is written so that no other
index answers it: the only plan left is one bitmap scan of the matching trigram index per way of matching.
"""

from django.db import migrations

INDEXES = [
    "user_name_trgm_idx",
    "user_email_trgm_idx",
    "user_tags_trgm_idx",
    "identity_value_trgm_idx",
    "organization_name_trgm_idx",
]

# The ids of the people a search matches, each way of matching from its trigram index (see
# profiles/selectors.py: customers_search). `account_id + 0` is deliberate: the account's btree index
# can't answer it, so the trigram index does.
CANDIDATES = r"""
CREATE FUNCTION profiles_customer_candidates(
    p_account bigint, p_anywhere text, p_lowered text, p_tag text, p_digits text, p_limit integer
) RETURNS SETOF bigint LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $fn$
BEGIN
    RETURN QUERY
    SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND UPPER(name) LIKE UPPER(p_anywhere)
    UNION ALL SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND email LIKE p_lowered
    UNION ALL SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND (' ' || tags || ' ') LIKE p_tag
    UNION ALL SELECT user_id FROM profiles_identity WHERE account_id + 0 = p_account AND value LIKE p_lowered
    UNION ALL SELECT user_id FROM profiles_identity
        WHERE account_id + 0 = p_account AND type = 'phone_number' AND value LIKE p_digits
    UNION ALL SELECT membership.user_id
        FROM profiles_organization organization
        JOIN profiles_organizationmembership membership ON membership.organization_id = organization.id
        WHERE organization.account_id + 0 = p_account AND membership.account_id + 0 = p_account
          AND UPPER(organization.name) LIKE UPPER(p_anywhere)
    LIMIT p_limit;
END
$fn$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")
    schema_editor.execute(CANDIDATES, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS profiles_customer_candidates")
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0003_custom_fields_move_out"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
