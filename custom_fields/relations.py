"""Lookup relationships read the other way round (F8): which records point at a given one through their
lookup fields, and how many, in both directions.

A lookup value lives in its record's `custom_fields` JSON. `LookupLink` and `LookupCount` (their models
say why two tables) index those values by the record they point at: `lookup_links_update` keeps them in
step in the transaction that writes a record's lookup values (`custom_fields.merge.custom_values_write`
calls it, so every service writing custom values does), and `lookup_links_rebuild` remakes them from the
JSON after records were written in bulk, around the services (demo data, benchmarks).
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, transaction

from accounts.models import Account
from common.keyset import KeysetPage, paginate
from custom_fields.lookups import TARGET_MODELS
from custom_fields.models import CustomField, FieldType, LookupCount, LookupLink
from custom_fields.values import RECORD_MODELS, lookup_fields_visible

RELATED_PAGE_SIZE = 25
_MAX_ID = 2**63 - 1
_BULK = 5000


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID


# Writes ---------------------------------------------------------------------------------------------


def lookup_links_update(*, source_id: int, fields: Iterable[CustomField], values: Mapping[str, Any]) -> None:
    """Make the links of one record (`source_id`, of the fields' kind) for the lookup fields among `fields`
    match `values`, the record's values as now saved, and the counts with them. Call it in the write's
    transaction, with the record's row locked. Whatever links the record had for those fields are replaced,
    so one out of step heals on the record's next save."""
    lookups = {f.pk: f for f in fields if f.type == FieldType.LOOKUP}
    if not lookups:
        return
    have = {
        (field_id, target_id): pk
        for pk, field_id, target_id in LookupLink.objects.filter(
            source_id=source_id, field_id__in=list(lookups)
        ).values_list("pk", "field_id", "target_id")
    }
    wanted = {(pk, values.get(f.key)) for pk, f in lookups.items() if _is_id(values.get(f.key))}
    gone = [link for link in have if link not in wanted]
    new = sorted(link for link in wanted if link not in have)
    if gone:
        LookupLink.objects.filter(pk__in=[have[link] for link in gone]).delete()
    if new:
        LookupLink.objects.bulk_create(
            [LookupLink(field_id=field_id, target_id=target_id, source_id=source_id) for field_id, target_id in new]
        )
    deltas = dict.fromkeys(new, 1)
    for link in gone:
        deltas[link] = deltas.get(link, 0) - 1
    _counts_add(deltas)


def _counts_add(deltas: Mapping[tuple[int, int], int]) -> None:
    """Add each delta to the count of its (field id, target id), in one statement. Rows are taken in one
    order, so two saves touching the same counts queue instead of deadlocking."""
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    quote = connection.ops.quote_name
    table, total = quote(LookupCount._meta.db_table), quote("total")
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params = [p for (field_id, target_id), n in rows for p in (field_id, target_id, n)]
    with connection.cursor() as cursor:
        # Names come from the model, values are parameters. PostgreSQL and SQLite both read this upsert.
        cursor.execute(
            f"INSERT INTO {table} ({quote('field_id')}, {quote('target_id')}, {total}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({quote('field_id')}, {quote('target_id')}) DO UPDATE SET {total} = {table}.{total} + "
            f"excluded.{total}",
            params,
        )


def lookup_references_count(*, account: Account, target: str, record_id: int) -> int:
    """How many lookup values of the account's records name record `record_id` of kind `target` (inactive
    fields too: their values are kept), read from the counts, never from the records."""
    counts = LookupCount.objects.filter(
        field__account=account, field__type=FieldType.LOOKUP, field__lookup_target=target, target_id=record_id
    )
    return sum(counts.values_list("total", flat=True))


def lookup_references_repoint(*, account: Account, target: str, from_id: int, to_id: int | None) -> int:
    """Make every lookup value naming record `from_id` (of kind `target`) name `to_id` instead (two records
    merged into one), or name nobody when `to_id` is None (the record is deleted), in the caller's
    transaction, links and counts with them; returns how many values changed. Only the records that name it
    are read (through the links), locked in id order."""
    fields = {f.pk: f for f in CustomField.objects.filter(account=account, type=FieldType.LOOKUP, lookup_target=target)}
    links = list(LookupLink.objects.filter(field_id__in=list(fields), target_id=from_id).order_by("source_id"))
    if not links:
        return 0
    by_kind: dict[str, dict[int, list[CustomField]]] = {}
    for link in links:
        field = fields[link.field_id]
        by_kind.setdefault(field.object_type, {}).setdefault(link.source_id, []).append(field)
    for kind, sources in by_kind.items():
        model = apps.get_model(RECORD_MODELS[kind])
        rows = list(
            model.objects.select_for_update()
            .filter(account=account, pk__in=list(sources))
            .order_by("pk")
            .only("pk", "custom_fields")
        )
        for row in rows:
            for field in sources[row.pk]:
                if row.custom_fields.get(field.key) == from_id:
                    if to_id is None:
                        del row.custom_fields[field.key]
                    else:
                        row.custom_fields[field.key] = to_id
        model.objects.bulk_update(rows, ["custom_fields"], batch_size=500)
    named = LookupLink.objects.filter(pk__in=[link.pk for link in links])
    if to_id is None:
        named.delete()
    else:
        named.update(target_id=to_id)
    moved = Counter(link.field_id for link in links)
    deltas = {(field_id, from_id): -n for field_id, n in moved.items()}
    if to_id is not None:
        deltas.update({(field_id, to_id): n for field_id, n in moved.items()})
    _counts_add(deltas)
    return len(links)


@transaction.atomic
def lookup_links_rebuild(*, account: Account) -> int:
    """Remake every link and count of the account's lookup fields from the records' values; a value naming
    no record of the account makes none. Returns the number of links. For records written in bulk, around
    the services; run it while nobody edits the account's records."""
    fields = list(CustomField.objects.filter(account=account, type=FieldType.LOOKUP))
    LookupLink.objects.filter(field__in=fields).delete()
    LookupCount.objects.filter(field__in=fields).delete()
    made = 0
    for field in fields:
        sources = apps.get_model(RECORD_MODELS[field.object_type]).objects.filter(
            account=account, custom_fields__has_key=field.key
        )
        pairs = [(s, t) for s, t in sources.values_list("pk", f"custom_fields__{field.key}") if _is_id(t)]
        targets = apps.get_model(TARGET_MODELS[field.lookup_target][0]).objects.filter(account=account)
        known = set()
        wanted = sorted({t for _s, t in pairs})
        for start in range(0, len(wanted), _BULK):
            known.update(targets.filter(pk__in=wanted[start : start + _BULK]).values_list("pk", flat=True))
        links = [LookupLink(field=field, target_id=t, source_id=s) for s, t in pairs if t in known]
        LookupLink.objects.bulk_create(links, batch_size=_BULK)
        counts = Counter(link.target_id for link in links)
        LookupCount.objects.bulk_create(
            [LookupCount(field=field, target_id=t, total=n) for t, n in counts.items()], batch_size=_BULK
        )
        made += len(links)
    return made


# Reads ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relationship:
    """One lookup relationship a record takes part in. Incoming: `count` records of the field's kind hold
    this record in `field`. Outgoing: this record's own `field` holds `target_id` (a record of the field's
    target kind, which the caller still has to find in the account)."""

    field: CustomField
    incoming: bool
    count: int
    target_id: int | None = None

    @property
    def key(self) -> str:
        """Names the relationship on a page: a user field pointing at users is both kinds at once."""
        return f"{'in' if self.incoming else 'out'}-{self.field.pk}"


def relationships_of(
    *, account: Account, kind: str, record_id: int, values: Mapping[str, Any], role: str
) -> list[Relationship]:
    """Every lookup relationship that the record `record_id` of `kind`, holding the custom `values`, takes
    part in, as someone of `role` may see them: the fields pointing at it that some records use (those
    of organizations, then tickets, then users), then its own lookup fields that hold a value. One query at
    most (the counts), however many fields and records; hidden and inactive fields are left out."""
    fields = lookup_fields_visible(account=account, role=role)
    incoming = [f for f in fields if f.lookup_target == kind]
    counts = {}
    if incoming:
        counts = dict(
            LookupCount.objects.filter(
                target_id=record_id, field_id__in=[f.pk for f in incoming], total__gt=0
            ).values_list("field_id", "total")
        )
    found = [Relationship(f, True, counts[f.pk]) for f in incoming if f.pk in counts]
    for f in fields:
        if f.object_type == kind and _is_id(values.get(f.key)):
            found.append(Relationship(f, False, 1, values[f.key]))
    return found


def relationship_field(*, account: Account, kind: str, field_id: int, role: str) -> CustomField | None:
    """The lookup field `field_id` if it may point at records of `kind` for someone of `role`; None for a
    field of another account, another target, or hidden from them or inactive."""
    return next(
        (f for f in lookup_fields_visible(account=account, role=role) if f.pk == field_id and f.lookup_target == kind),
        None,
    )


def relationship_source_ids(
    *, field: CustomField, target_id: int, after: str | None = None, size: int = RELATED_PAGE_SIZE
) -> KeysetPage:
    """A page of the ids of the records whose `field` holds `target_id`, newest first, from one range of
    an index (as quick at any depth). The caller reads those records, in its account."""
    links = LookupLink.objects.filter(field_id=field.pk, target_id=target_id).only("source_id")
    page = paginate(links, keys=[("source_id", True)], after=after, size=size)
    page.items = [link.source_id for link in page.items]
    return page
