"""The `comptoir` command: run, worker, clock, demo, token, classify, train, keys, and Django's commands."""

import os
import secrets
import sys


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
    if command == "keys":
        sys.exit(_keys())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
