"""Local secrets for development instances, kept beside the data."""

import secrets
from pathlib import Path


def read_or_create_secret(path: Path) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Only used in development mode: production reads its secrets from the environment.
    """
    path = Path(path)
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(value, encoding="ascii")
    return value
