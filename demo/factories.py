"""factory-boy factories for tests and demo data. `build()` them and bulk-insert for volume."""

import datetime
import functools

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory import fuzzy

from accounts.models import Account, Role, User
from custom_fields.models import CustomField
from custom_fields.services import custom_fields_changed
from profiles.models import Identity, IdentityType, Organization, OrganizationMembership, PhoneLine
from tickets.models import Comment, Priority, Status, Ticket, TicketType


@functools.cache
def demo_password_hash() -> str:
    """One hash of the demo password, computed once: hashing is slow on purpose."""
    return make_password("demo-password-1")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("subdomain",)

    name = factory.Faker("company")
    subdomain = factory.Sequence(lambda n: f"account{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """An end user (customer) with a primary email identity when created."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    role = Role.END_USER
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.net")
    time_zone = "Europe/Paris"
    password = factory.LazyFunction(lambda: demo_password_hash())

    @factory.post_generation
    def with_identity(obj, create, extracted, **kwargs):
        if create and obj.email and extracted is not False:
            Identity.objects.create(
                account=obj.account, user=obj, type=IdentityType.EMAIL, value=obj.email, primary=True, verified=True
            )


class AgentFactory(UserFactory):
    role = Role.AGENT


class AdminFactory(UserFactory):
    role = Role.ADMIN


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    user = factory.SubFactory(UserFactory)
    account = factory.SelfAttribute("user.account")
    type = IdentityType.EMAIL
    value = factory.Sequence(lambda n: f"other{n}@example.org")
    verified = False


class PhoneIdentityFactory(IdentityFactory):
    type = IdentityType.PHONE
    value = factory.Sequence(lambda n: f"+3361{n:07d}")
    phone_line = PhoneLine.DIRECT


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Organization {n}")
    domains = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "") + ".example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMembership

    user = factory.SubFactory(UserFactory)
    account = factory.SelfAttribute("user.account")
    organization = factory.SubFactory(OrganizationFactory, account=factory.SelfAttribute("..account"))
    default = False


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    account = factory.SubFactory(AccountFactory)
    object_type = "user"
    key = factory.Sequence(lambda n: f"field_{n}")
    title = factory.Sequence(lambda n: f"Field {n}")
    type = "text"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        field = super()._create(model_class, *args, **kwargs)
        custom_fields_changed(account=field.account)  # as the admin center's services do
        return field


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    requester = factory.SubFactory(UserFactory)
    account = factory.SelfAttribute("requester.account")
    submitter = factory.SelfAttribute("requester")
    assignee = None
    assignee_name = factory.LazyAttribute(lambda t: t.assignee.name if t.assignee else "")
    subject = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    status = fuzzy.FuzzyChoice(Status.values)
    priority = fuzzy.FuzzyChoice(Priority.values)
    type = fuzzy.FuzzyChoice(TicketType.values)
    created_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    updated_at = factory.LazyAttribute(lambda t: t.created_at + datetime.timedelta(hours=5))


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SelfAttribute("ticket.requester")
    body = factory.Faker("paragraph")
    created_at = factory.LazyAttribute(lambda c: c.ticket.created_at)
