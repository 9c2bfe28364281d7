"""`make mutants`: break the code on purpose, one small mutation at a time, and check a test notices.

Each mutant is a file, an exact snippet of it and its replacement, and the tests that must then
fail. The repository is copied once into a scratch folder; every mutation is applied to that
copy and undone after its tests, so the working tree is never modified (even on Ctrl-C: the copy
is simply deleted). A mutant whose tests still pass "survived": a test is missing or cannot fail.

    python scripts/mutants.py            # every mutant
    python scripts/mutants.py -k cursor  # the mutants whose name contains "cursor"
    python scripts/mutants.py --list
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

CLOCK_TESTS = ["comptoir/clock/tests/test_clock.py", "-m", "not slow"]
INGEST_TESTS = ["comptoir/stream/tests/test_ingestion.py"]
RUN_PROCESS_TESTS = ["comptoir/tests/test_run.py", "-k", "killed_worker"]
RUN_SUPERVISOR_TESTS = ["comptoir/tests/test_run.py", "-k", "crashing or stayed"]
RUN_CTRL_C_TESTS = ["comptoir/tests/test_run.py", "-k", "ctrl_c"]
ARTIFACT_TESTS = ["comptoir/understanding/tests/test_artifacts.py"]
HISTORY_TESTS = ["comptoir/stream/tests/test_history_kept.py"]
SEARCH_TESTS = ["comptoir/stream/tests/test_search.py", "comptoir/stream/tests/test_fil.py"]
HOSTILE_TESTS = ["comptoir/tests/test_hostile_input.py", "-k", "not connect_forms"]
LISTENING_TESTS = ["comptoir/listening/tests/test_matching.py", "comptoir/listening/tests/test_topics.py",
                   "comptoir/listening/tests/test_mentions.py", "-p", "no:randomly"]
LISTENING_JOURNEY = ["comptoir/listening/tests/test_listening_browser.py", "-k", "creates_a_topic"]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    original: str
    replacement: str
    tests: list[str]


MUTANTS = [
    # The clock: compare-and-set claims, periodic jobs, tasks of dead workers.
    Mutant("clock: claim without the compare-and-set guard", "comptoir/clock/claims.py",
           'guard = {"pk": row.pk, field: getattr(row, field)}', 'guard = {"pk": row.pk}', CLOCK_TESTS),
    Mutant("clock: a claim counts even when its UPDATE changed nothing", "comptoir/clock/claims.py",
           "if model.objects.filter(**guard).update(**updates(row)) == 1:",
           "if model.objects.filter(**guard).update(**updates(row)) >= 0:", CLOCK_TESTS),
    Mutant("clock: a periodic job does not move forward", "comptoir/clock/engine.py",
           'lambda job: {"next_run_at": now + timedelta(seconds=job.interval_seconds), "last_run_at": now}',
           'lambda job: {"last_run_at": now}', CLOCK_TESTS),
    Mutant("clock: tasks of living workers are re-queued too", "comptoir/clock/engine.py",
           "        if worker in alive:\n            continue\n", "", CLOCK_TESTS),
    Mutant("clock: a task that killed too many workers is retried once more", "comptoir/clock/engine.py",
           "if len(result.worker_ids) >= settings.COMPTOIR_TASK_MAX_ATTEMPTS:",
           "if len(result.worker_ids) > settings.COMPTOIR_TASK_MAX_ATTEMPTS:", CLOCK_TESTS),
    Mutant("clock: a claimed source gets no lease", "comptoir/stream/clock.py",
           'lambda s: {"next_poll_at": now + Source.CLAIM_LEASE}', 'lambda s: {"next_poll_at": now}', INGEST_TESTS),
    # Ingestion: identities, deduplication, hand-off to understanding, cursor.
    Mutant("ingest: authors become no identity", "comptoir/stream/ingest.py",
           "    if not wanted:\n        return {}\n", "    return {}\n", INGEST_TESTS),
    # Skipping the ids already stored only saves work since new rows are told apart by their missing sort_key
    # (an equivalent mutant); dropping that second guard is the one that must be caught.
    Mutant("ingest: items already stored are counted as new", "comptoir/stream/ingest.py",
           "external_id__in=list(fresh), sort_key__isnull=True)", "external_id__in=ids_in_batch)", INGEST_TESTS),
    Mutant("ingest: new items are not handed to understanding", "comptoir/stream/ingest.py",
           "transaction.on_commit(lambda: tasks.hand_to_understanding(created_ids))", "pass", INGEST_TESTS),
    Mutant("ingest: new items go to understanding before they are committed", "comptoir/stream/ingest.py",
           "transaction.on_commit(lambda: tasks.hand_to_understanding(created_ids))",
           "tasks.hand_to_understanding(created_ids)", INGEST_TESTS),
    Mutant("ingest: the hand-off to understanding does nothing", "comptoir/stream/tasks.py",
           "    for start in range(0, len(item_ids), 200):\n        analyse_items.enqueue(item_ids[start:start + 200])\n",
           "    pass\n", INGEST_TESTS),
    Mutant("ingest: the cursor is not saved with its page", "comptoir/stream/ingest.py",
           "Source.objects.filter(pk=source.pk).update(cursor=cursor)", "pass", INGEST_TESTS),
    # Polling: cursor, backoff, health.
    Mutant("poll: pages are stored without their cursor", "comptoir/stream/tasks.py",
           "store_fetched(source, result.items, cursor=result.cursor)", "store_fetched(source, result.items)",
           INGEST_TESTS),
    Mutant("poll: the next page is asked with the first cursor", "comptoir/stream/tasks.py",
           "            cursor = result.cursor\n", "", INGEST_TESTS),
    Mutant("poll: a paused source is read anyway", "comptoir/stream/tasks.py",
           "if source is None or source.status == Source.Status.PAUSED or source.removed_at is not None:",
           "if source is None or source.removed_at is not None:", INGEST_TESTS),
    Mutant("poll: no backoff (Source.backoff is zero)", "comptoir/stream/models.py",
           "return min(base * (2 ** min(self.consecutive_failures, 20)), self.MAX_BACKOFF)",
           "return timedelta(0)", INGEST_TESTS),
    Mutant("poll: a failure waits nothing", "comptoir/stream/tasks.py",
           "    wait = source.backoff()\n", "    wait = timezone.timedelta(0)\n", INGEST_TESTS),
    Mutant("poll: the backoff has no cap", "comptoir/stream/models.py",
           "return min(base * (2 ** min(self.consecutive_failures, 20)), self.MAX_BACKOFF)",
           "return base * (2 ** min(self.consecutive_failures, 20))", INGEST_TESTS),
    Mutant("poll: a source that answers again stays failing", "comptoir/stream/tasks.py",
           "status=Source.Status.OK, consecutive_failures=0, last_success_at=now,",
           "last_success_at=now,", INGEST_TESTS),
    Mutant("poll: a site's Crawl-delay is ignored", "comptoir/stream/tasks.py",
           'asked = float((cursor or {}).get("min_interval_seconds") or 0)', "asked = 0.0", INGEST_TESTS),
    # Nothing lost: what came in through a channel or a source stays when they go.
    Mutant("history: removing a source's row takes its messages along", "comptoir/stream/models.py",
           'source = models.ForeignKey(Source, on_delete=models.RESTRICT, related_name="items")',
           'source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")', HISTORY_TESTS),
    Mutant("history: a removed listening source is still polled", "comptoir/stream/clock.py",
           "due = Source.objects.current().exclude(", "due = Source.objects.exclude(", HISTORY_TESTS),
    Mutant("history: erasing needs no typed name", "comptoir/stream/actions.py",
           "    if (confirmation or \"\").strip() != source.label.strip():", "    if False:", HISTORY_TESTS),
    Mutant("history: anyone who manages channels may erase", "comptoir/stream/actions.py",
           "    check_perm(membership, roles.ERASE_MESSAGES)\n", "    check_perm(membership, roles.MANAGE_CHANNELS)\n",
           HISTORY_TESTS),
    # The Fil: the search index follows every change; a selection stays in its workspace.
    Mutant("fil: a label correction is not reindexed", "comptoir/stream/models.py",
           "        index_items([self.pk])\n        self.refresh_from_db", "        self.refresh_from_db", SEARCH_TESTS),
    Mutant("fil: a review is not reindexed", "comptoir/stream/actions.py",
           "        reviewed_by=membership.user if reviewed else None)\n    index_items(changing)\n",
           "        reviewed_by=membership.user if reviewed else None)\n", SEARCH_TESTS),
    Mutant("fil: a bulk selection may reach another workspace", "comptoir/stream/actions.py",
           "found = list(Item.objects.filter(workspace_id=membership.workspace_id, pk__in=ids)",
           "found = list(Item.objects.filter(pk__in=ids)", SEARCH_TESTS),
    Mutant("fil: the search forgets the workspace", "comptoir/stream/search.py",
           "    tokens_ = [workspace_token(match.workspace_id)]\n", "    tokens_ = []\n", SEARCH_TESTS),
    # Hostile text: cleaned once at the boundary.
    Mutant("input: query strings and forms are not cleaned", "comptoir/middleware.py",
           "        request.GET = _clean_query_dict(request.GET)\n", "", HOSTILE_TESTS),
    # `comptoir run`: the supervisor.
    Mutant("run: one death stops everything", "comptoir/run.py",
           "        uptime = now - child.started_at\n",
           "        uptime = now - child.started_at\n        self.stopping.set()\n", RUN_PROCESS_TESTS),
    Mutant("run: the children get the terminal's Ctrl-C and our SIGTERM too", "comptoir/run.py",
           "subprocess.Popen(child.command, process_group=0)", "subprocess.Popen(child.command)", RUN_CTRL_C_TESTS),
    Mutant("run: the pause never grows", "comptoir/run.py",
           "return min(child.pause * 2, self.max_pause)", "return self.first_pause", RUN_SUPERVISOR_TESTS),
    Mutant("run: the pause has no cap", "comptoir/run.py",
           "return min(child.pause * 2, self.max_pause)", "return child.pause * 2", RUN_SUPERVISOR_TESTS),
    Mutant("run: the pause never goes back to the first one", "comptoir/run.py",
           "if child.pause == 0 or uptime >= self.stable_after:", "if child.pause == 0:", RUN_SUPERVISOR_TESTS),
    Mutant("run: stopping does not tell the children", "comptoir/run.py",
           "            process.send_signal(signal.SIGTERM)\n", "            pass\n", RUN_SUPERVISOR_TESTS),
    # Understanding artifacts: the version and the metrics say what the files hold.
    Mutant("artifacts: the version ignores the heads' settings", "comptoir/understanding/train/artifacts.py",
           "    digest.update(json.dumps(heads, sort_keys=True).encode())\n", "", ARTIFACT_TESTS),
    Mutant("artifacts: serving forgets the fast pass's biases", "comptoir/understanding/model.py",
           "return self._split(rows.dot(self.fast_w) + self.fast_b)", "return self._split(rows.dot(self.fast_w))",
           ARTIFACT_TESTS),
    Mutant("dependencies: serving imports a training library", "comptoir/understanding/model.py",
           "import numpy as np\n", "import numpy as np\nimport scipy.sparse  # noqa: F401\n",
           ["comptoir/tests/test_dependencies.py"]),
    # Listening: a topic's queries make mentions in its own workspace, from its own sources, and follow its edits.
    Mutant("listening: another workspace's queries make mentions here", "comptoir/listening/tasks.py",
           "if topic_id is None or topics.get(topic_id) != item.workspace_id:", "if topic_id is None:", LISTENING_TESTS),
    Mutant("listening: a topic's sources are ignored", "comptoir/listening/tasks.py",
           "if allowed and item.source_id not in allowed:", "if False:", LISTENING_TESTS),
    Mutant("listening: a rematch keeps what no longer matches", "comptoir/listening/tasks.py",
           "        if gone:\n", "        if False:\n", LISTENING_TESTS),
    Mutant("listening: edited queries are never compiled again", "comptoir/listening/tasks.py",
           "if current is not None and current.version == version:", "if current is not None:", LISTENING_TESTS),
    Mutant("listening: a corrected sentiment stays off the mentions", "comptoir/listening/signals.py",
           '    if task != "sentiment":\n        return\n', "    return\n", LISTENING_TESTS),
    Mutant("listening: a query with a mistake is stored", "comptoir/listening/actions.py",
           "        raise ValidationError(query_error_message(exc, shift=len(typed) - len(text)), code=\"query\") from exc",
           "        return text, text", LISTENING_TESTS),
    Mutant("listening: another workspace's topic opens", "comptoir/listening/views/topics.py",
           "get_object_or_404(Topic, pk=topic_id, workspace=membership.workspace)", "get_object_or_404(Topic, pk=topic_id)",
           LISTENING_TESTS),
    Mutant("listening: the mentions' count forgets the scope", "comptoir/stream/query.py",
           "            if self.searching and self.scope is None:\n                n = search.count(",
           "            if self.searching:\n                n = search.count(", LISTENING_TESTS),
    Mutant("listening: a search of the mentions pages forgets the scope", "comptoir/stream/query.py",
           "inner = limit if self.scope is None else _INT64 - 1", "inner = limit", LISTENING_TESTS),
    Mutant("listening: a new topic never reads the messages already here", "comptoir/listening/actions.py",
           "    audit.record(membership.workspace, membership.user, \"topic.create\", topic, after=_snapshot(topic))\n"
           "    _rematch_on_commit(topic)\n",
           "    audit.record(membership.workspace, membership.user, \"topic.create\", topic, after=_snapshot(topic))\n",
           LISTENING_JOURNEY),
    # Delivery mutants join this list when the delivery code lands.
]


def scratch_copy(into: Path) -> Path:
    """The working tree as it is now (tracked and new files, edits included), without .venv or caches."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    copy = into / "comptoir-mutants"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def check_snippets(mutants: list[Mutant]) -> list[str]:
    """Each original snippet must occur exactly once: a mutant that no longer applies is reported, not skipped."""
    problems = []
    for m in mutants:
        count = (ROOT / m.path).read_text(encoding="utf-8").count(m.original)
        if count != 1:
            problems.append(f"{m.name}: its snippet occurs {count} times in {m.path}, not once")
    return problems


def _env(copy: Path) -> dict[str, str]:
    # Everything runs from the copy: pytest, and the processes the tests start (`comptoir run`, workers).
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1", "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
           "COMPTOIR_DATA_DIR": tempfile.mkdtemp(dir=copy.parent)}
    env.pop("DATABASE_URL", None)  # SQLite: every mutant gets a database of its own
    return env


def run_python(copy: Path, code: str) -> tuple[int, str]:
    result = subprocess.run([str(PYTHON), "-c", code], cwd=copy, env=_env(copy), capture_output=True, text=True)
    return result.returncode, result.stdout.strip()


def run_tests(copy: Path, tests: list[str]) -> tuple[int, str]:
    result = subprocess.run([str(PYTHON), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests], cwd=copy,
                            env=_env(copy), capture_output=True, text=True)
    return result.returncode, result.stdout[-3000:] + result.stderr[-2000:]


def mutate(copy: Path, m: Mutant) -> str:
    target = copy / m.path
    original = target.read_text(encoding="utf-8")
    target.write_text(original.replace(m.original, m.replacement, 1), encoding="utf-8")
    try:
        code, output = run_tests(copy, m.tests)
    finally:
        target.write_text(original, encoding="utf-8")
    if code == 1:
        return "killed"
    if code == 0:
        return "survived"
    return f"error (pytest exit {code}):\n{output}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="keyword", default="", help="only the mutants whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.keyword.lower() in m.name.lower()]
    if args.list:
        for m in mutants:
            print(f"{m.name}  ({m.path})")
        return 0
    problems = check_snippets(mutants)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="comptoir-mutants-") as tmp:
        scratch = Path(tmp)
        copy = scratch_copy(scratch)
        code, where = run_python(copy, "import comptoir; print(comptoir.__file__)")
        if not where.startswith(str(copy)):
            print(f"the tests would import comptoir from {where}, not from the scratch copy", file=sys.stderr)
            return 2
        # The unmutated code must pass the same tests, or a "killed" would mean nothing.
        for tests in {tuple(m.tests) for m in mutants}:
            code, output = run_tests(copy, list(tests))
            if code != 0:
                print(f"the tests fail without any mutation: {' '.join(tests)}\n{output}", file=sys.stderr)
                return 2
        killed = 0
        for m in mutants:
            started = time.monotonic()
            verdict = mutate(copy, m)
            killed += verdict == "killed"
            print(f"{verdict.split(':')[0]:9} {m.name} ({time.monotonic() - started:.0f} s)"
                  + (f"\n{verdict}" if verdict.startswith("error") else ""), flush=True)
    print(f"mutants: {killed} killed of {len(mutants)}")
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nmutants: interrupted; the working tree was never modified.", file=sys.stderr)
        sys.exit(130)
