"""What each head learns from: the training rows of every head, and the dev sets that score them.

Deterministic: rows are read in file order and subsampled with a fixed seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import datasets as ds

SEED = 13
# Davidson's 17,500 toxic tweets say the same few things; the embedding head sees a balanced
# sample of at most this many per label (the fast head sees them all).
EMBED_MAX_PER_LABEL = 3000
# Weight of a written message when it trains a head next to a large public dataset.
WRITTEN_WEIGHT = 5.0


@dataclass(frozen=True)
class HeadSpec:
    name: str
    labels: tuple[str, ...]
    fast_c: float
    embed_c: float
    class_weight: str | None


SPECS = (
    HeadSpec("sentiment", ds.SENTIMENT, 3.0, 3.0, None),
    HeadSpec("toxicity", ds.TOXICITY, 10.0, 3.0, None),
    HeadSpec("spam", ds.SPAM, 10.0, 3.0, "balanced"),
    HeadSpec("complaint", ds.COMPLAINT, 3.0, 3.0, "balanced"),
    HeadSpec("intent", ds.INTENT, 3.0, 3.0, "balanced"),
)


@dataclass
class TaskData:
    """Training rows of one head: the fast pass's and the (possibly smaller) embedding pass's."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    embed_mask: list[bool] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        source: str,
        embed: Sequence[bool] | None = None,
        weight: float = 1.0,
    ):
        self.texts.extend(texts)
        self.labels.extend(labels)
        self.sources.extend([source] * len(texts))
        self.embed_mask.extend(embed if embed is not None else [True] * len(texts))
        self.weights.extend([weight] * len(texts))


@dataclass
class EvalSet:
    head: str
    name: str
    texts: list[str]
    labels: list[str]
    langs: list[str]



def resolve_extra(extra: str | None, no_extra: bool) -> Path | None:
    if no_extra:
        return None
    candidates = [Path(extra)] if extra else [ds.EXTRA_DIR_DEFAULT]
    for base in candidates:
        for folder in (base, base / "umsab_sentiment"):
            if (folder / "train.csv").exists():
                return folder
    if extra:
        raise SystemExit(f"--extra-data: no train.csv in {extra} or {extra}/umsab_sentiment")
    return None


def _subset(rows: list, n: int | None) -> list:
    if n is None or len(rows) <= n:
        return rows
    return sorted(random.Random(SEED).sample(rows, n), key=lambda r: (r.text, getattr(r, "lang", "")))


def _balanced_sample(rows: list[ds.Row], per_label: int) -> set[str]:
    by_label: dict[str, list[ds.Row]] = {}
    for r in rows:
        by_label.setdefault(r.label, []).append(r)
    rng = random.Random(SEED)
    keep: set[str] = set()
    for label in sorted(by_label):
        group = by_label[label]
        chosen = group if len(group) <= per_label else rng.sample(group, per_label)
        keep.update(r.text for r in chosen)
    return keep


def load_training(
    data_dir: Path, extra_dir: Path | None, subset: int | None
) -> tuple[dict[str, TaskData], dict]:
    tasks = {spec.name: TaskData() for spec in SPECS}
    seen: dict[str, int] = {}

    written = _subset(ds.load_written(data_dir, "train"), subset)
    w_sent = _subset(ds.load_split_file(data_dir / ds.WRITTEN / "sentiment_train.csv", ds.WRITTEN), subset)
    w_spam = _subset(ds.load_written_spam(data_dir, "train"), subset)
    w_tox = _subset(ds.load_split_file(data_dir / ds.WRITTEN / "toxicity_train.csv", ds.WRITTEN), subset)
    w_texts = [m.text for m in written]
    everyday = w_texts + [r.text for r in w_sent]
    seen["comptoir_written/messages"] = len(written)
    seen["comptoir_written/sentiment"] = len(w_sent)
    seen["comptoir_written/spam"] = len(w_spam)
    seen["comptoir_written/toxicity"] = len(w_tox)

    for name, task in ds.SHIPPED.items():
        rows = _subset(ds.load_split(data_dir / name, "train"), subset)
        seen[name] = len(rows)
        keep = _balanced_sample(rows, EMBED_MAX_PER_LABEL) if name == "davidson_hate_offensive" else None
        embed = [r.text in keep for r in rows] if keep is not None else None
        tasks[task].add([r.text for r in rows], [r.label for r in rows], name, embed)

    if extra_dir is not None:
        rows = _subset(ds.load_split(extra_dir, "train"), subset)
        seen[extra_dir.name] = len(rows)
        tasks["sentiment"].add([r.text for r in rows], [r.label for r in rows], extra_dir.name)

    tasks["sentiment"].add(w_texts, [m.sentiment for m in written], "comptoir_written/messages")
    tasks["sentiment"].add([r.text for r in w_sent], [r.label for r in w_sent], "comptoir_written/sentiment")
    # Every message of the written toxicity set (insults and angry-but-clean ones alike) is negative.
    tasks["sentiment"].add([r.text for r in w_tox], ["negative"] * len(w_tox), "comptoir_written/toxicity")
    # The few hundred written messages speak the language of the channels Comptoir reads; among
    # 30,000 tweets they would weigh nothing without this.
    tasks["toxicity"].add(
        [r.text for r in w_tox], [r.label for r in w_tox], "comptoir_written/toxicity", weight=WRITTEN_WEIGHT
    )
    # Messages people write to an organisation are clean and not spam (they were written so).
    tasks["toxicity"].add(
        everyday, ["clean"] * len(everyday), "comptoir_written (as clean)", weight=WRITTEN_WEIGHT
    )
    tasks["spam"].add([r.text for r in w_spam], [r.label for r in w_spam], "comptoir_written/spam")
    tasks["spam"].add(everyday, ["ham"] * len(everyday), "comptoir_written (as ham)")
    tasks["complaint"].add(w_texts, [m.complaint for m in written], "comptoir_written/messages")
    tasks["intent"].add(w_texts, [m.intent for m in written], "comptoir_written/messages")
    # What community managers corrected in Comptoir weighs like the written messages: it is their channels.
    for task, rows in ds.load_corrections(data_dir).items():
        rows = _subset(rows, subset)
        if rows:
            seen[f"{ds.CORRECTIONS}/{task}"] = len(rows)
            tasks[task].add([r.text for r in rows], [r.label for r in rows], ds.CORRECTIONS, weight=WRITTEN_WEIGHT)
    return tasks, seen


def load_dev(data_dir: Path, extra_dir: Path | None, subset: int | None = None) -> list[EvalSet]:
    sets: list[EvalSet] = []

    def from_rows(head: str, name: str, rows: list[ds.Row]):
        rows = _subset(rows, subset)
        sets.append(
            EvalSet(head, name, [r.text for r in rows], [r.label for r in rows], [r.lang for r in rows])
        )

    for name, task in ds.SHIPPED.items():
        from_rows(task, name, ds.load_split(data_dir / name, "dev"))
    if extra_dir is not None:
        from_rows("sentiment", extra_dir.name, ds.load_split(extra_dir, "dev"))
    written = _subset(ds.load_written(data_dir, "dev"), subset)
    w_sent = ds.load_split_file(data_dir / ds.WRITTEN / "sentiment_dev.csv", ds.WRITTEN)
    w_spam = ds.load_written_spam(data_dir, "dev")
    from_rows(
        "toxicity",
        "comptoir_written/toxicity",
        ds.load_split_file(data_dir / ds.WRITTEN / "toxicity_dev.csv", ds.WRITTEN),
    )
    texts, langs = [m.text for m in written], [m.lang for m in written]
    sets.append(
        EvalSet("sentiment", "comptoir_written/messages", texts, [m.sentiment for m in written], langs)
    )
    from_rows("sentiment", "comptoir_written/sentiment", w_sent)
    sets.append(
        EvalSet("complaint", "comptoir_written/messages", texts, [m.complaint for m in written], langs)
    )
    sets.append(EvalSet("intent", "comptoir_written/messages", texts, [m.intent for m in written], langs))
    sets.append(
        EvalSet("toxicity", "comptoir_written/messages (all clean)", texts, ["clean"] * len(texts), langs)
    )
    spam_rows = w_spam + [ds.Row(m.text, "ham", m.lang, ds.WRITTEN) for m in written]
    from_rows("spam", "comptoir_written/spam+messages", spam_rows)
    return sets
