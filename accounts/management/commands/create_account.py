import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email, validate_slug

from accounts.models import Account
from accounts.services import account_create


class Command(BaseCommand):
    help = (
        "Create a helpdesk (an account, served at <subdomain>.<MAIN_DOMAIN>) and its first admin. The password is "
        "read from $ADMIN_PASSWORD, else asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subdomain", required=True, help="The account's address: acme for acme.example.com.")
        parser.add_argument("--name", required=True, help="The helpdesk's name, as people see it.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)

    def handle(self, *args, subdomain, name, admin_email, admin_name, **options):
        subdomain = subdomain.strip().lower()
        try:
            validate_slug(subdomain)
            validate_email(admin_email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if Account.objects.filter(subdomain=subdomain).exists():
            raise CommandError(f"An account with the subdomain {subdomain!r} exists already.")
        password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass(f"Password for {admin_email}: ")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        account = account_create(
            subdomain=subdomain, name=name.strip(), admin_email=admin_email, admin_name=admin_name, password=password
        )
        self.stdout.write(f"Created {account.name} ({account.subdomain}); {admin_email} is its admin.")
