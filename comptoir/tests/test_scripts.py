"""`make test`'s scripts: the services the suite needs are started only when absent, and never skipped."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

from comptoir.connectors.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(**ports) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COMPTOIR_TEST_POSTGRES_URL"} | {k: str(v) for k, v in ports.items()}
    return subprocess.run(["bash", str(ROOT / "scripts" / "test-deps.sh"), "--dry-run"], env=env, capture_output=True,
                          text=True, timeout=120)


def test_test_deps_leaves_services_that_answer_alone():
    with socket.create_server(("127.0.0.1", 0)) as pg, socket.create_server(("127.0.0.1", 0)) as redis:
        pg_port, redis_port = pg.getsockname()[1], redis.getsockname()[1]
        result = _dry_run(PG_PORT=pg_port, REDIS_PORT=redis_port)
    assert result.returncode == 0, result.stderr
    assert f"PostgreSQL answers on 127.0.0.1:{pg_port}" in result.stdout
    assert f"Redis answers on 127.0.0.1:{redis_port}" in result.stdout
    assert "pg_ctlcluster" not in result.stdout and "redis-server --daemonize" not in result.stdout


def test_test_deps_starts_what_does_not_answer():
    pg_port, redis_port = free_port(), free_port()
    result = _dry_run(PG_PORT=pg_port, REDIS_PORT=redis_port)
    assert "starting PostgreSQL" in result.stdout and f"nothing answered on 127.0.0.1:{pg_port}" in result.stdout
    assert "would run: pg_ctlcluster --skip-systemctl-redirect" in result.stdout
    assert f"would run: redis-server --daemonize yes --bind 127.0.0.1 --port {redis_port}" in result.stdout


def test_the_suite_fails_at_once_without_postgresql(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test.sh", tmp_path / "scripts" / "test.sh")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/test"
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "test.sh")], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COMPTOIR_TEST_POSTGRES_URL": nowhere})
    assert result.returncode == 1
    assert f"PostgreSQL does not answer at {nowhere}" in result.stderr
    assert "bash scripts/test-deps.sh" in result.stderr and "COMPTOIR_TEST_POSTGRES_URL" in result.stderr
    assert "== pytest" not in result.stdout  # it says so before running anything
