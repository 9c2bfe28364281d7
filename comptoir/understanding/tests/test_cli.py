import io
import json
import subprocess
import sys
from pathlib import Path

from comptoir.understanding.cli import MAX_LINE_BYTES, OUTPUT_KEYS, classify_main

REPO = Path(__file__).resolve().parents[3]


def run(lines: list[bytes], *args: str) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = classify_main(["--fast", *args], stdin=io.BytesIO(b"\n".join(lines) + b"\n"), stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def obj(**kw) -> bytes:
    return json.dumps(kw, ensure_ascii=False).encode()


def test_it_writes_one_analysis_per_line_in_order():
    code, out = run(
        [obj(id=1, text="Je veux adhérer à l'association"), obj(id="b", text="Great job, thanks!")]
    )
    assert code == 0
    assert [o["id"] for o in out] == [1, "b"]
    assert set(out[0]) == {"id", *OUTPUT_KEYS}
    assert out[0]["intent"] == "membership"
    assert isinstance(out[1]["scores"]["spam"], float)


def test_bad_lines_get_an_error_object_and_the_run_goes_on():
    lines = [
        b"not json at all",
        b"[1, 2, 3]",
        obj(id=3, text=42),
        obj(id=4),
        b"",
        b"   ",
        b"\xff\xfe broken utf-8",
        obj(id=8, text="still analysed after all that"),
    ]
    code, out = run(lines)
    assert code == 0
    assert len(out) == len(lines)
    assert out[0] == {"id": None, "error": out[0]["error"]} and out[0]["error"].startswith("invalid JSON")
    assert out[1]["id"] is None and "JSON object" in out[1]["error"]
    assert out[2] == {"id": 3, "error": '"text" must be a string'}
    assert out[3] == {"id": 4, "error": 'missing "text"'}
    assert out[4] == out[5] == {"id": None, "error": "blank line"}
    assert out[6] == {"id": None, "error": "line is not valid UTF-8"}
    assert out[7]["id"] == 8 and "error" not in out[7]


def test_a_missing_id_is_null_and_the_text_is_still_analysed():
    _, out = run([obj(text="Espèce de connard")])
    assert out[0]["id"] is None
    assert out[0]["toxicity"] == "toxic"


def test_odd_but_valid_texts_are_analysed():
    texts = ["", "😀🎉😀", "Super meeting hier, merci à tous for the great job guys", "x" * 100_000]
    code, out = run([obj(id=i, text=t) for i, t in enumerate(texts)], "--fallback-lang", "fr")
    assert code == 0
    assert [o["id"] for o in out] == [0, 1, 2, 3]
    assert all("error" not in o for o in out)
    assert out[0]["lang"] == "fr" and out[1]["lang"] == "fr"
    assert out[2]["lang"] in ("fr", "en")


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole():
    huge = obj(id=1, text="a" * (MAX_LINE_BYTES + 10))
    code, out = run([obj(id=0, text="avant"), huge, obj(id=2, text="après")])
    assert code == 0
    assert [o["id"] for o in out] == [0, None, 2]
    assert "longer than" in out[1]["error"]


def test_batches_flush_in_order_across_batch_boundaries():
    lines = [obj(id=i, text=f"message numéro {i}") if i % 3 else b"{oops" for i in range(10)]
    code, out = run(lines, "--batch-size", "4")
    assert [o["id"] for o in out] == [None if i % 3 == 0 else i for i in range(10)]


def test_an_unreadable_stdin_exits_non_zero():
    class Broken(io.RawIOBase):
        def readline(self, size=-1):
            raise OSError("device gone")

    out = io.StringIO()
    assert classify_main([], stdin=Broken(), stdout=out) == 2
    assert out.getvalue() == ""


def test_python_dash_m_classify_streams_json_lines():
    stdin = obj(id=1, text="Toujours pas reçu ma commande, c'est inadmissible") + b"\n" + b"{bad\n"
    proc = subprocess.run(
        [sys.executable, "-m", "comptoir.understanding.cli", "classify"],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert out[0]["complaint"] == "complaint" and out[0]["lang"] == "fr"
    assert out[1]["id"] is None and "error" in out[1]
