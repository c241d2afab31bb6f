"""Admin-defined custom fields on users, organizations and tickets (B2, B3): definitions and their
services (`models`, `services`), values and their rules (`values`), form fields (`form_fields`) and the
form editing a record with them (`record_form`), how a save merges and writes them (`merge`), lookups to
records (`lookups`) and who points at whom through them (`relations`, F8), and the admin center's pages.
It names the records it describes by string (`apps.get_model`), so `profiles` and `tickets` both use it
and it imports neither."""
