import json
import zipfile

import numpy as np

from comptoir.understanding import pipeline
from comptoir.understanding.model import ARTIFACTS_DIR, HEADS, Models


def test_committed_artifacts_are_plain_arrays_and_json_and_small():
    total = 0
    for path in sorted(ARTIFACTS_DIR.iterdir()):
        total += path.stat().st_size
        assert path.suffix in {".npz", ".json"}, path.name
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                assert all(name.endswith(".npy") for name in zf.namelist())
            with np.load(path, allow_pickle=False) as z:
                assert all(z[name].dtype != object for name in z.files)
    assert total < 6 * 1024 * 1024


def test_every_head_is_described_and_the_version_is_the_pipelines():
    models = Models()
    assert tuple(models.heads) == HEADS
    assert models.version == pipeline.MODEL_VERSION
    for head in models.heads.values():
        assert 0.0 <= head.blend <= 1.0
        assert 0.5 <= head.threshold <= 1.0


def test_committed_metrics_were_measured_on_these_artifacts():
    metrics = json.loads((ARTIFACTS_DIR / "metrics.json").read_text(encoding="utf-8"))
    meta = json.loads((ARTIFACTS_DIR / "meta.json").read_text(encoding="utf-8"))
    assert metrics["model_version"] == meta["model_version"]
