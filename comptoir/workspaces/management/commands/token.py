from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from comptoir.workspaces import actions, audit
from comptoir.workspaces.models import User, Workspace


class Command(BaseCommand):
    help = "Manage personal API tokens. `comptoir token create --user EMAIL --workspace SLUG` prints a new token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown once).")
        create.add_argument("--user", required=True, help="E-mail address of the user.")
        create.add_argument("--workspace", required=True, help="Short name (slug) of the workspace.")
        create.add_argument("--name", default="CLI", help="A name to recognise the token by.")

    def handle(self, *args, action, user, workspace, name, **options):
        account = User.objects.filter(email__iexact=user.strip()).first()
        if account is None:
            raise CommandError(f"No user with the e-mail address {user!r}.")
        space = Workspace.objects.filter(slug=workspace.strip()).first()
        if space is None:
            raise CommandError(f"No workspace with the short name {workspace!r}.")
        try:
            with audit.via("cli"):
                _token, raw = actions.do_create_api_token(account, space, name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(raw)
