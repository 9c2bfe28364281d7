"""CSV downloads of what a table shows, streamed, safe to open in a spreadsheet."""

import csv
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse

# Spreadsheets run cells starting with these as formulas; tab, CR and LF start a cell some of them trim.
_FORMULA_CHARS = frozenset("=+-@")
_CONTROL_STARTS = ("\t", "\r", "\n")


def _runs_as_formula(text: str) -> bool:
    if text.startswith(_CONTROL_STARTS):
        return True
    # Spreadsheets skip leading blanks and read full-width and small forms (＝＋－＠, ﹦﹢﹣) as the ASCII
    # signs: NFKC folds those into =+-@.
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.normalize("NFKC", first)[:1] in _FORMULA_CHARS


def csv_cell(value: Any) -> str:
    """``value`` as text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _runs_as_formula(text) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",",
                 bom: bool = False) -> StreamingHttpResponse:
    """A streamed CSV attachment: ``header`` first, then each row, every cell made spreadsheet-safe.

    ``rows`` is consumed lazily, so a large queryset iterator is never held in memory. ``bom`` starts
    the file with a UTF-8 byte order mark and ``delimiter=";"`` uses semicolons: what French Excel
    needs to open the file with its accents and columns right.
    """
    writer = csv.writer(_Echo(), delimiter=delimiter)

    def lines():
        if bom:
            yield "\ufeff"
        yield writer.writerow(list(header))
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
