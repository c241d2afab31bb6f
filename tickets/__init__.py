"""Tickets: the model, their services (create, reply with a stale-status check, ticket fields with conflict
detection), reads for a customer's tickets tab and an organization's tickets, what a ticket puts on the
timeline (`events`, `backfill`), the ticket page and the customer portal."""
