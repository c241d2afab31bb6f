"""Domain errors that every app may raise and the web layer knows how to answer."""


class RecordGone(LookupError):
    """The record a read or write is about is not in the actor's account (deleted meanwhile, or never
    theirs): nothing was written. Pages and the API answer 404 (common.middleware)."""
