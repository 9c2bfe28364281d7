"""The `comptoir` command: run, worker, clock, demo, token, classify, train, query, keys, and Django's commands.

``run`` and ``demo`` belong to the project, not to an app: they live next to this file.
"""

import os
import secrets
import sys

PROJECT_COMMANDS = """Comptoir's own commands:
    run [--port N] [--no-demo]   migrate, demo on first start, serve web + worker + clock
    demo [--reset]               create or reset the demo workspaces
    classify [--fast]            read JSON Lines on stdin, print what Comptoir understands
    query check QUERY            print a listening query's canonical form, or where it is wrong
    query test QUERY FILE        print the ids of FILE's JSON Lines (- for stdin) that QUERY matches
    train                        rebuild the understanding models from data/
    keys                         print fresh production secrets
"""


def _keys() -> int:
    from comptoir.lib.crypto import generate_key

    print(f"COMPTOIR_SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"COMPTOIR_ENCRYPTION_KEY={generate_key()}")
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    # These work without Django settings: tools pipe text through them on any machine.
    if command in ("classify", "train"):
        from comptoir.understanding import cli as understanding_cli

        sys.exit(getattr(understanding_cli, f"{command}_main")(argv[2:]))
    if command == "query":
        from comptoir.listening import cli as listening_cli

        sys.exit(listening_cli.main(argv[2:]))
    if command == "keys":
        sys.exit(_keys())
    if command == "help" and argv[2:3] in (["run"], ["demo"]):
        command, argv = argv[2], [argv[0], argv[2], "--help"]
    if command in ("run", "demo"):
        from importlib import import_module

        sys.exit(import_module(f"comptoir.{command}").main(argv[2:]))
    if command == "help" and len(argv) <= 2:
        print(PROJECT_COMMANDS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
