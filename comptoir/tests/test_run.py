"""`comptoir run` keeps web, worker and clock up: a child that dies comes back, with a capped pause."""

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from comptoir.connectors.testing import free_port
from comptoir.run import Supervisor

PY = sys.executable


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k not in ("DATABASE_URL",)}
    return env | {"COMPTOIR_DEV": "1", "COMPTOIR_DATA_DIR": str(tmp_path / "var"), "COMPTOIR_CLOCK_INTERVAL_SECONDS": "1"}


class Output:
    """The lines a process prints, read in a thread so that waiting on them never blocks."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.lines = proc, []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := re.search(pattern, line):
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"no line matching {pattern!r}; output:\n{self.text()[-4000:]}")

    def pids(self, name: str) -> list[int]:
        return [int(m.group(1)) for line in list(self.lines) if (m := re.search(rf"INFO comptoir.run {name} started \(pid (\d+)\)", line))]


@pytest.fixture
def comptoir_run(tmp_path):
    started = []

    def start(*args: str) -> tuple[subprocess.Popen, Output, int]:
        port = free_port()
        proc = subprocess.Popen([PY, "-m", "comptoir.cli", "run", "--port", str(port), "--web-workers", "1", *args],
                                env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        out = Output(proc)
        started.append((proc, out))
        return proc, out, port

    yield start
    for proc, out in started:  # after a failure: the supervisor and its children (each in its own group)
        for pid in [proc.pid, *(pid for name in ("web", "worker", "clock") for pid in out.pids(name))]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/login/", timeout=10).status_code


def _wait_until_serving(port: int, out: Output, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _answers(port) == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the web child never answered; output:\n{out.text()[-4000:]}")


@pytest.mark.slow
def test_a_killed_worker_comes_back_while_the_web_keeps_answering_and_sigterm_stops_all_three(comptoir_run):
    proc, out, port = comptoir_run("--no-demo")
    _wait_until_serving(port, out)
    out.wait_for(r"Worker \S+ started")
    web, worker, clock = out.pids("web")[0], out.pids("worker")[0], out.pids("clock")[0]

    os.kill(worker, signal.SIGKILL)
    out.wait_for(rf"worker \(pid {worker}\) died with exit code -9, killed by SIGKILL after [\d.]+ s; "
                        r"restarting it in 1 s, at \d\d:\d\d:\d\d")
    deadline = time.monotonic() + 30
    while len(out.pids("worker")) < 2:
        assert time.monotonic() < deadline, out.text()
        assert _answers(port) == 200  # the site never stops answering
        time.sleep(0.05)
    new_worker = out.pids("worker")[1]
    assert new_worker != worker and _alive(new_worker)
    assert out.pids("web") == [web] and out.pids("clock") == [clock]  # nobody else was restarted
    assert _answers(port) == 200

    proc.send_signal(signal.SIGTERM)  # only the supervisor is told: it must stop its children itself
    assert proc.wait(30) == 0
    assert "Stopped." in out.text()
    assert not any(_alive(pid) for pid in (web, new_worker, clock))


def _enqueue_slow_task(tmp_path, marker) -> None:
    code = ("import django; django.setup(); from comptoir.clock.tests.tasks import write_marker; "
            f"write_marker.enqueue({str(marker)!r}, 3)")
    subprocess.run([PY, "-c", code], env=_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "comptoir.settings"}, check=True,
                   timeout=60)


@pytest.mark.slow
def test_ctrl_c_lets_the_worker_finish_its_task_stops_all_three_and_a_second_start_keeps_the_demo(comptoir_run, tmp_path):
    proc, out, port = comptoir_run()
    _wait_until_serving(port, out)
    assert "Demo workspaces created" in out.text()
    children = [out.pids(name)[0] for name in ("web", "worker", "clock")]
    marker = tmp_path / "marker.txt"
    _enqueue_slow_task(tmp_path, marker)
    deadline = time.monotonic() + 60
    while not (marker.exists() and "start" in marker.read_text()):
        assert time.monotonic() < deadline, out.text()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole group gets SIGINT
    assert proc.wait(30) == 0
    assert "died" not in out.text()  # stopping is not dying: nothing is restarted
    # One signal reached the worker, from us: a second one (the terminal's) would mean "abandon your task".
    assert re.findall(r"django_tasks_db Received (\w+)", out.text()) == ["Terminated"]
    assert marker.read_text().split() == ["start", "done"]  # it finished its task before stopping
    assert not any(_alive(pid) for pid in children)

    again, out2, port2 = comptoir_run()
    _wait_until_serving(port2, out2)
    assert "Demo workspaces created" not in out2.text()
    again.send_signal(signal.SIGTERM)
    assert again.wait(30) == 0


def test_a_busy_port_is_refused_with_the_fix_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([PY, "-m", "comptoir.cli", "run", "--port", str(port)], env=_env(tmp_path),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "PORT=8123 make run" in result.stderr
    assert not (tmp_path / "var").exists()  # refused before migrating anything


@pytest.mark.parametrize("args, message", [(["--port", "0"], "PORT must be between 1 and 65535"),
                                           (["--port", "huit"], "invalid int value: 'huit'")])
def test_a_bad_port_is_a_clear_error(tmp_path, args, message):
    result = subprocess.run([PY, "-m", "comptoir.cli", "run", *args], env=_env(tmp_path), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr


def _run_in_thread(supervisor: Supervisor) -> threading.Thread:
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    return thread


def _restarts(caplog, name: str) -> list[float]:
    return [float(m.group(1)) for r in caplog.records
            if r.name == "comptoir.run" and (m := re.search(rf"^{name} .* restarting it in ([\d.]+) s", r.getMessage()))]


def test_a_child_that_keeps_crashing_backs_off_up_to_the_cap_and_the_others_stay_up(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="comptoir.run")
    starts = tmp_path / "starts"
    crasher = [PY, "-c", f"import time; open({str(starts)!r}, 'a').write(f'{{time.monotonic()}}\\n'); raise SystemExit(3)"]
    steady = [PY, "-c", "import time; time.sleep(120)"]
    supervisor = Supervisor({"crasher": crasher, "steady": steady}, first_pause=0.4, max_pause=1.6, stable_after=30)
    thread = _run_in_thread(supervisor)
    try:
        deadline = time.monotonic() + 60
        while len(_restarts(caplog, "crasher")) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        steady_proc = supervisor.children[1].process
        assert steady_proc.poll() is None
    finally:
        supervisor.stop()
        thread.join(30)
    assert _restarts(caplog, "crasher")[:5] == [0.4, 0.8, 1.6, 1.6, 1.6]  # doubles, then capped
    assert "crasher (pid" in caplog.text and "died with exit code 3" in caplog.text
    times = [float(line) for line in starts.read_text().split()]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap >= pause for gap, pause in zip(gaps, [0.4, 0.8, 1.6, 1.6], strict=False))  # the pauses were real
    assert len([r for r in caplog.records if r.getMessage().startswith("steady started")]) == 1
    assert steady_proc.returncode == -signal.SIGTERM  # stopped with the others, by SIGTERM
    assert not thread.is_alive()


def test_a_child_that_stayed_up_a_while_restarts_after_the_first_pause_again(caplog):
    caplog.set_level(logging.INFO, logger="comptoir.run")
    lives_a_little = [PY, "-c", "import time; time.sleep(0.6); raise SystemExit(1)"]
    supervisor = Supervisor({"short": lives_a_little}, first_pause=0.2, max_pause=10, stable_after=0.3)
    thread = _run_in_thread(supervisor)
    try:
        deadline = time.monotonic() + 60
        while len(_restarts(caplog, "short")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        supervisor.stop()
        thread.join(30)
    assert _restarts(caplog, "short")[:3] == [0.2, 0.2, 0.2]
