import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from comptoir.stream.actions import do_import_csv
from comptoir.workspaces import audit
from comptoir.workspaces.models import Channel, Membership
from comptoir.workspaces.roles import Role


class Command(BaseCommand):
    help = "Import data into Comptoir. `comptoir import csv FILE --channel ID` imports an exported CSV of comments or posts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True)
        csv = sub.add_parser("csv", help="An export of comments or posts (Facebook, Instagram, LinkedIn, X, YouTube…).")
        csv.add_argument("file")
        csv.add_argument("--channel", required=True, type=int, help="Id of the CSV channel to import into.")
        csv.add_argument("--preset", default="generic", help="facebook, instagram, linkedin, x, youtube or generic.")
        csv.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                         help="Column for a field when the preset does not find it, e.g. --map text=Commentaire.")
        csv.add_argument("--tz", default="Europe/Paris", help="Time zone of dates without one (default Europe/Paris).")

    def handle(self, *args, kind, file, channel, preset, map, tz, **options):
        from comptoir.connectors.csvimport.importer import CsvRejected

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        target = Channel.objects.select_related("workspace").filter(pk=channel).first()
        if target is None:
            raise CommandError(f"No channel with id {channel}.")
        owner = Membership.objects.filter(workspace=target.workspace, role=Role.OWNER).select_related("user", "workspace").first()
        mapping = {}
        for pair in map:
            field, sep, column = pair.partition("=")
            if not sep:
                raise CommandError(f"--map takes FIELD=COLUMN, not {pair!r}.")
            mapping[field.strip()] = column.strip()
        size = path.stat().st_size or 1

        def progress(rows, read):
            done = min(1.0, read / size)
            bar = "#" * int(done * 30)
            sys.stderr.write(f"\r[{bar:<30}] {done:4.0%}  {rows} rows")
            sys.stderr.flush()

        try:
            with path.open("rb") as handle, audit.via("cli"):
                summary = do_import_csv(owner, target, handle, preset=preset, mapping=mapping, tz=tz, progress=progress)
        except (CsvRejected, ValueError, ValidationError) as exc:
            raise CommandError(getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)]))) from exc
        sys.stderr.write("\n")
        self.stdout.write(f"imported: {summary.imported}  duplicates: {summary.duplicates}  rejected: {len(summary.rejected)}")
        for error in summary.rejected[:200]:
            self.stdout.write(f"  {error}")
        if len(summary.rejected) > 200:
            self.stdout.write(f"  … and {len(summary.rejected) - 200} more")
