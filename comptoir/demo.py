"""The demo instance, assembled here from each app's own demo, in the order of their dependencies.

``workspaces`` creates the accounts, the two workspaces and their channels; ``stream`` then adds the
messages of the Fil to those workspaces; ``listening`` their topics of watch and a month of mentions;
``publishing`` their content requests, posts and calendar; ``inbox`` the conversations members had with them (on the
channels' own posts), with the teams, rules and feedback around them; ``moderation`` their charter, rules, the messages
the rules flagged (the review queue) and a sanctions history with appeals.
No app imports another app's demo: a new job app adds its own ``demo.py`` and one line below.
"""

import argparse
import os


def create(reset: bool = False) -> list[tuple[str, str]]:
    """Create the demo (or put it back as new with ``reset``); return the (e-mail, role) of its accounts."""
    from comptoir.inbox import demo as inbox_demo
    from comptoir.listening import demo as listening_demo
    from comptoir.listening import demo_watch as listening_watch_demo
    from comptoir.moderation import demo as moderation_demo
    from comptoir.publishing import demo as publishing_demo
    from comptoir.stream import demo as stream_demo
    from comptoir.workspaces import demo as workspaces_demo

    accounts = workspaces_demo.create_demo(reset=reset)
    stream_demo.add_demo_items()
    listening_demo.add_demo()
    listening_watch_demo.add_demo_watch()  # alerts, crises and curation on the month of mentions
    publishing_demo.add_demo()  # requests, posts, approvals and a month of the calendar
    inbox_demo.add_demo()  # conversations, teams, routing rules, saved replies, feedback and a digest
    moderation_demo.add_demo()  # charter, rules, flagged messages in the queue, sanctions and appeals
    return accounts


def create_if_empty() -> bool:
    """On the first start of an instance (no workspace yet), create the demo. Returns whether it did."""
    from comptoir.workspaces.models import Workspace

    if Workspace.objects.exists():
        return False
    create()
    return True


def main(argv: list[str]) -> int:
    """``comptoir demo [--reset]``."""
    parser = argparse.ArgumentParser(prog="comptoir demo", description="Create (or reset) the demo workspaces and their accounts.")
    parser.add_argument("--reset", action="store_true", help="Delete the demo workspaces and accounts first.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django

    django.setup()
    from comptoir.workspaces.demo import DEMO_PASSWORD

    accounts = create(reset=args.reset)
    print(f"Demo ready. Accounts (password: {DEMO_PASSWORD}):")
    for email, role in accounts:
        print(f"  {email:40} {role}")
    return 0
