from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from custom_fields.relations import lookup_links_rebuild


class Command(BaseCommand):
    help = (
        "Remake an account's lookup relationships (what the Related tab counts and lists) from the records' "
        "values, after records were written in bulk around the services. Run it while nobody edits them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="The account's subdomain.")

    def handle(self, *args, account, **options):
        found = Account.objects.filter(subdomain=account).first()
        if found is None:
            raise CommandError(f"No account with the subdomain {account!r}.")
        links = lookup_links_rebuild(account=found)
        self.stdout.write(f"{links:,} lookup links for {found.name}.")
