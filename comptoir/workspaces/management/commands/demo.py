from django.core.management.base import BaseCommand

from comptoir.workspaces.demo import DEMO_PASSWORD, create_demo


class Command(BaseCommand):
    help = "Create (or reset with --reset) the demo workspaces and their accounts."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo workspaces and accounts first.")

    def handle(self, *args, reset, **options):
        from comptoir.stream.demo import add_demo_items

        accounts = create_demo(reset=reset)
        add_demo_items()
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Accounts (password: {DEMO_PASSWORD}):"))
        for email, role in accounts:
            self.stdout.write(f"  {email:40} {role}")
