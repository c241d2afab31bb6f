"""Small helpers every app may use, and nothing domain-specific: keyset pagination, tags, storable text,
rate-limit counters, a large <select> widget, the `RecordGone` domain error and its 404, the three-way
merge of a save (`merge`)."""
