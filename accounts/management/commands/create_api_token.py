from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account, Role, User
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Add an API token to an account and print only its secret (for scripts: TOKEN=$(… create_api_token …))."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="The account's subdomain.")
        parser.add_argument("--name", required=True, help="Which app or script uses the token.")
        parser.add_argument("--admin", help="Email of the admin recorded as the token's creator.")

    def handle(self, *args, account, name, admin, **options):
        found = Account.objects.filter(subdomain=account).first()
        if found is None:
            raise CommandError(f"No account with the subdomain {account!r}.")
        if not name.strip() or len(name.strip()) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        actor = None
        if admin:
            actor = User.objects.filter(account=found, email=admin.strip().lower(), role=Role.ADMIN).first()
            if actor is None:
                raise CommandError(f"No admin with the email {admin!r} in {account!r}.")
        _token, secret = api_token_create(account=found, actor=actor, name=name)
        self.stdout.write(secret)
