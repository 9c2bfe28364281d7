"""Bulk import of posts from a CSV file: read strictly, previewed with each line's problems, then drafts.

Columns (header names in English or French, any order, extra columns refused so a typo is seen):
``date`` (YYYY-MM-DD or DD/MM/YYYY), ``time`` (HH:MM, in the importing person's time zone),
``channels`` (handles, labels or network names, separated by commas, semicolons or ``|``),
``text``, ``link``, ``campaign`` (an existing campaign's name), ``media`` (a file name of the
library), ``title``.

The file is read with the listening CSV import's parsing (encoding detection — UTF-8 with or
without BOM, cp1252, UTF-16 —, separator, refusal of workbooks and binary files, broken quotes
reported with their lines, line numbers as a spreadsheet shows them). Every row is checked in
full before anything is stored: a date in the past or in a daylight-saving gap, an unknown or
ambiguous channel, a text over a network's limit (each channel's ``connector.check_post``), a
link that is not a web address, an unknown campaign or media file. The import stores nothing
while one line has a problem; then it creates drafts (never scheduled: the CM schedules them)
in one transaction.

Cells are kept as written (HTML stays literal text, escaped on display; a cell starting with
``=`` is text, never evaluated; CSV exports neutralise such cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.connectors.base import OutboundMedia, OutboundPost
from comptoir.connectors.csvimport import importer, presets
from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit
from comptoir.workspaces.models import Channel

from . import links
from .models import MAX_TEXT_LENGTH, Campaign, MediaAsset, Post, PostVersion, Variant, VariantMedia

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_CHANNELS_PER_ROW = 20

COLUMNS = ("date", "time", "channels", "text", "link", "campaign", "media", "title")
COLUMN_HELP = {
    "date": gettext_lazy("Publication day: 2027-03-14 or 14/03/2027. Empty: a draft without a date."),
    "time": gettext_lazy("Hour and minute, 24-hour clock (09:30), in your time zone. Needed with a date."),
    "channels": gettext_lazy("One or more channels of the workspace, by account (@velo@mastodon.social), label or "
                             "network name (mastodon) when the workspace has one channel of that network; separated "
                             "by commas."),
    "text": gettext_lazy("The text of the post, as it will be published (each network's limit is checked)."),
    "link": gettext_lazy("Optional web address (http:// or https://); UTM parameters and the short link are added "
                         "when the post goes out."),
    "campaign": gettext_lazy("Optional: the name of an existing campaign."),
    "media": gettext_lazy("Optional: the file name of an image or video already in the media library."),
    "title": gettext_lazy("Optional internal title, for the team and the calendar."),
}
_ALIASES = {
    "date": {"date", "day", "jour", "publish date", "date de publication"},
    "time": {"time", "hour", "heure", "horaire"},
    "channels": {"channels", "channel", "canaux", "canal", "reseaux", "reseau", "networks", "network", "comptes"},
    "text": {"text", "texte", "message", "content", "contenu"},
    "link": {"link", "lien", "url"},
    "campaign": {"campaign", "campagne"},
    "media": {"media", "medias", "image", "file", "fichier", "media file", "fichier media"},
    "title": {"title", "titre", "internal title", "titre interne"},
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FR_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIME = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})?")
_SEPARATORS = re.compile(r"[,;|\n]")


@dataclass
class Row:
    line: int
    publish_at: dt.datetime | None = None
    channels: list[Channel] = field(default_factory=list)
    text: str = ""
    link: str = ""
    campaign: Campaign | None = None
    media: MediaAsset | None = None
    title: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown, not blocking


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the whole file

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows) + len(self.problems)


def template_csv() -> str:
    """The downloadable example file."""
    example = [
        list(COLUMNS),
        ["2027-03-14", "09:30", "mastodon", "La Fête du vélo revient le 14 juin ! Inscriptions ouvertes.",
         "https://example.org/fete", "", "", "Annonce fête du vélo"],
        ["14/03/2027", "18:00", "mastodon, bluesky", "Rendez-vous ce soir place Bellecour.", "", "", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(example)
    return out.getvalue()


def _columns(header: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(header):
        key = presets.normalize(name)
        if not key:
            continue
        column = next((c for c, names in _ALIASES.items() if key in names), None)
        if column is None:
            unknown.append(name[:60])
        elif column in found:
            raise importer.CsvRejected(_("Two columns of the header mean “%(column)s”. Keep one.") % {"column": column})
        else:
            found[column] = index
    if unknown:
        raise importer.CsvRejected(
            _("Unknown columns: %(names)s. The columns are: %(columns)s (see the template).") % {
                "names": ", ".join(f"“{n}”" for n in unknown), "columns": ", ".join(COLUMNS)})
    missing = [c for c in ("channels", "text") if c not in found]
    if missing:
        raise importer.CsvRejected(_("The file has no “%(column)s” column. The columns are: %(columns)s.") % {
            "column": missing[0], "columns": ", ".join(COLUMNS)})
    return found


def parse_local(day_text: str, time_text: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """The aware time of a local date and hour; ValidationError for a malformed, missing, past or skipped time."""
    day_text, time_text = day_text.strip(), time_text.strip()
    if not day_text and not time_text:
        return None
    if not day_text:
        raise ValidationError(_("an hour without a date: give the date too"))
    if match := _ISO_DATE.fullmatch(day_text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _FR_DATE.fullmatch(day_text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValidationError(_("the date “%(value)s” is not a date; write 2027-03-14 or 14/03/2027") % {
            "value": day_text[:40]})
    try:
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise ValidationError(_("the date “%(value)s” does not exist") % {"value": day_text[:40]}) from exc
    if not time_text:
        raise ValidationError(_("a date without an hour: give the hour too (09:30)"))
    match = _TIME.fullmatch(time_text)
    hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 99)
    if hour > 23 or minute > 59:
        raise ValidationError(_("the hour “%(value)s” is not an hour; write 09:30") % {"value": time_text[:20]})
    naive = dt.datetime.combine(date, dt.time(hour, minute))
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError(_("%(when)s does not exist in %(zone)s: the clocks skip that hour when summer time "
                                "starts. Choose another time.") % {
            "when": naive.strftime("%Y-%m-%d %H:%M"), "zone": zone.key})
    if aware <= now:
        raise ValidationError(_("%(when)s is in the past") % {"when": naive.strftime("%Y-%m-%d %H:%M")})
    return aware


def _channel_index(workspace) -> tuple[dict[str, list[Channel]], list[Channel]]:
    channels = list(Channel.objects.filter(workspace=workspace, removed_at__isnull=True).order_by("pk"))
    index: dict[str, list[Channel]] = {}
    for channel in channels:
        keys = {channel.handle.casefold(), channel.handle.casefold().lstrip("@"), channel.network.casefold()}
        if channel.label:
            keys.add(channel.label.casefold())
        for key in keys:
            index.setdefault(key, []).append(channel)
    return index, channels


def _find_channels(cell: str, index, channels) -> tuple[list[Channel], list[str]]:
    found: list[Channel] = []
    errors = []
    names = [n.strip() for n in _SEPARATORS.split(cell) if n.strip()]
    if not names:
        return [], [_("no channel: name at least one")]
    if len(names) > MAX_CHANNELS_PER_ROW:
        return [], [_("more than %(max)d channels on one line") % {"max": MAX_CHANNELS_PER_ROW}]
    for name in names:
        key = name.casefold()
        matches = index.get(key) or index.get(key.lstrip("@")) or []
        unique = list(dict.fromkeys(matches))
        if not unique:
            known = ", ".join(sorted({c.handle for c in channels})[:10]) or "—"
            errors.append(_("unknown channel “%(name)s” (channels of this workspace: %(known)s)") % {
                "name": name[:80], "known": known})
        elif len(unique) > 1:
            errors.append(_("“%(name)s” names %(count)d channels: write the account instead (%(handles)s)") % {
                "name": name[:80], "count": len(unique), "handles": ", ".join(c.handle for c in unique[:5])})
        elif unique[0] not in found:
            found.append(unique[0])
    return found, errors


def _check_on_channels(row: Row) -> None:
    media = ()
    if row.media is not None:
        media = (OutboundMedia(filename=row.media.filename, content_type=row.media.content_type,
                               data=bytes(min(row.media.size, 1)), alt_text=row.media.alt_text),)
    post = OutboundPost(text=row.text, title=row.title, media=media, link=row.link)
    for channel in row.channels:
        try:
            problems = channel.connector().check_post(post)
        except Exception as exc:  # noqa: BLE001 — a broken channel configuration is this line's problem, not a 500
            problems = [_("this channel cannot check the post (%(error)s)") % {"error": str(exc)[:200]}]
        for problem in problems:
            row.errors.append(f"{channel}: {problem}")


def _row(record: list[str], line: int, columns: dict[str, int], ctx: dict) -> Row:
    def cell(name: str) -> str:
        index = columns.get(name)
        return clean_text(record[index]) if index is not None and index < len(record) else ""

    row = Row(line=line)
    try:
        row.publish_at = parse_local(cell("date"), cell("time"), ctx["zone"], ctx["now"])
    except ValidationError as exc:
        row.errors.extend(exc.messages)
    row.channels, errors = _find_channels(cell("channels"), ctx["index"], ctx["channels"])
    row.errors.extend(errors)
    row.text = cell("text").strip()
    if len(row.text) > MAX_TEXT_LENGTH:
        row.errors.append(_("the text is %(length)d characters long; a post holds %(max)d at most") % {
            "length": len(row.text), "max": MAX_TEXT_LENGTH})
        row.text = row.text[:MAX_TEXT_LENGTH]
    try:
        row.link = links.check_link(cell("link"))
    except ValidationError as exc:
        row.errors.extend(m for messages in exc.message_dict.values() for m in messages)
        row.link = ""
    name = cell("campaign").strip()
    if name:
        row.campaign = ctx["campaigns"].get(name.casefold())
        if row.campaign is None:
            row.errors.append(_("unknown campaign “%(name)s”") % {"name": name[:120]})
    filename = cell("media").strip()
    if filename:
        row.media = ctx["workspace_media"](filename)
        if row.media is None:
            row.errors.append(_("no file “%(name)s” in the media library") % {"name": filename[:200]})
    row.title = cell("title").replace("\n", " ").strip()
    if len(row.title) > 200:
        row.errors.append(_("the title is %(length)d characters long; 200 at most") % {"length": len(row.title)})
        row.title = row.title[:200]
    if not row.text and row.media is None:
        row.errors.append(_("no text"))
    elif row.channels:
        _check_on_channels(row)
    return row


def preview(workspace, data: bytes, tz: str) -> Preview:
    """Read ``data`` (the file's bytes) and check every line; stores nothing."""
    result = Preview()
    if len(data) > MAX_FILE_BYTES:
        result.problems.append(_("The file is %(size)s; the import takes %(max)s at most (about %(rows)d posts). "
                                 "Split it.") % {"size": filesizeformat(len(data)), "max": filesizeformat(MAX_FILE_BYTES),
                                                 "rows": MAX_ROWS})
        return result
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        zone = ZoneInfo(workspace.time_zone)
    index, channels = _channel_index(workspace)

    def workspace_media(filename: str) -> MediaAsset | None:
        return (MediaAsset.objects.filter(workspace=workspace, archived_at__isnull=True)
                .filter(Q(filename=filename) | Q(title=filename)).order_by("-created_at").first())

    ctx = {"zone": zone, "now": timezone.now(), "index": index, "channels": channels, "workspace_media": workspace_media,
           "campaigns": {c.name.casefold(): c for c in Campaign.objects.filter(workspace=workspace,
                                                                                archived_at__isnull=True)}}
    try:
        stream = io.BytesIO(data)
        head = importer._read_head(stream)
        info = importer.sniff(head)
        columns = _columns(info.header)
        counting = importer._CountingStream(head, stream)
        line = 0
        for record in importer._strict_records(importer._text_lines(counting, info), info):
            line += 1
            if record is importer._TOO_LARGE:
                result.rows.append(Row(line=line, errors=[_("a cell is too long")]))
                continue
            if line <= info.header_row or not any(c.strip() for c in record):
                continue
            if len(result.rows) >= MAX_ROWS:
                result.problems.append(_("The file has more than %(max)d posts: split it.") % {"max": MAX_ROWS})
                break
            if len(record) > len(info.header) and any(c.strip() for c in record[len(info.header):]):
                result.rows.append(Row(line=line, errors=[_("this line has more cells than the header: check the "
                                                             "separators and quotes")]))
                continue
            result.rows.append(_row(record, line, columns, ctx))
    except importer.CsvRejected as exc:
        result.problems.append(exc.message)
        result.rows = []
    if not result.rows and not result.problems:
        result.problems.append(_("The file holds no post."))
    _warn_duplicates(workspace, result.rows)
    return result


def _warn_duplicates(workspace, rows: list[Row]) -> None:
    """A line whose text and date a post of the workspace (or an earlier line) already has: probably imported twice."""
    texts = {row.text for row in rows if row.text}
    existing = set(Post.objects.filter(workspace=workspace, master_text__in=list(texts)[:MAX_ROWS])
                   .exclude(status=Post.Status.CANCELLED).values_list("master_text", "publish_at")) if texts else set()
    seen: dict[tuple, int] = {}
    for row in rows:
        key = (row.text, row.publish_at)
        if not row.text:
            continue
        if key in existing:
            row.warnings.append(_("a post with this text and date exists already: imported twice?"))
        elif key in seen:
            row.warnings.append(_("same text and date as line %(line)d") % {"line": seen[key]})
        seen.setdefault(key, row.line)


def _optional_content_of():
    try:
        from .posts import content_of  # the editor's part; absent until it lands
    except ImportError:
        return None
    return content_of


def do_import(membership, data: bytes, tz: str) -> list[Post]:
    """Check the file again and, when no line has a problem, create one draft per line in one transaction."""
    checked = preview(membership.workspace, data, tz)
    if not checked.ok:
        raise ValidationError(_("The file has problems; nothing was imported. Fix them and import it again."))
    created = []
    content_of = _optional_content_of()
    with transaction.atomic():
        for row in checked.rows:
            post = Post.objects.create(
                workspace=membership.workspace, title=row.title, master_text=row.text, link=row.link,
                publish_at=row.publish_at, campaign=row.campaign, status=Post.Status.DRAFT, created_by=membership.user)
            for channel in row.channels:
                variant = Variant.objects.create(post=post, channel=channel, network=channel.network)
                if row.media is not None:
                    VariantMedia.objects.create(variant=variant, asset=row.media)
            # Version 1, as the editor snapshots it (its content_of when that part is there).
            PostVersion.objects.create(post=post, number=1, created_by=membership.user, content=content_of(post) if content_of
                                       else {"title": post.title, "master_text": post.master_text, "link": post.link})
            created.append(post)
        audit.record(membership.workspace, membership.user, "post.import", None, after={
            "count": len(created), "posts": [p.pk for p in created][:500]}, object_repr=_("CSV import"))
    return created


audit.sentences({
    "post.import": lambda e, n: ngettext("%(actor)s imported %(count)s draft post from a CSV file.",
                                         "%(actor)s imported %(count)s draft posts from a CSV file.",
                                         (e.after or {}).get("count", 0)) % {**n, "count": (e.after or {}).get("count", 0)},
})
