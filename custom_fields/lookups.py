"""Lookup relationships: finding a record of the account from what an agent typed, and naming records.

A lookup value is the id of a user, organization or ticket of the same account. In a form it reads as
a label that ends with the id — "Camille Martin <camille@example.com> (#42)" — so a suggestion picked
from the list, a bare "#42", an exact email or an exact name all resolve to one record.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account
from custom_fields.models import FieldObject

LOOKUP_SEARCH_LIMIT = 10
_MAX_ID = 2**63 - 1
_TRAILING_ID = re.compile(r"\(#(\d{1,19})\)\s*$")
_BARE_ID = re.compile(r"#?(\d{1,19})")
_LEADING_TICKET_ID = re.compile(r"#(\d{1,19})(?:\s|$)")


@dataclass(frozen=True)
class LookupOption:
    id: int
    label: str


# The records a lookup can point at, by the model that holds them (named, not imported: those apps use
# this one), and the columns a label needs.
TARGET_MODELS = {
    FieldObject.USER: ("accounts.User", ("id", "name", "email")),
    FieldObject.ORGANIZATION: ("profiles.Organization", ("id", "name")),
    FieldObject.TICKET: ("tickets.Ticket", ("id", "subject")),
}
IDENTITY_MODEL = "profiles.Identity"  # a person's emails and phone numbers


def _queryset(account: Account, target: str) -> QuerySet:
    if target not in TARGET_MODELS:
        raise ValueError(f"Unknown lookup target {target!r}")
    model, columns = TARGET_MODELS[target]
    return apps.get_model(model).objects.filter(account=account).only(*columns)


def _user_ids_with_identity(account: Account, **lookups) -> QuerySet:
    """The ids of people of the account with an email or phone number matching `lookups`."""
    return apps.get_model(IDENTITY_MODEL).objects.filter(account=account, **lookups).values("user_id")


def lookup_label(target: str, record: Model) -> str:
    """How a record reads in a lookup input and its suggestions; the trailing "(#id)" makes it exact."""
    if target == FieldObject.USER:
        who = f"{record.name} <{record.email}>" if record.email else record.name
        return f"{who} (#{record.pk})"
    if target == FieldObject.ORGANIZATION:
        return f"{record.name} (#{record.pk})"
    return f"#{record.pk} {record.subject}"


def lookup_search(*, account: Account, target: str, query: str, limit: int = LOOKUP_SEARCH_LIMIT) -> list[LookupOption]:
    """Up to `limit` records of the account's `target` kind matching `query` (name, email, subject or #id)."""
    query = " ".join(query.split())[:200]
    if not query or target not in FieldObject.values:
        return []
    records = _queryset(account, target)
    by_id = Q()
    id_match = _BARE_ID.fullmatch(query)
    if id_match and int(id_match.group(1)) <= _MAX_ID:
        by_id = Q(pk=int(id_match.group(1)))
    if target == FieldObject.USER:
        lowered = query.lower()
        emails = _user_ids_with_identity(account, value__contains=lowered)
        records = records.filter(
            by_id | Q(name__icontains=query) | Q(email__contains=lowered) | Q(pk__in=emails),
            merged_into__isnull=True,
            deleted_at__isnull=True,
        ).order_by("name", "id")
    elif target == FieldObject.ORGANIZATION:
        records = records.filter(by_id | Q(name__icontains=query) | Q(domains__icontains=query)).order_by("name", "id")
    else:
        records = records.filter(by_id | Q(subject__icontains=query)).order_by("-updated_at", "-id")
    return [LookupOption(r.pk, lookup_label(target, r)) for r in records[:limit]]


def lookup_records(*, account: Account, ids_by_target: Mapping[str, Iterable]) -> dict[str, dict[int, Model]]:
    """The records behind lookup values, one query per target kind; ids of other accounts are left out."""
    found: dict[str, dict[int, Model]] = {}
    for target, ids in ids_by_target.items():
        wanted = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= _MAX_ID}
        if target not in FieldObject.values or not wanted:
            found[target] = {}
            continue
        found[target] = {r.pk: r for r in _queryset(account, target).filter(pk__in=wanted)}
    return found


def lookup_labels(*, account: Account, ids_by_target: Mapping[str, Iterable]) -> dict[str, dict[int, str]]:
    """Labels for lookup values, one query per target kind."""
    records = lookup_records(account=account, ids_by_target=ids_by_target)
    return {target: {pk: lookup_label(target, r) for pk, r in found.items()} for target, found in records.items()}


def _target_noun(target: str) -> str:
    return {
        FieldObject.USER: _("person"),
        FieldObject.ORGANIZATION: _("organization"),
        FieldObject.TICKET: _("ticket"),
    }[target]


def lookup_resolve(*, account: Account, target: str, text: str | int) -> int | None:
    """The id of the one record of the account that `text` names (#id, label, exact email or name);
    None when empty. Raises ValidationError when nothing or more than one record matches."""
    if isinstance(text, bool):
        raise ValidationError(_("Enter a name, an email address or an #id."), code="invalid")
    if isinstance(text, int):
        return _existing_id(account, target, text)
    text = " ".join(str(text).split())
    if not text:
        return None
    named = lookup_named_id(target, text)
    if named is not None:
        return _existing_id(account, target, named)
    records = _queryset(account, target)
    if target == FieldObject.USER and "@" in text:
        lowered = text.lower()
        with_email = _user_ids_with_identity(account, type="email", value=lowered)
        matches = records.filter(Q(email=lowered) | Q(pk__in=with_email))
    elif target == FieldObject.TICKET:
        matches = records.filter(subject__iexact=text)
    else:
        matches = records.filter(name__iexact=text)
    ids = list(matches.values_list("pk", flat=True)[:2])
    if not ids:
        raise ValidationError(
            _("No %(kind)s of this account matches “%(text)s”. Pick a suggestion or type an #id.")
            % {"kind": _target_noun(target), "text": text[:100]},
            code="not_found",
        )
    if len(ids) > 1:
        raise ValidationError(
            _("Several records match “%(text)s”. Pick one from the suggestions or type its #id.")
            % {"text": text[:100]},
            code="ambiguous",
        )
    return ids[0]


def lookup_named_id(target: str, text: str) -> int | None:
    """The id a lookup text names outright — a label's trailing "(#42)", a bare "#42" or "42", a ticket's
    leading "#42" — without looking anything up; None when it names none that way."""
    text = " ".join(text.split())
    match = _TRAILING_ID.search(text) or _BARE_ID.fullmatch(text)
    if match is None and target == FieldObject.TICKET:
        match = _LEADING_TICKET_ID.match(text)
    return int(match.group(1)) if match else None


def _existing_id(account: Account, target: str, pk: int) -> int:
    if 0 < pk <= _MAX_ID and _queryset(account, target).filter(pk=pk).exists():
        return pk
    raise ValidationError(
        _("There is no %(kind)s #%(id)s in this account.") % {"kind": _target_noun(target), "id": pk},
        code="not_found",
    )
