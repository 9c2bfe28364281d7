"""Writing the artifacts: plain arrays and JSON, with fixed zip timestamps so that equal models give equal bytes.

The model version names the content: a digest of every array, the vocabulary and the heads'
settings. ``model_version`` computes it from what ``train`` is about to write, and from what a
test reads back from ``artifacts/``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

VERSION_PREFIX = "understanding-4"


def save_npz(path: Path, arrays: dict[str, np.ndarray]):
    """Like np.savez_compressed, with fixed timestamps so that equal arrays give equal bytes."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    tmp.replace(path)


def write_json(path: Path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def model_version(fast: dict[str, np.ndarray], embed: dict[str, np.ndarray], vocab: dict, heads: list[dict]) -> str:
    """The version of a set of artifacts: ``understanding-4+`` and a digest of everything they hold."""
    digest = hashlib.sha256()
    for arrays in (fast, embed):
        for name in sorted(arrays):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    digest.update(json.dumps(vocab, ensure_ascii=False).encode())
    digest.update(json.dumps(heads, sort_keys=True).encode())
    return f"{VERSION_PREFIX}+{digest.hexdigest()[:10]}"


def version_of(directory: Path) -> str:
    """``model_version`` of the artifacts in ``directory``, computed from what the files hold."""

    def arrays(name: str) -> dict[str, np.ndarray]:
        with np.load(directory / name, allow_pickle=False) as z:
            return {key: z[key] for key in z.files}

    vocab = json.loads((directory / "fast_vocab.json").read_text(encoding="utf-8"))
    heads = json.loads((directory / "meta.json").read_text(encoding="utf-8"))["heads"]
    return model_version(arrays("fast.npz"), arrays("embed.npz"), vocab, heads)
