import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from comptoir.workspaces.demo import DEMO_ACCOUNTS, create_demo
from comptoir.workspaces.models import ApiToken, AuditEvent, Channel, Membership, Workspace


def test_token_create_prints_a_working_token(workspace, cm, client):
    out = io.StringIO()
    call_command("token", "create", "--user", "CAMILLE.cm@asso.test", "--workspace", "velo", stdout=out)
    raw = out.getvalue().strip()
    assert ApiToken.authenticate(raw).user == cm
    assert client.get("/api/v1/workspaces", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert AuditEvent.objects.get(action="api_token.create").via == "cli"


@pytest.mark.parametrize("user, ws, message", [
    ("nobody@x.fr", "velo", "No user"),
    ("camille.cm@asso.test", "nope", "No workspace"),
    ("oscar.outsider@autre.test", "velo", "membre"),
])
def test_token_create_explains_what_is_wrong(workspace, other_workspace, user, ws, message):
    with pytest.raises(CommandError, match=message):
        call_command("token", "create", "--user", user, "--workspace", ws)


def test_the_demo_has_every_role_in_two_workspaces_and_can_be_reset(db):
    create_demo()
    create_demo()  # a second start changes nothing
    assert set(Workspace.objects.values_list("slug", flat=True)) == {"velo-lyon", "maison-lumiere"}
    assert Membership.objects.count() == 2 * len(DEMO_ACCOUNTS)
    assert Channel.objects.filter(status="error").exists()
    Workspace.objects.get(slug="velo-lyon").channels.all().delete()
    create_demo(reset=True)
    assert Workspace.objects.get(slug="velo-lyon").channels.count() == 4


def _run(args, env_extra, env_drop=()):
    env = {k: v for k, v in os.environ.items() if k not in env_drop and not k.startswith("PYTEST")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], env=env, capture_output=True, text=True, timeout=60)


def test_production_mode_refuses_to_start_without_keys(tmp_path):
    result = _run(["check"], {"COMPTOIR_DATA_DIR": str(tmp_path)},
                  env_drop=("COMPTOIR_DEV", "COMPTOIR_SECRET_KEY", "COMPTOIR_ENCRYPTION_KEY", "COMPTOIR_TESTING"))
    assert result.returncode != 0
    assert "COMPTOIR_ENCRYPTION_KEY must be set in production mode" in result.stderr


def test_keys_prints_fresh_secrets_that_production_accepts(tmp_path):
    keys = _run(["keys"], {})
    assert keys.returncode == 0
    env = dict(line.split("=", 1) for line in keys.stdout.split())
    assert set(env) == {"COMPTOIR_SECRET_KEY", "COMPTOIR_ENCRYPTION_KEY"}
    result = _run(["check"], {**env, "COMPTOIR_DATA_DIR": str(tmp_path), "COMPTOIR_ALLOWED_HOSTS": "comptoir.example"},
                  env_drop=("COMPTOIR_DEV", "COMPTOIR_TESTING"))
    assert result.returncode == 0, result.stderr
