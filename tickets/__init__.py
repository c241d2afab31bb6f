"""Tickets: the model, their services (create, reply with a stale-status check), reads for a customer's
tickets tab, what a ticket puts on the timeline (`events`, `backfill`), the ticket page and the customer
portal."""
