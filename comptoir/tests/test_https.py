"""HSTS when Comptoir is served over HTTPS, tuned by environment variables."""

import json
import os
import subprocess
import sys

import pytest

PROBE = ("import django, json; django.setup(); from django.conf import settings as s; "
         "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD]))")


def production_settings(tmp_path, **env):
    """Settings as a production process sees them (not under pytest), with these environment variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_") and k != "DATABASE_URL"}
    base.update(DJANGO_SETTINGS_MODULE="comptoir.settings", COMPTOIR_DATA_DIR=str(tmp_path),
                COMPTOIR_SECRET_KEY="s" * 50, COMPTOIR_ENCRYPTION_KEY="e" * 44, **env)
    result = subprocess.run([sys.executable, "-c", PROBE], env=base, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("env, expected", [
    ({}, [31536000, False, False]),  # production: secure cookies, so HTTPS
    ({"COMPTOIR_HSTS_SECONDS": "3600"}, [3600, False, False]),
    ({"COMPTOIR_HSTS_SECONDS": "0"}, [0, False, False]),
    ({"COMPTOIR_SECURE_COOKIES": "0"}, [0, False, False]),  # plain HTTP on purpose: no HSTS
    ({"COMPTOIR_SECURE_COOKIES": "0", "COMPTOIR_BEHIND_PROXY": "1"}, [31536000, False, False]),
    ({"COMPTOIR_HSTS_INCLUDE_SUBDOMAINS": "1", "COMPTOIR_HSTS_PRELOAD": "1"}, [31536000, True, True]),
    ({"COMPTOIR_DEV": "1"}, [0, False, False]),
])
def test_hsts_follows_the_environment(tmp_path, env, expected):
    assert production_settings(tmp_path, **env) == expected


def test_an_https_answer_carries_hsts_and_a_plain_http_one_does_not(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https")["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login/")
