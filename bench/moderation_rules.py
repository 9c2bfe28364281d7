"""The default moderation rules on a labelled French and English set: precision and recall per language and action.

    .venv/bin/python bench/moderation_rules.py [--fast] [--data-dir DIR] [--show-errors]

Reads ``comptoir/moderation/data/eval/{fr,en}.csv`` (texts written for this set, never seen by the models: insults,
threats and harassment, spam, sharp but acceptable criticism, ordinary messages; each with the least the rules should
do: ``hide``, ``hold`` or ``none``). In a scratch SQLite data folder it makes a workspace with the default rule set
(:func:`comptoir.moderation.rules.ensure_default_rules`) and an owned Mastodon channel (never called: no network),
brings each text as a reply from its own author (so flood, repeat and newcomer counts stay out of it), runs the real
understanding cascade (``analyse_items``; ``--fast``: the fast pass only, as a busy worker would) and the rules
through the ``items_analysed`` signal, exactly as in production. The newcomer rule is in dry run by default (it logs,
opens no case), so it does not count.

What counts, per language and for both:

* ``flagged`` — a case was opened. Should be: every ``hide`` and ``hold`` row.
* ``held`` — the case is held (a hold or hide action). Should be: every ``hide`` and ``hold`` row.
* ``hidden`` — a hide action. Should be: only ``hide`` rows (a hidden criticism is the worst error).

Prints a table and one line ``moderation_rules: lang=all flagged_p=… flagged_r=… hidden_p=… hidden_r=…``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT / "comptoir" / "moderation" / "data" / "eval"


def setup(data_dir: str) -> None:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "comptoir.settings", "COMPTOIR_DEV": "1", "COMPTOIR_DEMO": "0",
                       "COMPTOIR_DATA_DIR": data_dir})
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def rows() -> list[dict]:
    found = []
    for lang in ("fr", "en"):
        with (EVAL / f"{lang}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                found.append({**row, "lang": lang})
    return found


def run(fast: bool) -> list[dict]:
    import datetime as dt

    from django.utils import timezone

    from comptoir.connectors.base import Author, FetchedItem, ItemKind
    from comptoir.moderation import rules
    from comptoir.moderation.models import AutoAction, Case
    from comptoir.stream.actions import source_for_channel
    from comptoir.stream.ingest import store_fetched
    from comptoir.stream.tasks import analyse_items
    from comptoir.workspaces import actions
    from comptoir.workspaces.models import Channel, User

    owner = User.objects.create_user("bench@moderation.test", "x" * 20, full_name="Bench")
    workspace = actions.do_create_workspace(owner, {"name": "Bench modération", "slug": "bench-moderation",
                                                    "kind": "association"})
    rules.ensure_default_rules(workspace, owner)
    channel = Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@masto.example",
                                     label="Mastodon", config={"server": "https://masto.example"})
    source = source_for_channel(channel)
    data = rows()
    start = timezone.now() - dt.timedelta(days=2)
    fetched = [FetchedItem(external_id=str(n), kind=ItemKind.REPLY, text=row["text"],
                           author=Author("mastodon", f"member{n}@m{n}.example"),
                           published_at=start + dt.timedelta(minutes=7 * n), parent_external_id=f"post{n}")
               for n, row in enumerate(data)]
    ids = store_fetched(source, fetched).item_ids
    for begin in range(0, len(ids), 50):
        analyse_items.call(ids[begin:begin + 50], fast=fast)
    from comptoir.stream.models import Item

    by_external = dict(Item.objects.filter(pk__in=ids).values_list("external_id", "pk"))
    for n, row in enumerate(data):
        item_id = by_external[str(n)]
        case = Case.objects.filter(item_id=item_id).first()
        acts = set(AutoAction.objects.filter(item_id=item_id).exclude(result="logged").values_list("action", flat=True))
        row["flagged"] = case is not None
        row["held"] = bool(case and case.held)
        row["hidden"] = "hide" in acts
        row["rules"] = [r["rule_name"] for r in (case.reasons if case else [])]
    return data


def score(data: list[dict], predicted: str, positive) -> tuple[float, float, int, int, int]:
    tp = sum(1 for r in data if r[predicted] and positive(r))
    fp = sum(1 for r in data if r[predicted] and not positive(r))
    fn = sum(1 for r in data if not r[predicted] and positive(r))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fast", action="store_true", help="the understanding's fast pass only")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    setup(args.data_dir or tempfile.mkdtemp(prefix="comptoir-bench-moderation-"))
    data = run(args.fast)
    caught = {"flagged": lambda r: r["expected"] in ("hide", "hold"),
              "held": lambda r: r["expected"] in ("hide", "hold"),
              "hidden": lambda r: r["expected"] == "hide"}
    print(f"{'lang':5} {'action':8} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    summary = {}
    for lang in ("fr", "en", "all"):
        subset = [r for r in data if lang == "all" or r["lang"] == lang]
        for predicted, positive in caught.items():
            p, r, tp, fp, fn = score(subset, predicted, positive)
            print(f"{lang:5} {predicted:8} {p:9.2f} {r:7.2f} {tp:4} {fp:4} {fn:4}")
            if lang == "all":
                summary[predicted] = (p, r)
    print("criticism or ordinary messages caught (false alarms):")
    for row in data:
        if row["expected"] == "none" and row["flagged"]:
            print(f"  [{row['lang']}] {'HIDDEN' if row['hidden'] else 'held' if row['held'] else 'flagged'}: "
                  f"{row['text'][:70]} — {', '.join(row['rules'])}")
    if args.show_errors:
        print("missed:")
        for row in data:
            if row["expected"] != "none" and not row["flagged"]:
                print(f"  [{row['lang']}] {row['category']}: {row['text'][:80]}")
    print("moderation_rules: lang=all mode=%s " % ("fast" if args.fast else "full") + " ".join(
        f"{k}_p={p:.2f} {k}_r={r:.2f}" for k, (p, r) in summary.items()))


if __name__ == "__main__":
    main()
