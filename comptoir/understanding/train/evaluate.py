"""Scoring every dev set through the serving code (``model.Models``: quantised weights, numpy only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import load_dev
from .features import EmbeddingTable
from .fit import THRESHOLD_GRID, macro_f1


def evaluate(
    out_dir: Path,
    data_dir: Path,
    extra_dir: Path | None,
    table: EmbeddingTable | None,
    cache_dir: Path | None,
    log,
    subset: int | None = None,
) -> dict:
    """Score every dev set through the serving code (quantised weights, numpy prediction)."""
    from ..intent import decide
    from ..model import Models

    models = Models(out_dir)
    table = table or EmbeddingTable(cache_dir, log)
    sets = load_dev(data_dir, extra_dir, subset)
    for s in sets:
        table.add_group(s.texts)
    results: dict[str, dict] = {}
    curves: dict[str, list] = {}
    for s in sets:
        head = models.heads[s.head]
        labels = np.array(head.labels)
        fast = models.fast_probs(s.texts)
        emb = models.embed_probs(table.get(s.texts), s.texts)
        full = models.blend(fast, emb)
        unsure = models.unsure(fast)
        cascade = {k: np.where(unsure[:, None], full[k], fast[k]) for k in fast}

        def predict(probs: dict[str, np.ndarray], texts=s.texts, head=head, labels=labels) -> np.ndarray:
            if head.name != "intent":
                return labels[probs[head.name].argmax(1)]
            complaint = probs["complaint"][:, 1] >= 0.5
            return np.array(
                [
                    decide(t, p, bool(c), models.rule_bonus)[0]
                    for t, p, c in zip(texts, probs["intent"], complaint, strict=True)
                ]
            )

        preds = {"fast": predict(fast), "full": predict(full), "cascade": predict(cascade)}
        if head.name == "intent":
            preds["full_model_only"] = labels[full["intent"].argmax(1)]
        y = np.array(s.labels)
        langs = np.array(s.langs)
        groups = {"all": np.ones(len(y), dtype=bool)} | {lang: langs == lang for lang in sorted(set(s.langs))}
        entry = {}
        for group, mask in groups.items():
            if len(set(s.langs)) == 1 and group != "all":
                continue
            e = {"n": int(mask.sum()), "escalated": round(float(unsure[mask].mean()), 4)}
            for mode, pred in preds.items():
                if s.name.endswith("(all clean)"):
                    e[f"{mode}_accuracy"] = round(float((pred[mask] == y[mask]).mean()), 4)
                else:
                    e[f"{mode}_macro_f1"] = round(macro_f1(y[mask], pred[mask]), 4)
            entry[group] = e
        results[f"{s.head}/{s.name}"] = entry
        if head.name != "intent" and not s.name.endswith("(all clean)"):
            conf = fast[head.name].max(1)
            curves[f"{s.head}/{s.name}"] = [
                {
                    "threshold": t,
                    "escalated": round(float((conf < t).mean()), 4),
                    "macro_f1": round(
                        macro_f1(
                            y,
                            labels[np.where((conf < t)[:, None], full[head.name], fast[head.name]).argmax(1)],
                        ),
                        4,
                    ),
                }
                for t in THRESHOLD_GRID
            ]
        log(
            f"dev {s.head}/{s.name}: "
            + ", ".join(
                f"{g} {v.get('cascade_macro_f1', v.get('cascade_accuracy'))}" for g, v in entry.items()
            )
        )
    # The shared dev splits as the targets define them: the two spam sets together, the two toxicity sets together.
    combined = {}
    for head, names in (
        ("spam", ("sms_spam_collection", "youtube_spam_collection")),
        ("toxicity", ("mlma_hate_speech", "davidson_hate_offensive")),
    ):
        chosen = [s for s in sets if s.head == head and s.name in names]
        texts = [t for s in chosen for t in s.texts]
        y = [lab for s in chosen for lab in s.labels]
        langs = np.array([lang for s in chosen for lang in s.langs])
        fast = models.fast_probs(texts)
        full = models.blend(fast, models.embed_probs(table.get(texts), texts))
        unsure = models.unsure(fast)
        labels = np.array(models.heads[head].labels)
        pred = {
            "fast": labels[fast[head].argmax(1)],
            "full": labels[full[head].argmax(1)],
            "cascade": labels[np.where(unsure[:, None], full[head], fast[head]).argmax(1)],
        }
        entry = {}
        for group in ["all", *sorted(set(langs))]:
            mask = np.ones(len(y), dtype=bool) if group == "all" else langs == group
            yy = np.array(y)[mask]
            entry[group] = {"n": int(mask.sum()), "escalated": round(float(unsure[mask].mean()), 4)} | {
                f"{m}_macro_f1": round(macro_f1(yy, p[mask]), 4) for m, p in pred.items()
            }
        combined[f"{head}/" + "+".join(names)] = entry
        log(
            f"dev {head}/{'+'.join(names)}: "
            + ", ".join(f"{g} {v['cascade_macro_f1']}" for g, v in entry.items())
        )
    return {"dev": results, "dev_combined": combined, "dev_threshold_curves": curves}
