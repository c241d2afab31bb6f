"""The integrations API, Zendesk's API v2 shapes at /api/v2/: its URLs (`urls`), JSON in and out (`http`),
token authentication and rate limits (`auth`), the events endpoints (`events`) and how an integration's
events find their customer (`profile_events`), also used by the `import_events` command. It sits on top:
it calls the domain apps' services and selectors, and nothing imports it."""
