"""The French and English catalogues are complete: nothing the code says is left untranslated."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent
IGNORED = ("node_modules", "__pycache__", "artifacts", "tests")


def _statistics(po: Path) -> str:
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_committed_catalogue_has_nothing_untranslated_or_fuzzy(language):
    stats = _statistics(PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po")
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    assert (PACKAGE / "locale" / language / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.slow
def test_extracting_the_strings_again_finds_nothing_new(tmp_path):
    copy = tmp_path / "comptoir"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns(*IGNORED))
    env = {**os.environ, "COMPTOIR_DEV": "1", "COMPTOIR_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "comptoir.cli", "makemessages", "-l", "fr", "-l", "en", "--no-obsolete"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for language in ("fr", "en"):
        stats = _statistics(copy / "locale" / language / "LC_MESSAGES" / "django.po")
        assert "untranslated" not in stats and "fuzzy" not in stats, (
            f"{language}: {stats.strip()} — run `make messages` and translate the new strings")


def test_french_is_the_default_and_english_is_offered(settings):
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _name in settings.LANGUAGES] == ["fr", "en"]


def test_the_french_catalogue_uses_the_trades_words():
    po = (PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()
    for word in ("Journal d'activité", "Espace de travail", "Canaux", "Équipe"):
        assert re.search(re.escape(word), po), word
