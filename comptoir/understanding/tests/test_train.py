import hashlib
import importlib.util

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


def test_train_without_the_training_libraries_says_how_to_install_them(tmp_path, monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real_find_spec(name, *a))
    assert main(["--subset", "30", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "scikit-learn not installed" in err and "pip install -e '.[train]'" in err
    assert not (tmp_path / "out").exists()
