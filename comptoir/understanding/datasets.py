"""Labelled data for training and evaluation: which file feeds which task.

Every dataset folder holds ``train.csv`` and ``dev.csv`` (``text,label,lang``). The messages written
for the project (``data/comptoir_written``) carry several labels per message and are read by
``load_written``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
EXTRA_DIR_DEFAULT = REPO_ROOT.parent / "shared" / "datasets"

SENTIMENT = ("negative", "neutral", "positive")
TOXICITY = ("clean", "toxic")
SPAM = ("ham", "spam")
COMPLAINT = ("other", "complaint")
INTENT = ("complaint", "membership", "question", "praise", "purchase", "other")

# Shipped datasets (copied into data/) and the task each one labels.
SHIPPED = {
    "mlma_hate_speech": "toxicity",
    "davidson_hate_offensive": "toxicity",
    "sms_spam_collection": "spam",
    "youtube_spam_collection": "spam",
}
# Not shipped (licence unclear): read from --extra-data when present.
EXTRA = {"umsab_sentiment": "sentiment"}

WRITTEN = "comptoir_written"
# Labels corrected by community managers (`comptoir export corrections`), one CSV per export.
CORRECTIONS = "corrections"
LABELS = {"sentiment": SENTIMENT, "toxicity": TOXICITY, "spam": SPAM, "complaint": COMPLAINT, "intent": INTENT}


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    lang: str
    source: str


@dataclass(frozen=True)
class Message:
    """A message written for the project, with every label it carries."""

    text: str
    lang: str
    sentiment: str
    intent: str

    @property
    def complaint(self) -> str:
        # A complaint is an intent with priority over the others (see the README of the data).
        return "complaint" if self.intent == "complaint" else "other"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_split(folder: Path, split: str) -> list[Row]:
    rows = [Row(r["text"], r["label"], r["lang"], folder.name) for r in read_csv(folder / f"{split}.csv")]
    # Sorted inputs: training does not depend on the order lines happen to be in.
    return sorted(rows, key=lambda r: (r.text, r.label, r.lang))


def load_written(data_dir: Path, split: str) -> list[Message]:
    rows = read_csv(data_dir / WRITTEN / f"messages_{split}.csv")
    msgs = [Message(r["text"], r["lang"], r["sentiment"], r["intent"]) for r in rows]
    return sorted(msgs, key=lambda m: (m.text, m.lang))


def load_written_spam(data_dir: Path, split: str) -> list[Row]:
    return load_split_file(data_dir / WRITTEN / f"spam_{split}.csv", WRITTEN)


def load_split_file(path: Path, source: str) -> list[Row]:
    rows = [Row(r["text"], r["label"], r["lang"], source) for r in read_csv(path)]
    return sorted(rows, key=lambda r: (r.text, r.label, r.lang))


def load_corrections(data_dir: Path) -> dict[str, list[Row]]:
    """Rows corrected in Comptoir (``text,task,label,lang``), by task; unknown tasks or labels are skipped."""
    by_task: dict[str, list[Row]] = {task: [] for task in LABELS}
    folder = data_dir / CORRECTIONS
    if not folder.is_dir():
        return by_task
    for path in sorted(folder.glob("*.csv")):
        for r in read_csv(path):
            task, label = r.get("task", ""), r.get("label", "")
            if task in LABELS and label in LABELS[task] and r.get("text"):
                by_task[task].append(Row(r["text"], label, r.get("lang", ""), f"{CORRECTIONS}/{path.name}"))
    return {task: sorted(rows, key=lambda r: (r.text, r.label, r.lang)) for task, rows in by_task.items()}
