"""Every module that declares API resources: importing this one fills `Resource.registry`, for the URL conf
and for the OpenAPI document alike."""

from api import events, fields, identities, jobs, organizations, tickets, users  # noqa: F401 - they declare
