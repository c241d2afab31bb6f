"""A customer's identities: the emails and phone numbers that reach them.

Every write locks the customer's row first, so two agents changing one customer's identities queue
up instead of both deciding "this one becomes primary". The database constraints on `Identity` stay
the last word between customers: when two agents add the same email to two customers at once, the
loser's insert fails inside a savepoint and becomes the same `IdentityTaken` a calm check would give.

Phone numbers: a number that several people of the account have is a *shared line* on each of
them (a switchboard, a family landline); a number only one person has is their *direct line*.
Adding a number somebody else already has therefore makes it shared on everyone holding it,
including a former direct-line owner (recorded on their timeline too). Removing a shared number
leaves the others' lines as they are: whether the remaining holder now has a direct line is the
agent's call ("Make direct line"), not a guess.
"""

import json
from collections.abc import Iterable

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import audit_record
from activity.services import event_record
from common.errors import RecordGone
from profiles.locking import customer_lock
from profiles.models import Identity, IdentityType, PhoneLine

EMAIL_MAX_LENGTH = 254
TEAM_MEMBER = "team"  # what an identifier of a team member (who has no customer timeline) names


class IdentityError(Exception):
    """A change to a customer's identities that the rules refuse; the message is shown to the agent."""

    def __init__(self, message: str, *, field: str = "value"):
        super().__init__(message)
        self.message = message
        self.field = field


class IdentityTaken(IdentityError):
    """The email address (or direct line) already belongs to someone else of the account."""

    def __init__(self, message: str, *, owner: User):
        super().__init__(message)
        self.owner = owner


# Reads


def identity_for_customer(*, customer: User, identity_id: int) -> Identity | None:
    """One identity of this customer; None for another customer's (or account's)."""
    return Identity.objects.filter(pk=identity_id, user=customer, account_id=customer.account_id).first()


def phone_sharers(*, customer: User) -> dict[str, list[User]]:
    """For each phone number of the customer, the other people of the account who also have it (one query
    when the customer's identities are already loaded)."""
    numbers = [i.value for i in customer.identities.all() if i.type == IdentityType.PHONE]
    sharers: dict[str, list[User]] = {n: [] for n in numbers}
    others = (
        Identity.objects.filter(account_id=customer.account_id, type=IdentityType.PHONE, value__in=numbers)
        .exclude(user=customer)
        .select_related("user")
        .order_by("user__name", "user_id")
    )
    for identity in others:
        sharers[identity.value].append(identity.user)
    return sharers


def identity_actions(identity: Identity) -> list[str]:
    """The actions its "⋯" menu offers, in menu order, so templates never re-derive the rules."""
    if identity.is_email:
        actions = [] if identity.verified else ["send_verification"]
        actions.append("send_email")
        if identity.verified and not identity.primary:
            actions.append("make_primary")
        if not identity.primary:
            actions.append("remove")
        return actions
    if identity.phone_line == PhoneLine.SHARED:
        return ["make_direct_line", "remove"]
    return ["remove"]


def phone_format(value: str) -> str:
    """A stored E.164 number as people read it (+33 1 23 45 67 89); anything unparsable as it is."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_FIND_CONTACTS = """
SELECT identity.type, identity.value, identity.user_id, person.role
FROM profiles_identity identity JOIN accounts_user person ON person.id = identity.user_id
WHERE identity.account_id = %s AND identity.value {values}
"""


def customers_for_identifiers(*, account_id: int, identifiers: Iterable[tuple[str, str]]) -> dict:
    """For each (type, value) — "email", "phone_number" or "external_id" — that names exactly one user of the
    account: their id, or TEAM_MEMBER when that user is a team member. A shared phone line names nobody in
    particular."""
    by_type: dict[str, list[str]] = {"email": [], "phone_number": [], "external_id": []}
    for type, value in identifiers:
        by_type[type].append(value)
    found: dict[tuple[str, str], int | str] = {}
    owners: dict[tuple[str, str], set] = {}
    contacts = by_type["email"] + by_type["phone_number"]
    for chunk in _chunks(contacts):
        # Plain SQL: each API event runs this, and the ORM takes longer to build it than the database to run it.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The values go as one JSON array: far quicker to send than a typed array of texts.
                cursor.execute(
                    _FIND_CONTACTS.format(values="IN (SELECT jsonb_array_elements_text(%s::jsonb))"),
                    [account_id, json.dumps(chunk)],
                )
            else:
                cursor.execute(
                    _FIND_CONTACTS.format(values=f"IN ({', '.join(['%s'] * len(chunk))})"), [account_id, *chunk]
                )
            rows = cursor.fetchall()
        for type, value, user_id, role in rows:
            owners.setdefault((type, value), set()).add(user_id if role == Role.END_USER else TEAM_MEMBER)
    for chunk in _chunks(by_type["external_id"]):
        rows = User.objects.filter(account_id=account_id, external_id__in=chunk)
        for value, user_id, role in rows.values_list("external_id", "id", "role"):
            owners[("external_id", value)] = {user_id if role == Role.END_USER else TEAM_MEMBER}
    for identifier, users in owners.items():
        if len(users) == 1:
            found[identifier] = next(iter(users))
    return found


def _chunks(values: list, size: int = 1000):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Normalising what an agent typed


def email_normalize(value: str) -> str:
    """The address as stored: trimmed and lowercased; raises IdentityError when it isn't an email."""
    email = value.strip().lower()
    if not email:
        raise IdentityError(_("Enter an email address."))
    try:
        validate_email(email)
    except ValidationError:
        raise IdentityError(_("Enter a valid email address, like name@example.com.")) from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise IdentityError(_("This email address is too long."))
    return email


def phone_normalize(value: str, *, international: bool = False) -> str:
    """The number in E.164 (+33123456789); raises IdentityError when it isn't a valid phone number.

    A number typed without "+country" is read in the PHONE_DEFAULT_REGION setting's country; with
    that setting empty, or for `international` input (what integrated apps send), the "+" is required.
    """
    raw = value.strip()
    if not raw:
        raise IdentityError(_("Enter a phone number."))
    region = None if international else settings.PHONE_DEFAULT_REGION or None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise IdentityError(_("Enter a valid phone number, with its country code, like +33 1 23 45 67 89."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identity_normalize(*, type: str, value: str) -> str:
    """The value as stored for an identity of this type (emails lowercased, phones in E.164)."""
    if type == IdentityType.EMAIL:
        return email_normalize(value)
    if type == IdentityType.PHONE:
        return phone_normalize(value)
    raise IdentityError(_("Choose an email address or a phone number."), field="type")


# Writes


@transaction.atomic
def identity_add(*, customer: User, actor: User, type: str, value: str) -> Identity:
    """Give the customer a new email or phone number; the first of each type becomes primary."""
    value = identity_normalize(type=type, value=value)
    customer_lock(customer=customer, actor=actor)
    mine = list(Identity.objects.filter(user=customer, type=type))
    if any(i.value == value for i in mine):
        if type == IdentityType.EMAIL:
            raise IdentityError(_("%(name)s already has this email address.") % {"name": customer.name})
        raise IdentityError(_("%(name)s already has this phone number.") % {"name": customer.name})
    primary = not mine
    try:
        identity = _insert(customer=customer, actor=actor, type=type, value=value, primary=primary)
    except IntegrityError:
        # Another agent committed the same email or number a moment ago: decide again with it in sight.
        try:
            identity = _insert(customer=customer, actor=actor, type=type, value=value, primary=primary)
        except IntegrityError:
            raise IdentityError(_("Someone else changed this at the same time; please try again.")) from None
    event_record(
        customer=customer,
        type="identity_created",
        description=f"{_kind(identity)} added",
        properties={**_describe(identity), "primary": primary, "actor_id": actor.pk},
    )
    audit_record(
        account=customer.account, actor=actor, action="identity.created", target=identity, after=_state(identity)
    )
    return identity


@transaction.atomic
def identity_remove(*, customer: User, actor: User, identity: Identity) -> Identity | None:
    """Remove an email or phone from the customer; returns the phone promoted to primary, if any.

    The primary email can't be removed: the customer must keep a way to be reached and to sign in.
    """
    customer_lock(customer=customer, actor=actor)
    identity = _locked_identity(customer=customer, identity=identity)
    if identity.primary and identity.is_email:
        raise IdentityError(_("The primary email can't be removed. Make another verified email primary first."))
    before, described = _state(identity), _describe(identity)
    audit_record(account=customer.account, actor=actor, action="identity.removed", target=identity, before=before)
    identity.delete()
    promoted = None
    if before["primary"]:
        promoted = Identity.objects.filter(user=customer, type=identity.type).order_by("id").first()
        if promoted is not None:
            promoted.primary = True
            promoted.save(update_fields=["primary", "updated_at"])
    event_record(
        customer=customer,
        type="identity_removed",
        description=f"{_kind(identity)} removed",
        properties={
            **described,
            "was_primary": before["primary"],
            "new_primary": promoted.value if promoted else None,
            "actor_id": actor.pk,
        },
    )
    return promoted


@transaction.atomic
def identity_make_primary(*, customer: User, actor: User, identity: Identity) -> bool:
    """Make this email (verified only) or phone the customer's primary one; returns whether it changed.

    The former primary stays on the profile as a secondary identity.
    """
    customer_lock(customer=customer, actor=actor)
    identity = _locked_identity(customer=customer, identity=identity)
    if identity.primary:
        return False
    if identity.is_email and not identity.verified:
        raise IdentityError(_("Only a verified email can become the primary email. Send a verification first."))
    if identity.is_email:
        _refuse_email_of_someone_else(customer=customer, email=identity.value)
    previous = Identity.objects.filter(user=customer, type=identity.type, primary=True).first()
    if previous is not None:
        previous.primary = False
        previous.save(update_fields=["primary", "updated_at"])
    identity.primary = True
    try:
        with transaction.atomic():
            identity.save(update_fields=["primary", "updated_at"])
            if identity.is_email:
                _mirror_primary_email(customer=customer, email=identity.value)
    except IntegrityError:
        _refuse_email_of_someone_else(customer=customer, email=identity.value)
        raise IdentityError(_("Someone else changed this at the same time; please try again.")) from None
    _record_change(
        customer=customer,
        actor=actor,
        identity=identity,
        change="made_primary",
        description=f"{_kind(identity)} made primary",
        before={"primary": previous.value if previous else None},
        after={"primary": identity.value},
    )
    return True


@transaction.atomic
def identity_make_direct_line(*, customer: User, actor: User, identity: Identity) -> bool:
    """Turn a shared phone number into the customer's direct line; returns whether it changed.

    Refused while someone else of the account has the number as their direct line.
    """
    customer_lock(customer=customer, actor=actor)
    identity = _locked_identity(customer=customer, identity=identity)
    if not identity.is_phone:
        raise IdentityError(_("Only a phone number can be a direct line."))
    if identity.phone_line == PhoneLine.DIRECT:
        return False
    _refuse_direct_line_of_someone_else(customer=customer, number=identity.value)
    identity.phone_line = PhoneLine.DIRECT
    try:
        with transaction.atomic():
            identity.save(update_fields=["phone_line", "updated_at"])
    except IntegrityError:
        _refuse_direct_line_of_someone_else(customer=customer, number=identity.value)
        raise IdentityError(_("Someone else changed this at the same time; please try again.")) from None
    _record_change(
        customer=customer,
        actor=actor,
        identity=identity,
        change="made_direct_line",
        description="Phone number made direct line",
        before={"phone_line": PhoneLine.SHARED.value},
        after={"phone_line": PhoneLine.DIRECT.value},
    )
    return True


@transaction.atomic
def identity_verify(*, customer: User, actor: User, identity: Identity, via: str = "agent") -> bool:
    """Mark the identity verified (`via` "link" when the customer followed an email link); returns
    whether it changed."""
    customer_lock(customer=customer, actor=actor)
    identity = _locked_identity(customer=customer, identity=identity)
    if identity.verified:
        return False
    identity.verified = True
    identity.save(update_fields=["verified", "updated_at"])
    event_record(
        customer=customer,
        type="identity_verified",
        description=f"{_kind(identity)} verified",
        properties={**_describe(identity), "via": via, "actor_id": actor.pk},
    )
    audit_record(
        account=customer.account,
        actor=actor,
        action="identity.verified",
        target=identity,
        before={"verified": False},
        after={"verified": True, "via": via},
    )
    return True


# Helpers


def _locked_identity(*, customer: User, identity: Identity) -> Identity:
    locked = (
        Identity.objects.select_for_update()
        .filter(pk=identity.pk, user=customer, account_id=customer.account_id)
        .first()
    )
    if locked is None:
        raise RecordGone(f"identity {identity.pk} of user {customer.pk} no longer exists")
    return locked


def _create(*, customer: User, type: str, value: str, primary: bool, phone_line: str = "") -> Identity:
    return Identity.objects.create(
        account_id=customer.account_id,
        user=customer,
        type=type,
        value=value,
        primary=primary,
        phone_line=phone_line,
    )


def _refuse_email_of_someone_else(*, customer: User, email: str) -> None:
    # User.email is looked at too: it mirrors primaries, and imported users may have no identity yet.
    owner = (
        User.objects.filter(account_id=customer.account_id)
        .exclude(pk=customer.pk)
        .filter(
            Q(email=email)
            | Q(
                pk__in=Identity.objects.filter(
                    account_id=customer.account_id, type=IdentityType.EMAIL, value=email
                ).values("user_id")
            )
        )
        .only("id", "name", "role", "account_id")
        .first()
    )
    if owner is not None:
        raise IdentityTaken(
            _("%(email)s already belongs to %(name)s.") % {"email": email, "name": owner.name}, owner=owner
        )


def _refuse_direct_line_of_someone_else(*, customer: User, number: str) -> None:
    holder = (
        Identity.objects.filter(
            account_id=customer.account_id, type=IdentityType.PHONE, value=number, phone_line=PhoneLine.DIRECT
        )
        .exclude(user=customer)
        .select_related("user")
        .first()
    )
    if holder is not None:
        raise IdentityTaken(
            _("%(number)s is the direct line of %(name)s.") % {"number": number, "name": holder.user.name},
            owner=holder.user,
        )


def _mirror_primary_email(*, customer: User, email: str) -> None:
    now = timezone.now()
    User.objects.filter(pk=customer.pk).update(email=email, updated_at=now)
    customer.email, customer.updated_at = email, now


def _insert(*, customer: User, actor: User, type: str, value: str, primary: bool) -> Identity:
    with transaction.atomic():
        if type == IdentityType.PHONE:
            return _add_phone(customer=customer, actor=actor, value=value, primary=primary)
        _refuse_email_of_someone_else(customer=customer, email=value)
        identity = _create(customer=customer, type=type, value=value, primary=primary)
        if primary:
            _mirror_primary_email(customer=customer, email=value)
        return identity


def _other_holders(*, customer: User, number: str) -> list[Identity]:
    return list(
        Identity.objects.select_for_update(of=("self",))
        .filter(account_id=customer.account_id, type=IdentityType.PHONE, value=number)
        .exclude(user=customer)
        .select_related("user")
    )


def _add_phone(*, customer: User, actor: User, value: str, primary: bool) -> Identity:
    others = _other_holders(customer=customer, number=value)
    for other in others:
        if other.phone_line == PhoneLine.DIRECT:
            other.phone_line = PhoneLine.SHARED
            other.save(update_fields=["phone_line", "updated_at"])
            _record_change(
                customer=other.user,
                actor=actor,
                identity=other,
                change="made_shared_line",
                description="Phone number became a shared line",
                before={"phone_line": PhoneLine.DIRECT.value},
                after={"phone_line": PhoneLine.SHARED.value, "shared_with_id": customer.pk},
            )
    line = PhoneLine.SHARED if others else PhoneLine.DIRECT
    return _create(customer=customer, type=IdentityType.PHONE, value=value, primary=primary, phone_line=line)


def _record_change(
    *, customer: User, actor: User, identity: Identity, change: str, description: str, before: dict, after: dict
) -> None:
    event_record(
        customer=customer,
        type="identity_changed",
        description=description,
        properties={
            **_describe(identity),
            "change": change,
            "previous": before,
            "current": after,
            "actor_id": actor.pk,
        },
    )
    audit_record(
        account=customer.account, actor=actor, action="identity.changed", target=identity, before=before, after=after
    )


def _kind(identity: Identity) -> str:
    # Stored in English: the timeline translates known event types when it displays them.
    return "Email" if identity.is_email else "Phone number"


def _describe(identity: Identity) -> dict:
    return {"identity_id": identity.pk, "identity_type": identity.type, "value": identity.value}


def _state(identity: Identity) -> dict:
    return {
        "type": identity.type,
        "value": identity.value,
        "primary": identity.primary,
        "verified": identity.verified,
        "phone_line": identity.phone_line,
    }
