"""Trigram indexes for customer search on PostgreSQL: each way a search matches (name, email, tag, any
contact, organization) reads its own index, so a search that finds few customers costs the same among
20,000 or 2,000,000 of them. pg_trgm is a trusted extension: the database's owner may create it.
SQLite has no such indexes; its search tests every customer, which is fine at development sizes."""

from django.db import migrations

INDEXES = {
    "user_name_trgm_idx": "accounts_user USING gin (UPPER(name) gin_trgm_ops)",
    "user_email_trgm_idx": "accounts_user USING gin (email gin_trgm_ops)",
    "user_tags_trgm_idx": "accounts_user USING gin ((' ' || tags || ' ') gin_trgm_ops)",
    "identity_value_trgm_idx": "profiles_identity USING gin (value gin_trgm_ops)",
    "organization_name_trgm_idx": "profiles_organization USING gin (UPPER(name) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("profiles", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
