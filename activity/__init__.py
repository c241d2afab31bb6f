"""The generic event store: recording one event inside a domain service (`services.event_record`), bulk
ingestion (`ingest`), the one set of rules for an event's fields (`validation`) and timeline reads
(`selectors`). It knows customers only as users of an account: it imports only `accounts` and `common`,
and takes no SQL from anyone."""
