import hashlib

from comptoir.understanding.model import Models
from comptoir.understanding.pipeline import analyse_many
from comptoir.understanding.train import main


def digest(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name != "metrics.json"
    }


def test_training_twice_on_the_same_data_gives_the_same_bytes(tmp_path):
    args = ["--subset", "30", "--no-extra-data", "--cache-dir", str(tmp_path / "cache")]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert (tmp_path / "a" / "metrics.json").exists()
    # What was written loads and predicts through the serving code.
    models = Models(tmp_path / "a")
    probs = models.fast_probs(["Bonjour", "Hello"])
    assert probs["sentiment"].shape == (2, 3)
    assert len(analyse_many(["Bonjour"], fast=True)) == 1
