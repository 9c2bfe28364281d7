import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from comptoir.stream.models import LabelCorrection


class Command(BaseCommand):
    help = ("Export data. `comptoir export corrections --out data/corrections/FILE.csv` writes the labels community "
            "managers corrected, in the format `comptoir train` reads from data/corrections/.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        corrections = sub.add_parser("corrections", help="Corrected labels as training data (text,task,label,lang).")
        corrections.add_argument("--out", default="-", help="File to write (default: standard output).")
        corrections.add_argument("--workspace", default=None, help="Only this workspace (short name).")

    def handle(self, *args, kind, out, workspace, **options):
        rows = LabelCorrection.objects.order_by("item_id", "task", "-created_at")
        if workspace:
            rows = rows.filter(workspace__slug=workspace)
        # The latest correction of each (item, task) is the truth; earlier ones were corrected again.
        latest: dict[tuple[int, str], LabelCorrection] = {}
        for correction in rows.iterator():
            latest.setdefault((correction.item_id, correction.task), correction)
        if out == "-":
            handle = sys.stdout
        else:
            path = Path(out)
            if path.parent and not path.parent.exists():
                raise CommandError(f"The folder {path.parent} does not exist.")
            handle = path.open("w", encoding="utf-8", newline="")
        try:
            writer = csv.writer(handle)
            writer.writerow(["text", "task", "label", "lang"])
            for c in sorted(latest.values(), key=lambda c: (c.task, c.text, c.new_label)):
                writer.writerow([c.text, c.task, c.new_label, c.language])
        finally:
            if handle is not sys.stdout:
                handle.close()
        if out != "-":
            self.stderr.write(f"{len(latest)} corrections written to {out}")
