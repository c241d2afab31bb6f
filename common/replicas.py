"""Reads from streaming replicas, writes on the primary (DATABASE_REPLICA_URLS; README › Configuration).

Views marked `@replica_reads` (the profile page, customer search, every API GET) read from a healthy replica
for a GET or HEAD, unless the caller wrote in the last REPLICA_PIN_SECONDS: who saved a field or posted an
event reads it back from the primary. Within such a request every write, every read after a write and every
read inside a transaction go to the primary, and what was read before the view (session, team member,
account, API token) was read there too. One replica serves a whole request, so a page never mixes two
moments. A replica that fails mid-request is skipped and the view runs again on the primary, and so does a
404 (the record may be newer than the replica): nothing fails, or goes missing, because a replica lags or
went away. Everywhere else, and with no replica configured, nothing changes.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, router
from django.http import Http404

from common.replica_health import healthy_replica, replica_failed

READ_METHODS = frozenset({"GET", "HEAD"})
_SAFE_METHODS = READ_METHODS | {"OPTIONS", "TRACE"}
WROTE_COOKIE = "wrote_at"  # when a signed-in person last wrote (Unix time): their reads stay on the primary


@dataclass
class _Reads:
    alias: str | None = None  # the database serving this request's reads, once chosen
    wrote: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def replica_reads(view):
    """GET and HEAD requests of `view` read from a healthy replica, unless the caller wrote recently
    (`recently_wrote`). Runs the view again on the primary if the replica failed, or to confirm a 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in READ_METHODS or not settings.DATABASE_REPLICAS or recently_wrote(request):
            return view(request, *args, **kwargs)
        reads = _Reads()
        token = _reads.set(reads)
        try:
            response = view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as error:
            if not _on_replica(reads):
                raise
            replica_failed(reads.alias, error)
        except Http404:
            if not _on_replica(reads):
                raise
        else:
            if response.status_code != 404 or not _on_replica(reads):
                return response
        finally:
            _reads.reset(token)
        return view(request, *args, **kwargs)  # every read on the primary now

    return wrapper


def _on_replica(reads: _Reads) -> bool:
    return reads.alias not in (None, DEFAULT_DB_ALIAS)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside the block go to the primary, e.g. to fill a cache keyed by something read there."""
    token = _reads.set(None)
    try:
        yield
    finally:
        _reads.reset(token)


def read_alias(model) -> str:
    """The database a read of `model` goes to now, for SQL written by hand."""
    return router.db_for_read(model)


def recently_wrote(request) -> bool:
    """Whether the caller wrote in the last REPLICA_PIN_SECONDS (to the second): `request.last_write`, the
    Unix time of their last write, is set from the WROTE_COOKIE for people and from the token for the API."""
    when = getattr(request, "last_write", None)
    return when is not None and -1 <= time.time() - when < settings.REPLICA_PIN_SECONDS + 1


class ReplicaRouter:
    """Reads on the replica `replica_reads` chose for the request, everything else on the primary. Without
    replicas configured it decides nothing (Django's own choice: the one database)."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None:
            return DEFAULT_DB_ALIAS if settings.DATABASE_REPLICAS else None
        if reads.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if reads.alias is None:
            reads.alias = healthy_replica() or DEFAULT_DB_ALIAS
        return reads.alias

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True  # the rest of the request reads its own write
        return DEFAULT_DB_ALIAS if settings.DATABASE_REPLICAS else None

    def allow_relation(self, obj1, obj2, **hints):
        same_data = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        return True if obj1._state.db in same_data and obj2._state.db in same_data else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db in settings.DATABASE_REPLICAS else None


class ReplicaPinMiddleware:
    """With replicas: a signed-in person's write (any POST, PUT, PATCH or DELETE) sets a cookie saying when,
    so that for REPLICA_PIN_SECONDS their reads stay on the primary, whichever process or server serves them
    (API tokens keep the same time on the token: `api.auth`)."""

    def __init__(self, get_response):
        if not settings.DATABASE_REPLICAS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        request.last_write = _time(request.COOKIES.get(WROTE_COOKIE))
        response = self.get_response(request)
        if request.method not in _SAFE_METHODS and request.user.is_authenticated:
            response.set_cookie(
                WROTE_COOKIE,
                f"{time.time():.3f}",
                max_age=settings.REPLICA_PIN_SECONDS + 1,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _time(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
