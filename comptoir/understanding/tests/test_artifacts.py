import json
import zipfile

import numpy as np

from comptoir.understanding import datasets, pipeline
from comptoir.understanding.model import ARTIFACTS_DIR, HEADS, Models
from comptoir.understanding.train.artifacts import version_of
from comptoir.understanding.train.data import load_dev, resolve_extra
from comptoir.understanding.train.fit import macro_f1


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


def test_every_head_is_described():
    models = Models()
    assert tuple(models.heads) == HEADS
    for head in models.heads.values():
        assert 0.0 <= head.blend <= 1.0
        assert 0.5 <= head.threshold <= 1.0


def test_the_version_is_the_digest_of_what_the_committed_artifacts_hold():
    meta = json.loads((ARTIFACTS_DIR / "meta.json").read_text(encoding="utf-8"))
    assert version_of(ARTIFACTS_DIR) == meta["model_version"]
    assert pipeline.MODEL_VERSION == meta["model_version"]


def test_committed_metrics_were_measured_on_these_artifacts():
    metrics = json.loads((ARTIFACTS_DIR / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["model_version"] == version_of(ARTIFACTS_DIR)
    # The fast pass's dev scores, measured again now through the serving code, are the committed ones.
    models = Models()
    checked = 0
    for dev in load_dev(datasets.DATA_DIR, resolve_extra(None, False)):
        if dev.head == "intent":  # intent adds the rules on top of the head: covered by the pipeline tests
            continue
        fast = models.fast_probs(dev.texts)
        predicted = np.array(models.heads[dev.head].labels)[fast[dev.head].argmax(1)]
        committed = metrics["dev"][f"{dev.head}/{dev.name}"]["all"]
        if "fast_accuracy" in committed:
            assert round(float((predicted == np.array(dev.labels)).mean()), 4) == committed["fast_accuracy"]
        else:
            assert round(macro_f1(dev.labels, predicted), 4) == committed["fast_macro_f1"], dev.name
        assert round(float(models.unsure(fast).mean()), 4) == committed["escalated"], dev.name
        checked += 1
    assert checked >= 9
