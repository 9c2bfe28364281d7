"""Command line: ``comptoir classify`` and ``comptoir train``.

``classify`` reads JSON Lines on stdin, one ``{"id": …, "text": …}`` per line, and writes exactly
one JSON object per input line on stdout, in the same order::

    {"id": 7, "lang": "fr", "sentiment": "negative", "toxicity": "clean", "spam": "ham",
     "complaint": "complaint", "intent": "complaint", "topics": ["commande"], "scores": {…}}

A line that cannot be analysed gets ``{"id": …, "error": "…"}`` (``id`` is null when unknown) and
the run goes on: invalid JSON, JSON that is not an object, a missing or non-string ``text``, a
blank line (it is still a line, so it still gets its one output), a line longer than
``MAX_LINE_BYTES``, bytes that are not UTF-8. An empty ``text`` is valid and analysed. The exit code
is 0 unless stdin cannot be read. Lines are analysed in batches and the output is flushed after
each batch.

No Django import: the command works without settings.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from typing import IO, Any

MAX_LINE_BYTES = 1_000_000
BATCH_SIZE = 64
OUTPUT_KEYS = ("lang", "sentiment", "toxicity", "spam", "complaint", "intent", "topics", "scores")


def _read_lines(stream: IO[Any]):
    """Yield each line (bytes or str, without its newline) or ``None`` for an over-long line.

    At most MAX_LINE_BYTES (+1) are held in memory for one line, whatever its length.
    """
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        newline = "\n" if isinstance(line, str) else b"\n"
        if len(line) > MAX_LINE_BYTES and not line.endswith(newline):
            while True:  # skip the rest of the line
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(newline):
                    break
            yield None
            continue
        yield line.rstrip(newline).rstrip("\r" if isinstance(line, str) else b"\r")


def _parse(line: bytes | str | None) -> tuple[Any, str | None, str | None]:
    """Return ``(id, text, error)`` for one input line."""
    if line is None:
        return None, None, f"line longer than {MAX_LINE_BYTES} bytes"
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            return None, None, "line is not valid UTF-8"
    if not line.strip():
        return None, None, "blank line"
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return None, None, f"invalid JSON: {exc}"
    if not isinstance(obj, dict):
        return None, None, 'expected a JSON object with "id" and "text"'
    item_id = obj.get("id")
    text = obj.get("text")
    if "text" not in obj:
        return item_id, None, 'missing "text"'
    if not isinstance(text, str):
        return item_id, None, '"text" must be a string'
    return item_id, text, None


def _flush(pending: list[tuple[Any, str | None, str | None]], out: IO[str], args) -> None:
    from .pipeline import analyse_many

    texts = [text for _, text, err in pending if err is None]
    results: list[Any] = []
    if texts:
        try:
            results = analyse_many(texts, fallback_lang=args.fallback_lang, owned=args.owned, fast=args.fast)
        except Exception as exc:  # a batch that fails must not end the run
            results = [exc] * len(texts)
    it = iter(results)
    lines = []
    for item_id, _, err in pending:
        if err is not None:
            obj: dict[str, Any] = {"id": item_id, "error": err}
        else:
            res = next(it)
            if isinstance(res, Exception):
                obj = {"id": item_id, "error": f"analysis failed: {type(res).__name__}"}
            else:
                data = res.to_dict()
                obj = {"id": item_id} | {k: data[k] for k in OUTPUT_KEYS}
        lines.append(json.dumps(obj, ensure_ascii=False))
    out.write("\n".join(lines) + "\n")
    out.flush()


def classify_main(argv: list[str], stdin: IO[Any] | None = None, stdout: IO[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="comptoir classify", description='Analyse JSON Lines {"id", "text"} from stdin.'
    )
    parser.add_argument("--fast", action="store_true", help="fast pass only (no embedding model)")
    parser.add_argument(
        "--owned",
        action="store_true",
        help="items come from an owned channel: always use the embedding model",
    )
    parser.add_argument(
        "--fallback-lang",
        default=None,
        metavar="LANG",
        help="language to use when a text is too short to tell (e.g. fr)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help="lines analysed together (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    if stdin is None:
        stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
    own_stdout = stdout is None
    if stdout is None:
        # UTF-8 whatever the locale; detached at the end so that sys.stdout stays usable.
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        return _classify(stdin, stdout, args)
    finally:
        if own_stdout:
            try:
                stdout.flush()
                stdout.detach()
            except (BrokenPipeError, ValueError):
                pass


def _classify(stdin: IO[Any], stdout: IO[str], args) -> int:
    batch_size = max(1, args.batch_size)
    pending: list[tuple[Any, str | None, str | None]] = []
    try:
        try:
            for line in _read_lines(stdin):
                pending.append(_parse(line))
                if len(pending) >= batch_size:
                    _flush(pending, stdout, args)
                    pending = []
        except (OSError, ValueError) as exc:
            if pending:
                _flush(pending, stdout, args)
            print(f"comptoir classify: cannot read stdin: {exc}", file=sys.stderr)
            return 2
        if pending:
            _flush(pending, stdout, args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing left to say to it.
        return 0
    return 0


def train_main(argv: list[str]) -> int:
    from .train import main

    return main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"classify": classify_main, "train": train_main}
    if not argv or argv[0] not in commands:
        print("usage: python -m comptoir.understanding.cli {classify,train} [options]", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
