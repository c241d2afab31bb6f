"""A search by a phone number reads few pages of the identities' trigram index, whatever the numbers held.

Such a query ("0611002043") was looked for twice among identities: its text anywhere in any value, and its
digits in phone numbers. Each scan read the posting lists of trigrams that every phone number shares ("611",
"+33"): 150 index pages and 1-4 ms at 20,000 customers. Now:
- When the digits are part of the text (a number typed without spaces), any value holding the text holds the
  digits too, so one scan by the digits finds both, and the rows are told apart as they are read.
- That scan looks up only the last five digits in the index (the digits that differ most from one number to
  the next: a few pages) and checks the whole number on the rows it finds: the same rows, since the last
  five are part of it.
"""

import importlib

from django.db import migrations

# `v_digits_in_text`: the query's digits are part of its text, so `value LIKE p_digits` holds for every value
# matching either way. Then the text's own scan of the identities is skipped (its condition is false before
# any row is read) and the digits' scan checks both conditions on its rows. `v_last_digits` is what the index
# is asked for; `(value || '') LIKE p_digits` is checked on the rows (the index can't answer that expression).
CANDIDATES = r"""
CREATE OR REPLACE FUNCTION profiles_customer_candidates(
    p_account bigint, p_anywhere text, p_lowered text, p_tag text, p_digits text, p_limit integer
) RETURNS SETOF bigint LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $fn$
DECLARE
    v_digits_in_text boolean := coalesce(strpos(p_lowered, trim(BOTH '%' FROM p_digits)) > 0, false);
    v_last_digits text := '%' || right(trim(BOTH '%' FROM p_digits), 5) || '%';
BEGIN
    RETURN QUERY
    SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND UPPER(name) LIKE UPPER(p_anywhere)
    UNION ALL SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND email LIKE p_lowered
    UNION ALL SELECT id FROM accounts_user WHERE account_id + 0 = p_account AND (' ' || tags || ' ') LIKE p_tag
    UNION ALL SELECT user_id FROM profiles_identity
        WHERE NOT v_digits_in_text AND account_id + 0 = p_account AND value LIKE p_lowered
    UNION ALL SELECT user_id FROM profiles_identity
        WHERE account_id + 0 = p_account AND value LIKE v_last_digits AND (value || '') LIKE p_digits
          AND (type = 'phone_number' OR (v_digits_in_text AND value LIKE p_lowered))
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
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CANDIDATES, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        before = importlib.import_module("profiles.migrations.0004_search_plan").CANDIDATES
        schema_editor.execute(before.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0005_tenant_unique_keys"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
