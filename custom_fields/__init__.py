"""Admin-defined custom fields on users, organizations and tickets (B2, B3): definitions and their
services (`models`, `services`), values and their rules (`values`), form fields (`form_fields`), lookups
to records (`lookups`), and the admin center's pages. It names the records it describes by string
(`apps.get_model`), so `profiles` and `tickets` both use it and it imports neither."""
