"""Encryption of secrets at rest (channel credentials) with Fernet from `cryptography`.

``settings.ENCRYPTION_KEY`` holds one key or several separated by commas: the first encrypts,
all decrypt, so a key can be rotated by putting the new one first. A key is either a Fernet key
(32 url-safe base64 bytes) or any passphrase, from which a key is derived with HKDF-SHA256.
"""

import base64
import binascii
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionFailed(Exception):
    """The stored value cannot be decrypted with any configured key."""


def _fernet_for(key: str) -> Fernet:
    key = key.strip()
    try:
        if len(base64.urlsafe_b64decode(key.encode())) == 32:
            return Fernet(key.encode())
    except (binascii.Error, ValueError):
        pass
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"comptoir-credentials-v1", info=b"fernet").derive(
        key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


@cache
def _multi(keys: str) -> MultiFernet:
    parts = [k for k in keys.split(",") if k.strip()]
    if not parts:
        raise DecryptionFailed("No encryption key is configured (COMPTOIR_ENCRYPTION_KEY).")
    return MultiFernet([_fernet_for(k) for k in parts])


def _keys() -> str:
    from django.conf import settings

    return settings.ENCRYPTION_KEY


def encrypt_json(value: dict[str, Any]) -> str:
    """Encrypt a JSON-serialisable dict; returns an ASCII token safe to store in a text column."""
    return _multi(_keys()).encrypt(json.dumps(value, sort_keys=True).encode()).decode("ascii")


def decrypt_json(token: str) -> dict[str, Any]:
    """Decrypt a token made by :func:`encrypt_json`; an empty token is an empty dict."""
    if not token:
        return {}
    try:
        return json.loads(_multi(_keys()).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise DecryptionFailed(
            "The stored credentials cannot be decrypted: COMPTOIR_ENCRYPTION_KEY differs from the key "
            "they were saved with. Restore the old key (first in the list) or reconnect the channel."
        ) from exc


def generate_key() -> str:
    """A new random Fernet key, for COMPTOIR_ENCRYPTION_KEY."""
    return Fernet.generate_key().decode("ascii")
