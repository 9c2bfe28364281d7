"""``comptoir query check`` and ``comptoir query test``, run as a person runs them: a process under a C locale,
with no Django settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def comptoir(*args: str | bytes, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}  # no DJANGO_SETTINGS_MODULE, no PYTHONIOENCODING
    return subprocess.run([sys.executable, "-m", "comptoir.cli", "query", *args], input=stdin, cwd=ROOT, env=env,
                          capture_output=True, timeout=60, check=False)


def test_check_prints_the_canonical_form_in_utf8():
    done = comptoir("check", "Vélo-Cargo  #VéloTaf OR « Café crème » NEAR/2 東京")
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("utf-8") == "\"velo cargo\" AND #velotaf OR \"cafe creme\" NEAR/2 東京\n"


def test_check_says_where_a_query_is_wrong():
    done = comptoir("check", "vélo AND (cargo OR")
    assert done.returncode == 2
    assert done.stdout.decode("utf-8") == "column 17: OR needs something to find on its right.\n"
    done = comptoir("check", "café NEAR/0 crème")
    assert (done.returncode, done.stdout) == (2, b"column 6: The distance after NEAR/ must be a whole number from 1 to "
                                                 b"1000.\n")


def test_test_prints_the_ids_that_match_in_file_order(tmp_path):
    lines = [
        {"id": 3, "text": "J'adore l'atelier vélo de @velocite_lyon #VéloTaf"},
        {"id": "a-2", "text": "Rien à voir", "lang": "fr"},
        {"id": "été", "text": "le Café est bon", "title": None, "url": "https://blog.example.org/x"},
        {"id": 1, "text": "trois cafés"},
    ]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(map(json.dumps, lines[:2])) + "\n\n" + '{"id": 1e3, "text": "un café"}\n'
                    + "\n".join(json.dumps(line, ensure_ascii=False) for line in lines[2:]) + "\n", encoding="utf-8")
    done = comptoir("test", "cafe OR #velotaf", str(path))
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("utf-8") == "3\n1e3\nété\n"
    assert comptoir("test", "site:example.org", str(path)).stdout.decode("utf-8") == "été\n"
    assert comptoir("test", "velo", "-", stdin=path.read_bytes()).stdout == b"3\n"


@pytest.mark.parametrize("content, message", [
    (b'{"id": 1, "text": "ok"}\nnot json\n', b"messages.jsonl:2: not JSON"),
    (b'{"id": 1, "text": "ok"}\n{"text": "no id"}\n', b'messages.jsonl:2: no "id"'),
    (b'{"id": 1}\n', b'messages.jsonl:1: no "text"'),
    (b'{"id": 1, "text": 5}\n', b'messages.jsonl:1: "text" must be a string'),
    (b'{"id": [1], "text": "x"}\n', b'messages.jsonl:1: "id" must be a string or a number'),
    (b'{"id": true, "text": "x"}\n', b'messages.jsonl:1: "id" must be a string or a number'),
    (b'{"id": 1, "text": "x", "lang": 5}\n', b'messages.jsonl:1: "lang" must be a string'),
    (b'[1, 2]\n', b"messages.jsonl:1: not a JSON object"),
    (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n', b"messages.jsonl:2: not UTF-8"),
])
def test_a_bad_line_is_named_and_nothing_is_printed(tmp_path, content, message):
    path = tmp_path / "messages.jsonl"
    path.write_bytes(content)
    done = comptoir("test", "ok OR x", str(path))
    assert (done.returncode, done.stdout) == (2, b"")
    assert message in done.stderr


def test_a_bad_query_or_a_missing_file_exits_2(tmp_path):
    assert comptoir("test", "NOT x", str(tmp_path / "none.jsonl")).stdout == b"column 1: This query only excludes: " \
                                                                         b"add a word that messages must contain.\n"
    done = comptoir("test", "x", str(tmp_path / "none.jsonl"))
    assert done.returncode == 2 and b"cannot read" in done.stderr
    assert comptoir("check").returncode == 2 and comptoir("frobnicate", "x").returncode == 2


def test_an_argument_in_bytes_under_a_c_locale_is_read_as_utf8():
    done = comptoir("check", "caf\u00e9 cr\u00e8me".encode())
    assert done.stdout == b"cafe AND creme\n"


def test_the_command_needs_neither_settings_nor_a_database():
    code = ("import sys; from comptoir.listening import cli; from django.conf import settings; "
            "print(settings.configured, 'django.db' in sys.modules, 'comptoir.stream.models' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PATH": os.environ.get("PATH", "")},
                          capture_output=True, timeout=60, check=True)
    assert done.stdout == b"False False False\n"
