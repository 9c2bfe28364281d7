"""The demo is assembled by the project from each app's own demo; `comptoir demo --reset` puts it back as new."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from comptoir import demo
from comptoir.stream import actions as stream_actions
from comptoir.stream.demo import MESSAGES
from comptoir.stream.models import Item, Source
from comptoir.workspaces import actions as workspace_actions
from comptoir.workspaces.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from comptoir.workspaces.models import Channel, Membership, Workspace

PACKAGE = Path(__file__).resolve().parent.parent
APPS = sorted(p.parent.name for p in PACKAGE.glob("*/apps.py"))


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = list(path.relative_to(PACKAGE.parent).parent.parts)
    return ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))


def _demo_imports(path: Path, app: str) -> list[str]:
    """The other apps' demo modules that ``path`` (a file of ``app``) imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            names = [module, *(f"{module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) >= 3 and parts[0] == "comptoir" and parts[2] == "demo" and parts[1] in APPS and parts[1] != app:
                found.append(name)
    return found


def test_no_app_imports_another_apps_demo():
    assert {"stream", "workspaces"} <= set(APPS)
    offenders = {
        str(path.relative_to(PACKAGE)): imports
        for app in APPS
        for path in (PACKAGE / app).rglob("*.py")
        if (imports := _demo_imports(path, app))
    }
    assert offenders == {}


def test_the_demo_has_both_workspaces_their_channels_and_their_fil(db):
    accounts = demo.create()
    assert [email for email, _role in accounts] == [email for email, _name, _role in DEMO_ACCOUNTS]
    for slug, (label, _lang, rows) in MESSAGES.items():
        workspace = Workspace.objects.get(slug=slug, is_demo=True)
        assert workspace.channels.exists()
        assert Item.objects.filter(workspace=workspace, source__label=label, analysed_at__isnull=False).count() == len(rows)


def test_the_demo_is_created_on_the_first_start_only(db):
    assert demo.create_if_empty() is True
    assert demo.create_if_empty() is False
    labels = [label for label, _g, _rows in MESSAGES.values()]
    assert Item.objects.filter(source__label__in=labels).count() == sum(len(rows) for _l, _g, rows in MESSAGES.values())


def test_demo_reset_puts_channels_and_messages_back_as_new(db, capsys):
    assert demo.main([]) == 0
    velo = Workspace.objects.get(slug="velo-lyon")
    # What a person can do to the demo: remove its channels, then erase the demo messages as the owner.
    owner = Membership.objects.select_related("workspace", "user").get(workspace=velo, role="owner")
    for channel in Channel.objects.filter(workspace=velo):
        workspace_actions.do_remove_channel(owner, channel)
    source = Source.objects.get(workspace=velo, network="demo", label=MESSAGES["velo-lyon"][0])
    Source.objects.filter(pk=source.pk).update(removed_at=timezone.now())
    stream_actions.do_erase_messages(owner, source, source.label)
    assert not Item.objects.filter(workspace=velo, source__label=MESSAGES["velo-lyon"][0]).exists()
    assert demo.main(["--reset"]) == 0
    velo = Workspace.objects.get(slug="velo-lyon")
    assert velo.channels.count() == 4
    assert Item.objects.filter(workspace=velo, source__label=MESSAGES["velo-lyon"][0]).count() == len(MESSAGES["velo-lyon"][2])
    out = capsys.readouterr().out
    assert f"password: {DEMO_PASSWORD}" in out and "camille@demo.comptoir.test" in out


@pytest.mark.slow
def test_the_comptoir_command_runs_demo_and_demo_reset(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DATABASE_URL"}
    env |= {"COMPTOIR_DEV": "1", "COMPTOIR_DATA_DIR": str(tmp_path)}

    def comptoir(*args):
        result = subprocess.run([sys.executable, "-m", "comptoir.cli", *args], env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    comptoir("migrate", "--verbosity", "0")
    assert "claire@demo.comptoir.test" in comptoir("demo")
    assert "Demo ready" in comptoir("demo", "--reset")
