"""API tokens: how they are made and how a request presents one.

A token is a random secret shown once; only its SHA-256 is stored (a fast hash is enough for a secret
with 256 bits of entropy, and it lets a request find its token with one indexed look-up). Clients send
it as `Authorization: Bearer <token>`, or Zendesk-style as HTTP Basic `{email}/token:{token}` where the
email names the team member the app acts as. Checking a token and its rate limit is the API's job
(`api.auth`); the account middleware only finds the presented token together with the account.
"""

import base64
import binascii
import hashlib
import secrets
from typing import NamedTuple

TOKEN_PREFIX = "hdk_"  # noqa: S105 - a marker that says "helpdesk key", not a secret
VISIBLE_LENGTH = 12  # "hdk_" and 8 characters of the secret: enough to tell tokens apart
_MAX_TOKEN_LENGTH = 200


class Credentials(NamedTuple):
    """What an Authorization header presents: the secret, and the email of Zendesk's Basic form (else None)."""

    email: str | None
    secret: str


def token_generate() -> tuple[str, str, str]:
    """A new secret with its visible prefix and the hash to store: (secret, prefix, secret_hash)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:VISIBLE_LENGTH], token_hash(secret)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def presented_credentials(header: str) -> Credentials | None:
    """The credentials an Authorization header presents, or None when it is missing or malformed."""
    scheme, _sep, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return Credentials(None, value.strip())
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, ValueError):
            return None
        email, sep, secret = decoded.partition("/token:")
        if sep:
            return Credentials(email.strip().lower(), secret)
    return None


def presented_token_hash(request) -> str | None:
    """The hash of the API token the request presents, or None when it presents nothing that could be one."""
    credentials = presented_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None or not credentials.secret or len(credentials.secret) > _MAX_TOKEN_LENGTH:
        return None
    return token_hash(credentials.secret)
