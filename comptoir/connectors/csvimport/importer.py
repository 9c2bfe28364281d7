"""Read exported CSV files into :class:`FetchedItem` values: strict with files, forgiving with rows.

:func:`sniff` looks at the beginning of a file: encoding (byte order mark, else UTF-8, else
cp1252 as Windows Excel writes), separator (``,`` ``;`` tab ``|``) and header row (the first of
the first rows whose cells are known column names, so a title line above the header is fine).

:func:`parse_rows` streams the file (it never holds it whole) and yields, row by row, an item,
a :class:`RowError` saying in words what is wrong with that row, or a :class:`DuplicateRow` for
an id already seen in the same file. Problems with the whole file (empty, binary, an Excel
workbook, too many columns, two columns with the same name, a mapped column that does not exist, no
text column) raise :class:`CsvRejected` before the first row is yielded. Some can only show up later
and also raise it mid-way: a file past :data:`MAX_FILE_BYTES` whose size was not known up front, a
row with thousands of fields, and broken quotes — an unclosed quote would otherwise glue every row
after it into one cell, so the file is refused with the line numbers instead (:func:`_strict_records`).
Callers store rows in one transaction so nothing is kept.

Limits: :data:`MAX_FILE_BYTES` (50 MB), :data:`MAX_COLUMNS` (200), :data:`MAX_FIELD_CHARS`
(csv's own ``field_size_limit``, 131,072 characters by default; this module does not change
that process-wide setting), ``max_rows`` per call.

Texts are kept as written and only cleaned of control characters (:func:`clean_text`): HTML
stays literal text, and so do spreadsheet formulas (``=cmd|' /C calc'!A0``). Whatever writes
these texts back to a CSV file must neutralise cells starting with ``= + - @`` or a tab (prefix
an apostrophe), or a spreadsheet would run them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.connectors.csvimport import presets
from comptoir.connectors.csvimport.dates import parse_date
from comptoir.lib.sanitize import clean_text

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 200
MAX_FIELD_CHARS = 131_072  # csv.field_size_limit()'s default
MAX_FIELDS_PER_LINE = 10_000
DEFAULT_MAX_ROWS = 100_000
SNIFF_BYTES = 64 * 1024
MAX_HEADER_BYTES = 1024 * 1024
HEADER_SEARCH_ROWS = 10
SNIFF_ROWS = 50
PROGRESS_EVERY = 500
DELIMITERS = (",", ";", "\t", "|")
RAW_COLUMNS = 50
RAW_CELL_CHARS = 1000
_READ_CHUNK = 64 * 1024

_KINDS = {
    ItemKind.COMMENT: ("comment", "commentaire", "comments", "commentaires"),
    ItemKind.REPLY: ("reply", "replies", "reponse", "reponses", "answer", "response"),
    ItemKind.POST: (
        "post", "posts", "publication", "publications", "tweet", "status", "statut", "video",
        "videos", "photo", "photos", "image", "link", "links", "lien", "liens", "reel", "reels",
        "story", "stories", "carousel", "carrousel", "album", "article", "document", "poll",
        "sondage", "text", "texte", "status update",
    ),
}  # fmt: skip
_KIND_WORDS = {word: kind for kind, words in _KINDS.items() for word in words}
_EXCEL_NUMBER = re.compile(r"\d(?:[.,]\d+)?E\+\d+", re.IGNORECASE)
_COUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([km]?)", re.IGNORECASE)


class CsvRejected(ValueError):
    """The whole file cannot be imported; ``message`` says why and what to do.

    ``field`` names the mapping field at fault, when one is.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CsvSniff:
    """What :func:`sniff` found out about a file."""

    encoding: str  # "utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be"
    delimiter: str
    header: tuple[str, ...]
    header_row: int  # row number of the header, as a spreadsheet numbers rows (first = 1)
    newline: str = "\n"

    @property
    def columns(self) -> int:
        return len(self.header)


@dataclass(frozen=True)
class RowError:
    """A row that was not imported. ``line`` is the row number a spreadsheet shows."""

    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class DuplicateRow:
    """A row whose id was already seen at ``first_line`` of the same file."""

    line: int
    external_id: str
    first_line: int


RowResult = FetchedItem | RowError | DuplicateRow


@dataclass
class ImportSummary:
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)


def summarize(
    results: Iterable[RowResult], on_item: Callable[[FetchedItem], Any] | None = None
) -> ImportSummary:
    """Consume :func:`parse_rows` results, handing each item to ``on_item``; count what happened."""
    summary = ImportSummary()
    for result in results:
        summary.total += 1
        if isinstance(result, FetchedItem):
            summary.imported += 1
            if on_item is not None:
                on_item(result)
        elif isinstance(result, DuplicateRow):
            summary.duplicates += 1
        else:
            summary.rejected.append(result)
    return summary


# --- Bytes and text ---------------------------------------------------------------------------


def _decode_line(line: bytes) -> str:
    # Per line: files glued together from several exports mix UTF-8 and cp1252.
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _too_large(size: int | None = None) -> CsvRejected:
    if size is None:
        return CsvRejected(
            _("The file is larger than %(max)s. Split the export into smaller files.")
            % {"max": filesizeformat(MAX_FILE_BYTES)}
        )
    return CsvRejected(
        _("The file is %(size)s; the limit is %(max)s. Split the export into smaller files.")
        % {"size": filesizeformat(size), "max": filesizeformat(MAX_FILE_BYTES)}
    )


class _CountingStream(io.RawIOBase):
    """The sniffed head, then the rest of the stream; counts bytes and enforces the size cap."""

    def __init__(self, head: bytes, stream: IO[bytes]):
        self._head = memoryview(head)
        self._stream = stream
        self.bytes_read = len(head)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        if self._head:
            chunk: bytes | memoryview = self._head[:size]
            self._head = self._head[len(chunk) :]
        else:
            chunk = self._stream.read(size) or b""
            self.bytes_read += len(chunk)
            if self.bytes_read > MAX_FILE_BYTES:
                raise _too_large()
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _split(stream: IO[bytes] | _CountingStream, separator: bytes) -> Iterator[bytes]:
    """Lines of a binary stream, each with its separator; one very long line costs O(n)."""
    parts: list[bytes] = []
    while chunk := stream.read(_READ_CHUNK):
        start = 0
        while (index := chunk.find(separator, start)) != -1:
            parts.append(chunk[start : index + 1])
            yield b"".join(parts)
            parts = []
            start = index + 1
        if start < len(chunk):
            parts.append(chunk[start:])
    if parts:
        yield b"".join(parts)


def _decoded_lines(counting: _CountingStream, info: CsvSniff) -> Iterator[str]:
    if info.encoding.startswith("utf-16"):
        yield from io.TextIOWrapper(
            io.BufferedReader(counting), encoding=info.encoding, errors="replace", newline=""
        )
        return
    first = True
    for raw in _split(counting, info.newline.encode()):
        if first:
            raw = raw.removeprefix(codecs.BOM_UTF8)
            first = False
        yield _decode_line(raw)


def _text_lines(counting: _CountingStream, info: CsvSniff) -> Iterator[str]:
    for line in _decoded_lines(counting, info):
        if line.count(info.delimiter) > MAX_FIELDS_PER_LINE:
            # csv would build a list of millions of cells; nothing legitimate looks like this.
            raise CsvRejected(
                _(
                    "A line of the file has more than %(max)d fields: this is not a CSV export Comptoir can read."
                )
                % {"max": MAX_FIELDS_PER_LINE}
            )
        yield line


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    controls = sum(1 for c in text if (c < " " and c not in "\t\r\n") or c == "\x7f")
    # A few stray control characters are cleaned later; a short file needs several to be binary.
    return (controls > 8 and controls / len(text) > 0.02) or text.count("\ufffd") / len(text) > 0.1


def _reject_non_csv(data: bytes) -> None:
    signatures = {
        b"PK\x03\x04": _(
            "This is an Excel workbook or a zip archive, not a CSV file. In Excel or LibreOffice, "
            "save it with “Save as” and the “CSV UTF-8” type, then import that file."
        ),
        b"\xd0\xcf\x11\xe0": _(
            "This is an old Excel workbook (.xls), not a CSV file. In Excel or LibreOffice, save it "
            "with “Save as” and the “CSV UTF-8” type, then import that file."
        ),
        b"%PDF": _("This is a PDF document, not a CSV file. Export the data again as CSV."),
    }
    for signature, message in signatures.items():
        if data.startswith(signature):
            raise CsvRejected(message)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_head(data: bytes) -> tuple[str, str]:
    """(encoding, text) of the beginning of a file."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "".join(_decode_line(line) for line in data[3:].splitlines(keepends=True))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", data[: len(data) // 2 * 2].decode("utf-16", errors="replace")
    if encoding := _utf16_without_bom(data):
        return encoding, data[: len(data) // 2 * 2].decode(encoding, errors="replace")
    if data.count(0) > max(8, len(data) // 100):  # a stray NUL is cleaned later; many mean binary
        raise CsvRejected(
            _(
                "This file does not look like a CSV file: it contains binary data. Export the data again as CSV."
            )
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(data, final=False)  # a character cut at the end of the sample is fine
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return encoding, "".join(_decode_line(line) for line in data.splitlines(keepends=True))


# --- Sniffing ---------------------------------------------------------------------------------


def _records(lines: list[str], delimiter: str, limit: int) -> list[list[str]]:
    """The first ``limit`` records of ``lines``; those before a broken one when one breaks."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    while len(records) < limit:
        try:
            records.append(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise _cell_too_large(reader.line_num) from exc
            break
    return records


def _cell_too_large(line: int) -> CsvRejected:
    return CsvRejected(
        _(
            "Line %(line)d holds a cell longer than %(max)s characters, which Comptoir cannot read. Check the "
            "quotes around that line (a missing closing quote makes one cell of the rest of the file), or "
            "shorten that cell, then import the file again."
        )
        % {"line": line, "max": number_format(MAX_FIELD_CHARS, force_grouping=True)}
    )


def _delimiter(lines: list[str]) -> str:
    best, best_key = ",", (False, 0.0, 0, 0)
    for delimiter in DELIMITERS:
        counts = [len(r) for r in _records(lines, delimiter, SNIFF_ROWS) if any(c.strip() for c in r)]
        if not counts:
            continue
        width, times = Counter(counts).most_common(1)[0]
        key = (width > 1, round(times / len(counts), 2), width, -DELIMITERS.index(delimiter))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def sniff(file_bytes: bytes) -> CsvSniff:
    """Encoding, separator and header of a CSV file, from its first bytes (1 MB is plenty).

    Raises :class:`CsvRejected` for an empty file, binary data (or an Excel workbook, a PDF),
    a first line longer than 1 MB, or more than :data:`MAX_COLUMNS` columns.
    """
    data = bytes(file_bytes[: MAX_HEADER_BYTES + SNIFF_BYTES])
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE):
        raise CsvRejected(_("The file is empty."))
    _reject_non_csv(data)
    encoding, text = _decode_head(data)
    text = text.removeprefix("\ufeff")
    if _looks_binary(text[:SNIFF_BYTES]):
        raise CsvRejected(
            _(
                "This file does not look like a CSV file: it contains binary data. Export the data again as CSV."
            )
        )
    newline = "\n" if "\n" in text else ("\r" if "\r" in text else "\n")
    parts = text.split(newline)
    lines = [part + newline for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    if len(lines) == 1 and len(file_bytes) > MAX_HEADER_BYTES:
        raise CsvRejected(
            _("The first line of the file is longer than 1 MB: this is not a CSV export Comptoir can read.")
        )
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]  # cut by the sample's end
    delimiter = _delimiter(lines)
    records = _records(lines, delimiter, HEADER_SEARCH_ROWS)
    scored = [(presets.header_score(r), -i, i) for i, r in enumerate(records) if any(c.strip() for c in r)]
    if not scored:
        raise CsvRejected(_("The file is empty."))
    best = max(scored)
    index = best[2] if best[0] > 0 else min(i for _s, _n, i in scored)
    header = tuple(clean_text(cell).strip().removeprefix("\ufeff") for cell in records[index])
    _check_unique_names(header, index + 1)
    if len(header) > MAX_COLUMNS:
        raise CsvRejected(
            _(
                "The file has %(count)d columns; Comptoir reads at most %(max)d. Check that it is an "
                "export of comments or posts and that it uses a usual separator (comma, semicolon, tab)."
            )
            % {"count": len(header), "max": MAX_COLUMNS}
        )
    return CsvSniff(
        encoding=encoding, delimiter=delimiter, header=header, header_row=index + 1, newline=newline
    )


def _check_unique_names(header: tuple[str, ...], line: int) -> None:
    """Two columns with the same name would make the mapping and the raw row ambiguous: refuse them."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = presets.normalize(name)
        if not key:
            continue  # Excel writes empty names for trailing separators: harmless.
        if key in seen:
            raise CsvRejected(
                _(
                    "The header (line %(line)d) names two columns “%(name)s” (columns %(first)d and %(second)d). "
                    "Rename one of them in the file, then import it again."
                )
                % {"line": line, "name": name, "first": seen[key], "second": position}
            )
        seen[key] = position


# --- Columns ----------------------------------------------------------------------------------


def _column_list(header: tuple[str, ...] | list[str]) -> str:
    shown = [f"“{h}”" for h in header[:30]]
    if len(header) > 30:
        shown.append(_("and %(count)d more") % {"count": len(header) - 30})
    return ", ".join(shown) or _("none")


def resolve_columns(
    header: tuple[str, ...] | list[str], preset: presets.Preset, mapping: dict[str, str] | None = None
) -> dict[str, int]:
    """Field → column index: the preset's matches, overridden by ``mapping`` (field → column name).

    Raises :class:`CsvRejected` naming the column and listing the available ones when a mapped
    column is not in the file, and when no column holds the text.
    """
    found = presets.match_columns(header, preset)
    normalized = [presets.normalize(h) for h in header]
    for field_name, column in (mapping or {}).items():
        if field_name not in presets.FIELDS:
            raise CsvRejected(_("Unknown field “%(field)s”.") % {"field": field_name}, field=field_name)
        if not column or not str(column).strip():
            continue  # left blank: keep what the preset found
        column = str(column).strip()
        if column in header:
            index = list(header).index(column)
        elif presets.normalize(column) in normalized:
            index = normalized.index(presets.normalize(column))
        else:
            raise CsvRejected(
                _(
                    "The column “%(column)s” chosen for “%(field)s” is not in the file. Columns found: %(columns)s."
                )
                % {
                    "column": column,
                    "field": presets.FIELD_LABELS[field_name],
                    "columns": _column_list(header),
                },
                field=field_name,
            )
        for other, other_index in list(found.items()):
            if other_index == index:
                del found[other]
        found[field_name] = index
    if "text" not in found:
        raise CsvRejected(
            _(
                "No column of the file holds the text of the comments or posts for this preset. "
                "Columns found: %(columns)s. Choose the text column in the mapping."
            )
            % {"columns": _column_list(header)},
            field="text",
        )
    return found


# --- Rows -------------------------------------------------------------------------------------


def _count(value: str) -> int | None:
    """Engagement counts as exports write them: "1 234", "1,234", "1.2K", "3,4 k"."""
    text = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    match = _COUNT.fullmatch(text)
    if not match:
        return None
    number, suffix = match.groups()
    if not suffix:
        digits = number.replace(",", "").replace(".", "")
        return int(digits) if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number) else None
    scale = 1000 if suffix.lower() == "k" else 1_000_000
    return int(float(number.replace(",", ".")) * scale)


def _safe_url(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 2048:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


@dataclass
class _Context:
    sniff: CsvSniff
    columns: dict[str, int]
    preset: presets.Preset
    network: str
    zone: dt.tzinfo
    order: str
    default_kind: ItemKind
    seen: dict[str, int] = field(default_factory=dict)


def _row_result(record: list[str], line: int, ctx: _Context) -> RowResult:
    width = ctx.sniff.columns
    if len(record) > width:
        if any(cell.strip() for cell in record[width:]):
            return RowError(
                line,
                _(
                    "the row has %(found)d columns but the header has %(expected)d: check the separator and the quotes"
                )
                % {"found": len(record), "expected": width},
            )
        record = record[:width]
    elif len(record) < width:
        record = record + [""] * (width - len(record))

    def cell(name: str) -> str:
        index = ctx.columns.get(name)
        return record[index].strip() if index is not None else ""

    raw_text = cell("text")
    if len(raw_text) > MAX_FIELD_CHARS:
        return RowError(
            line,
            _("the text is %(length)d characters long; the limit is %(max)d")
            % {"length": len(raw_text), "max": MAX_FIELD_CHARS},
        )
    text = clean_text(raw_text).strip()
    if not text:
        return RowError(
            line,
            _("the text column (“%(column)s”) is empty") % {"column": ctx.sniff.header[ctx.columns["text"]]},
        )
    raw_date = cell("date")
    published_at = None
    if raw_date:
        published_at = parse_date(raw_date, tz=ctx.zone, order=ctx.order)
        if published_at is None:
            return RowError(line, _("date “%(value)s” is not a date") % {"value": clean_text(raw_date)[:40]})

    author_name = clean_text(cell("author"), max_length=200)
    author_id = clean_text(cell("author_id"), max_length=200)
    author = None
    if author_name or author_id:
        author = Author(
            network=ctx.network,
            handle=author_name.removeprefix("@") if author_name else author_id,
            display_name=author_name,
            external_id=author_id,
            url=_safe_url(cell("author_url")),
        )

    external_id = clean_text(cell("id"), max_length=255)
    if not external_id or _EXCEL_NUMBER.fullmatch(external_id):
        # No id, or one a spreadsheet rounded (1.23457E+18) and so no longer unique: hash instead.
        when = published_at.isoformat() if published_at else raw_date
        digest = hashlib.sha256("\x1f".join((ctx.network, author_name, when, text)).encode()).hexdigest()
        external_id = f"sha256:{digest[:40]}"
    if external_id in ctx.seen:
        return DuplicateRow(line=line, external_id=external_id, first_line=ctx.seen[external_id])
    ctx.seen[external_id] = line

    parent = clean_text(cell("parent_id"), max_length=255)
    post = clean_text(cell("post_id"), max_length=255)
    kind = _KIND_WORDS.get(presets.normalize(cell("kind"))) or (
        ItemKind.REPLY if parent else ctx.default_kind
    )
    engagement = {
        name: count for name in ("likes", "replies", "shares") if (count := _count(cell(name))) is not None
    }
    header = ctx.sniff.header
    return FetchedItem(
        external_id=external_id,
        kind=kind,
        text=text,
        author=author,
        title=clean_text(cell("title"), max_length=300),
        url=_safe_url(cell("url")),
        published_at=published_at,
        parent_external_id=parent,
        thread_external_id=post or parent,
        engagement=engagement,
        raw={
            "source": "csv",
            "preset": ctx.preset.name,
            "line": line,
            "row": {
                (header[i] or f"#{i + 1}"): clean_text(value, max_length=RAW_CELL_CHARS)
                for i, value in enumerate(record[:RAW_COLUMNS])
            },
        },
    )


def _binary(source: bytes | bytearray | memoryview | IO[bytes]) -> tuple[IO[bytes], int | None]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return io.BytesIO(data), len(data)
    size = getattr(source, "size", None)
    if size is None and getattr(source, "seekable", lambda: False)():
        position = source.tell()
        size = source.seek(0, io.SEEK_END) - position
        source.seek(position)
    return source, size


def _read_head(stream: IO[bytes]) -> bytes:
    head = stream.read(SNIFF_BYTES) or b""
    if isinstance(head, str):
        raise TypeError("parse_rows() needs bytes or a binary file, not text")
    while b"\n" not in head and b"\r" not in head and len(head) <= MAX_HEADER_BYTES:
        more = stream.read(SNIFF_BYTES)
        if not more:
            break
        head += more
    return head


class _LineTap:
    """Hands lines to ``csv.reader`` and remembers those of the record being read."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.pending: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.pending.append(line)
        return line


def _broken_quotes(first: int, last: int) -> CsvRejected:
    if first == last:
        where = _("line %(line)d") % {"line": first}
    else:
        where = _("lines %(first)d to %(last)d") % {"first": first, "last": last}
    return CsvRejected(
        _(
            "The quotes of the file are broken at %(where)s: a cell opens a quote (\") that is not closed where it "
            "should be, which would glue the rows that follow into one message. Nothing was imported: fix the "
            "quotes around line %(line)d (or export the file again) and import it again."
        )
        % {"where": where, "line": first}
    )


_TOO_LARGE: list[str] = []  # stands for a row with a cell past csv's field limit


def _strict_records(lines: Iterable[str], info: CsvSniff) -> Iterator[list[str]]:
    """Records of the file, refusing it when its quotes break instead of merging rows into one.

    ``csv``'s forgiving mode reads an unclosed quote as a cell that runs on, over the following rows,
    until the next quote or the end of the file; strict mode raises at the break instead. A cell
    that spans several lines, some of which hold as many separators as a whole row, is the same
    accident with a quote that happened to close later. Only an unclosed quote on the very last
    line glues nothing, so that row is kept as written.
    """
    tap = _LineTap(lines)
    reader = csv.reader(tap, delimiter=info.delimiter, strict=True)
    row_separators = max(3, info.columns - 1)
    while True:
        tap.pending.clear()
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first, last = reader.line_num - len(tap.pending) + 1, reader.line_num
            if "field limit" in str(exc):
                if len(tap.pending) == 1 and tap.pending[0].count('"') % 2 == 0:
                    yield _TOO_LARGE  # within one line: the next line starts a row of its own
                    continue
                raise _cell_too_large(first) from exc
            if "unexpected end of data" in str(exc) and len(tap.pending) == 1:
                yield next(csv.reader(tap.pending, delimiter=info.delimiter, strict=False))
                return
            raise _broken_quotes(first, last) from exc
        if len(tap.pending) > 1 and any(part.count(info.delimiter) >= row_separators
                                        for cell in record for part in cell.split("\n")[1:]):
            raise _broken_quotes(reader.line_num - len(tap.pending) + 1, reader.line_num)
        yield record


def parse_rows(
    source: bytes | bytearray | memoryview | IO[bytes],
    *,
    preset: str,
    mapping: dict[str, str] | None = None,
    network: str,
    max_rows: int = DEFAULT_MAX_ROWS,
    tz: str | dt.tzinfo = "Europe/Paris",
    date_order: str | None = None,
    default_kind: ItemKind | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> Iterator[RowResult]:
    """Yield one :data:`RowResult` per non-blank row of an exported CSV file, streaming.

    ``preset`` names a :mod:`~comptoir.connectors.csvimport.presets` preset; ``mapping`` (field →
    column name) overrides its matches. ``network`` goes into each item's author. Dates without
    an offset are read in ``tz``; ``date_order`` ("dmy"/"mdy") settles 03/04/2025, by default the
    preset's, or day first when the header is French. ``default_kind`` is the kind of rows that
    do not say (default: the preset's). ``progress(done_rows, bytes_read)`` is called every
    :data:`PROGRESS_EVERY` rows and at the end. Past ``max_rows`` rows, a last :class:`RowError`
    says the rest was not imported.
    """
    chosen = presets.get_preset(preset)
    if date_order not in (None, "", "dmy", "mdy"):
        raise ValueError(f"date_order must be 'dmy' or 'mdy', not {date_order!r}")
    stream, size = _binary(source)
    if size is not None and size > MAX_FILE_BYTES:
        raise _too_large(size)
    head = _read_head(stream)
    info = sniff(head)
    ctx = _Context(
        sniff=info,
        columns=resolve_columns(info.header, chosen, mapping),
        preset=chosen,
        network=network,
        zone=ZoneInfo(tz) if isinstance(tz, str) else tz,
        order=date_order or ("dmy" if presets.looks_french(info.header) else chosen.date_order),
        default_kind=default_kind or chosen.default_kind,
    )
    counting = _CountingStream(head, stream)
    records = _strict_records(_text_lines(counting, info), info)
    line = done = 0
    for record in records:
        line += 1
        if record is _TOO_LARGE:
            done += 1
            yield RowError(line, _("a field is longer than %(max)d characters") % {"max": MAX_FIELD_CHARS})
            continue
        if line <= info.header_row or not any(cell.strip() for cell in record):
            continue  # the header, what stands above it, blank rows
        done += 1
        if done > max_rows:
            yield RowError(
                line,
                _("the file has more than %(max)d rows: this row and the following ones were not imported")
                % {"max": max_rows},
            )
            break
        yield _row_result(record, line, ctx)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, counting.bytes_read)
    if progress is not None:
        progress(done, counting.bytes_read)
