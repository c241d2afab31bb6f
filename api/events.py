"""The events API (Zendesk's shapes): integrated apps record events on customer profiles and read them back.

POST /api/v2/user_profiles/events               one event → 202 (or 200 when its id was already stored)
POST /api/v2/user_profiles/events/create_many   up to 1,000 events, each accepted or refused on its own
GET  /api/v2/users/{id}/events                  a user's events, newest first, by cursor
"""

import datetime
from urllib.parse import urlencode

import msgspec
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.selectors import event_for_client_id
from api.auth import api_token_required
from api.http import (
    ApiError,
    api_methods,
    field_error,
    field_errors,
    iso_time,
    json_object,
    json_parse,
    json_response,
    request_body,
)
from api.profile_events import profile_event_store, profile_events_store, profile_item_read, user_events_page
from common.keyset import cursor_values

EVENT_MAX_BYTES = 64 * 1024  # one event: 32 KB of properties and room for the rest
BATCH_MAX_BYTES = 8 * 1024 * 1024
BATCH_MAX_EVENTS = 1000
PAGE_SIZE_MAX = 100
_FILTERS = ("filter[source]", "filter[type]", "filter[start_time]", "filter[end_time]")


@api_methods("POST")
@api_token_required
def user_profile_event_create(request):
    """Record one event on the customer the profile names (created from an unknown email)."""
    raw = request_body(request, max_bytes=EVENT_MAX_BYTES)
    now = timezone.now()
    item = profile_item_read(raw, now=now)
    if item is None:  # not valid beyond doubt: read in full, for the errors
        item = json_object(raw)
    outcome = profile_event_store(account=request.account, actor_id=request.api_caller.actor_id, item=item, now=now)
    if outcome.errors:
        raise ApiError(422, "RecordInvalid", _("The event was not stored."), field_errors(outcome.errors))
    stored, event = outcome.stored, outcome.event
    if stored.created:
        data = _event_json(
            stored.id, event.customer_id, event.source, event.type, event.description,
            msgspec.Raw(event.properties.encode()), event.occurred_at, outcome.received_at,
        )  # fmt: skip
        return json_response({"event": data}, status=202)
    # Its id was stored before: a retry. Answer with what was stored then.
    first = event_for_client_id(account_id=request.account.pk, client_id=event.client_id)
    return json_response({"event": _stored_event_json(first)}, status=200)


@api_methods("POST")
@api_token_required
def user_profile_events_create_many(request):
    """Record many events at once: valid ones are all stored (in one transaction), invalid ones are
    reported by their index and store nothing."""
    raw = request_body(request, max_bytes=BATCH_MAX_BYTES)
    now = timezone.now()
    items = _batch_items(raw)
    if not isinstance(items, list) or not items:
        raise ApiError(
            422,
            "RecordInvalid",
            _("No events were stored."),
            field_error("events", "Required", _("Must be a non-empty array of {profile, event} objects.")),
        )
    if len(items) > BATCH_MAX_EVENTS:
        raise ApiError(
            422,
            "RecordInvalid",
            _("No events were stored."),
            field_error("events", "TooMany", _("Must hold at most %(count)s events.") % {"count": BATCH_MAX_EVENTS}),
        )
    if items[0].__class__ is msgspec.Raw:
        items = [profile_item_read(item, now=now) or json_parse(bytes(item)) for item in items]
    outcomes = profile_events_store(account=request.account, actor_id=request.api_caller.actor_id, items=items, now=now)
    results = []
    counts = {"created": 0, "duplicate": 0, "invalid": 0}
    for index, outcome in enumerate(outcomes):
        if outcome.errors:
            status = "invalid"
            errors = {(field or f"events[{index}]"): e for field, e in outcome.errors.items()}
            results.append({"index": index, "status": status, "details": field_errors(errors)})
        else:
            status = "created" if outcome.stored.created else "duplicate"
            results.append({"index": index, "status": status, "id": str(outcome.stored.id)})
        counts[status] += 1
    return json_response(
        {"results": results, "meta": counts}, status=422 if counts["invalid"] == len(outcomes) else 202
    )


class _Batch(msgspec.Struct):
    events: list[msgspec.Raw] | None = None


_read_batch = msgspec.json.Decoder(_Batch).decode


def _batch_items(raw: bytes):
    """The body's "events": each item's JSON text when msgspec can read the body, else (a body it can't
    read, or odd) the items as Python's json parses them, which also says what is wrong with the body."""
    try:
        return _read_batch(raw).events
    except msgspec.MsgspecError:
        return json_object(raw).get("events")


@api_methods("GET")
@api_token_required
def user_events(request, user_id: int):
    """A user's events, newest first, filtered by source, type and time, paginated by cursor."""
    params = request.GET
    filters = _list_filters(params)
    size = _page_size(params.get("page[size]"))
    after = _cursor(params, "page[after]")
    before = _cursor(params, "page[before]")
    page = user_events_page(account=request.account, user_id=user_id, size=size, after=after, before=before, **filters)
    if page is None:
        raise ApiError(
            404, "RecordNotFound", _("Not found."), field_error("id", "NotFound", _("No user with this id here."))
        )
    kept = {k: params[k] for k in _FILTERS if params.get(k)}
    kept["page[size]"] = size

    def link(key: str, cursor: str | None) -> str | None:
        return cursor and request.build_absolute_uri(f"{request.path}?{urlencode({**kept, key: cursor})}")

    return json_response(
        {
            "data": [
                _event_json(
                    e.pk, e.customer_id, e.source, e.type, e.description, e.properties, e.occurred_at, e.received_at
                )
                for e in page.items
            ],  # fmt: skip
            "links": {"next": link("page[after]", page.next_cursor), "prev": link("page[before]", page.prev_cursor)},
            "meta": {"has_more": page.has_next, "after_cursor": page.next_cursor, "before_cursor": page.prev_cursor},
        }
    )


def _event_json(id, user_id, source, type, description, properties, occurred_at, received_at) -> dict:
    return {
        "id": str(id),
        "user_id": user_id,
        "source": source,
        "type": type,
        "description": description,
        "properties": properties,
        "created_at": iso_time(occurred_at),
        "received_at": iso_time(received_at),
    }


def _stored_event_json(e) -> dict:
    return _event_json(e.pk, e.customer_id, e.source, e.type, e.description, e.properties, e.occurred_at, e.received_at)


def _bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(
        400, "InvalidParameter", _("A query parameter is invalid."), field_error(name, "InvalidValue", message)
    )


def _list_filters(params) -> dict:
    source = params.get("filter[source]", "").strip()
    type = params.get("filter[type]", "").strip()
    if type and not source:
        raise _bad_parameter("filter[type]", _("Give filter[source] too: a type belongs to a source."))
    filters = {"source": source, "type": type}
    for name, key in (("filter[start_time]", "start"), ("filter[end_time]", "end")):
        raw = params.get(name, "").strip()
        if not raw:
            continue
        try:
            moment = datetime.datetime.fromisoformat(raw)
        except ValueError:
            raise _bad_parameter(name, _("Must be an ISO-8601 date or date and time.")) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        if key == "end" and len(raw) == 10:
            # A bare date ends with its day: everything before the next midnight (the last day has none).
            if moment.date() == datetime.date.max:
                continue
            moment += datetime.timedelta(days=1)
            filters["end_inclusive"] = False
        filters[key] = moment
    return filters


def _page_size(raw: str | None) -> int:
    if raw is None or raw == "":
        return PAGE_SIZE_MAX
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= PAGE_SIZE_MAX:
        raise _bad_parameter("page[size]", _("Must be a whole number from 1 to 100."))
    return size


def _cursor(params, name: str) -> str | None:
    raw = params.get(name)
    if not raw:
        return None
    if cursor_values(raw, [datetime.datetime, int]) is None:
        raise _bad_parameter(name, _("Must be a cursor from a previous page's links or meta."))
    return raw
