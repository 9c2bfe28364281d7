import codecs
import datetime as dt
import io
import random
from pathlib import Path

import pytest

from comptoir.connectors.base import FetchedItem, ItemKind
from comptoir.connectors.csvimport import importer
from comptoir.connectors.csvimport.importer import (
    CsvRejected,
    DuplicateRow,
    RowError,
    parse_rows,
    sniff,
    summarize,
)

DATA = Path(__file__).parent / "data"
UTC = dt.UTC


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def items(results) -> list[FetchedItem]:
    return [r for r in results if isinstance(r, FetchedItem)]


def rows(data: bytes, preset="generic", **kwargs):
    return list(parse_rows(data, preset=preset, network=kwargs.pop("network", "csv"), **kwargs))


# --- One sample per preset ---------------------------------------------------------------------


def test_a_facebook_export_gives_comments_and_replies_with_us_dates():
    result = items(rows(read("facebook_comments.csv"), "facebook", network="facebook"))
    assert [i.external_id for i in result] == ["1029384756_20001", "1029384756_20002", "1029384756_20003"]
    first, reply, multiline = result
    assert first.kind == ItemKind.COMMENT and reply.kind == ItemKind.REPLY
    assert first.published_at == dt.datetime(2025, 3, 4, 13, 15, tzinfo=UTC)  # 03/04 2:15 PM Paris
    assert multiline.published_at == dt.datetime(2025, 3, 13, 8, 41, tzinfo=UTC)
    assert first.author.network == "facebook" and first.author.display_name == "Marie Dupont"
    assert reply.parent_external_id == "1029384756_20001"
    assert first.thread_external_id == reply.thread_external_id == "1029384756"
    assert first.engagement == {"likes": 12}
    assert first.url.startswith("https://www.facebook.com/")
    assert multiline.text == "Is there a replay?\nI couldn't make it on Thursday."
    assert first.raw["line"] == 2 and first.raw["row"]["Name"] == "Marie Dupont"


def test_an_instagram_export():
    first, second = items(rows(read("instagram_comments.csv"), "instagram", network="instagram"))
    assert first.text == "Trop beau ce visuel 😍"
    assert first.published_at == dt.datetime(2025, 3, 5, 18, 42, 11, tzinfo=UTC)
    assert second.author.handle == "marc_b" and second.author.display_name == "@marc_b"
    assert second.thread_external_id == "18011223344556677"


def test_a_linkedin_export_without_ids_gets_stable_hashed_ids():
    result = items(rows(read("linkedin_comments.csv"), "linkedin", network="linkedin"))
    again = items(rows(read("linkedin_comments.csv"), "linkedin", network="linkedin"))
    assert [i.external_id for i in result] == [i.external_id for i in again]
    assert all(i.external_id.startswith("sha256:") for i in result)
    assert result[0].published_at == dt.datetime(2025, 3, 5, 23, 0, tzinfo=UTC)  # 6 March, midnight in Paris
    assert result[1].author.display_name == "David Okafor"


def test_an_x_archive_gives_posts_and_replies():
    post, reply, thread = items(rows(read("x_posts.csv"), "x", network="x"))
    assert post.kind == ItemKind.POST and reply.kind == ItemKind.REPLY
    assert post.published_at == dt.datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert reply.parent_external_id == post.external_id == "1897000000000000001"
    assert post.author.handle == "comptoir_fr"
    assert thread.engagement == {"likes": 1204, "shares": 310}


def test_a_youtube_export():
    top, reply, other = items(rows(read("youtube_comments.csv"), "youtube", network="youtube"))
    assert reply.kind == ItemKind.REPLY and reply.parent_external_id == top.external_id
    assert top.engagement == {"likes": 25, "replies": 1}
    assert other.engagement["likes"] == 1200
    assert top.published_at == dt.datetime(2025, 3, 2, 20, 11, 45, tzinfo=UTC)


def test_a_french_excel_file_with_bom_and_semicolons():
    info = sniff(read("generic_fr_excel.csv"))
    assert (info.encoding, info.delimiter, info.header[0]) == ("utf-8-sig", ";", "Date")
    first, second, third = items(rows(read("generic_fr_excel.csv")))
    assert first.text == "Bravo ; vraiment réussi, « comme d'habitude » !"
    # French header: 03/05/2025 is the 3rd of May, in Paris time.
    assert first.published_at == dt.datetime(2025, 5, 3, 12, 22, tzinfo=UTC)
    assert second.text.endswith("Les chiffres datent de 2019.")
    assert third.published_at == dt.datetime(2025, 5, 24, 22, 0, tzinfo=UTC)
    assert first.engagement == {"likes": 5}


def test_a_french_header_reads_dates_day_first_even_with_a_us_preset():
    result = items(rows(read("generic_fr_excel.csv"), "facebook"))
    assert result[0].published_at.month == 5


def test_a_cp1252_file_from_old_excel():
    assert sniff(read("latin1_fr.csv")).encoding == "cp1252"
    first, second = items(rows(read("latin1_fr.csv")))
    assert first.text == "L'été dernier, l'entrée coûtait 5 € ; une œuvre à voir."
    assert first.author.display_name == "Hélène"
    assert first.published_at == dt.datetime(2025, 3, 2, 23, 0, tzinfo=UTC)
    assert second.text == "Très déçu… mais l’équipe a été réactive."
    assert second.published_at == dt.datetime(2025, 4, 1, 7, 30, tzinfo=UTC)


# --- Bad rows ----------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_imported():
    results = rows(read("bad_rows.csv"))
    errors = [str(r) for r in results if isinstance(r, RowError)]
    assert errors == [
        "line 3: the text column (“Comment”) is empty",
        "line 4: date “32/13/2024” is not a date",
        "line 6: the row has 7 columns but the header has 4: check the separator and the quotes",
    ]
    assert [r for r in results if isinstance(r, DuplicateRow)] == [
        DuplicateRow(line=5, external_id="c1", first_line=2)
    ]
    assert [i.external_id for i in items(results)] == ["c1", "c6", "c7", "c8"]
    summary = summarize(iter(results))
    assert (summary.total, summary.imported, summary.duplicates, len(summary.rejected)) == (8, 4, 1, 3)


def test_formulas_and_html_stay_plain_text():
    by_id = {i.external_id: i for i in items(rows(read("bad_rows.csv")))}
    assert by_id["c6"].text == "=cmd|' /C calc'!A0"
    assert by_id["c7"].text == "<script>alert(1)</script>Merci <b>beaucoup</b>"
    assert by_id["c7"].html == ""


def test_control_characters_are_removed_from_texts():
    data = b'ID,Comment\nx1,"Bon\x00jour\x1b[31m \xe2\x80\xa8tout le monde"\n'
    (item,) = items(rows(data))
    assert item.text == "Bonjour[31m \ntout le monde"
    assert "\x00" not in str(item.raw)


def test_an_unterminated_quote_at_the_end_keeps_what_it_holds():
    last = items(rows(read("bad_rows.csv")))[-1]
    assert last.text == "Never closed quote"


def test_on_item_receives_each_item():
    seen = []
    summary = summarize(parse_rows(read("x_posts.csv"), preset="x", network="x"), on_item=seen.append)
    assert summary.imported == len(seen) == 3


# --- Hostile files -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n\n"])
def test_an_empty_file_is_rejected(data):
    with pytest.raises(CsvRejected, match="The file is empty"):
        rows(data)


def test_a_header_only_file_gives_nothing():
    assert rows(b"Date,Author,Comment\r\n") == []
    assert rows(b"Date,Author,Comment") == []


def test_binary_garbage_is_rejected():
    noise = random.Random(7).randbytes(20_000)
    with pytest.raises(CsvRejected, match="binary data"):
        rows(noise)
    with pytest.raises(CsvRejected, match="binary data"):
        rows(noise.replace(b"\x00", b"a"))


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        (b"PK\x03\x04", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel workbook"),
        (b"%PDF-1.7", "PDF"),
    ],
)
def test_workbooks_and_pdfs_are_rejected_with_advice(signature, words):
    with pytest.raises(CsvRejected, match=words):
        rows(signature + b"\x00" * 100)


def test_invalid_utf8_in_one_row_does_not_spoil_the_others():
    data = "ID,Comment\nr1,Déjà là\n".encode() + b"r2,Caf\xe9 cr\xe8me \xff\n" + "r3,Ça marche\n".encode()
    first, second, third = items(rows(data))
    assert first.text == "Déjà là" and third.text == "Ça marche"
    assert second.text == "Café crème ÿ"


def test_ten_thousand_columns_are_rejected_before_any_row():
    calls = []
    results = parse_rows(
        read("wide_10000.csv"), preset="generic", network="csv", progress=lambda *a: calls.append(a)
    )
    with pytest.raises(CsvRejected, match="The file has 10000 columns; Comptoir reads at most 200"):
        next(results)
    assert calls == []


def test_a_first_line_longer_than_a_megabyte_is_rejected():
    with pytest.raises(CsvRejected, match="longer than 1 MB"):
        rows(b"a" * (importer.MAX_HEADER_BYTES + 10))


def test_a_five_megabyte_field_is_refused_and_the_next_rows_still_come():
    data = b"ID,Comment\nr1,avant\nr2," + b"x" * (5 * 1024 * 1024) + b"\nr3,apres\n"
    results = rows(data)
    assert [i.external_id for i in items(results)] == ["r1", "r3"]
    (error,) = [r for r in results if isinstance(r, RowError)]
    assert str(error) == "line 3: a field is longer than 131072 characters"


def test_a_row_with_thousands_of_fields_stops_the_import():
    data = b"ID,Comment\nr1,ok\n" + b"," * (importer.MAX_FIELDS_PER_LINE + 1) + b"\n"
    results = parse_rows(data, preset="generic", network="csv")
    assert next(results).external_id == "r1"
    with pytest.raises(CsvRejected, match="more than 10000 fields"):
        next(results)


def test_a_file_over_the_size_limit_is_rejected_up_front(monkeypatch):
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 1000)
    with pytest.raises(CsvRejected, match="the limit is 1000"):
        rows(b"ID,Comment\n" + b"r,x\n" * 300)


def test_a_stream_of_unknown_size_is_cut_at_the_limit(monkeypatch):
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 200_000)

    class Pipe:  # a stream that cannot tell its size, like a socket or a pipe
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def read(self, size=-1):
            return self._data.read(size)

    data = b"ID,Comment\n" + b"".join(b"r%d,texte\n" % i for i in range(30_000))
    with pytest.raises(CsvRejected, match="larger than"):
        list(parse_rows(Pipe(data), preset="generic", network="csv"))


def test_max_rows_stops_with_a_message():
    data = b"ID,Comment\n" + b"".join(b"r%d,texte %d\n" % (i, i) for i in range(10))
    results = rows(data, max_rows=4)
    assert len(items(results)) == 4
    assert (
        str(results[-1])
        == "line 6: the file has more than 4 rows: this row and the following ones were not imported"
    )


def test_progress_is_reported():
    data = b"ID,Comment\n" + b"".join(b"r%d,texte\n" % i for i in range(1200))
    calls = []
    rows(data, progress=lambda done, read: calls.append((done, read)))
    assert calls == [(500, len(data)), (1000, len(data)), (1200, len(data))]


def test_a_big_file_is_streamed_not_loaded_at_once():
    data = b"ID,Comment\n" + b"".join(
        b"r%d,un commentaire assez long pour remplir\n" % i for i in range(40_000)
    )
    stream = io.BytesIO(data)
    reads = []
    results = parse_rows(stream, preset="generic", network="csv", progress=lambda d, r: reads.append(r))
    for _ in range(600):
        next(results)
    assert reads and reads[0] < len(data) / 4


# --- Mapping -----------------------------------------------------------------------------------


def test_a_mapping_chooses_columns_the_preset_does_not_know():
    data = "Quand;Qui;Ce qu'il a dit\n03/05/2025;Zoé;Coucou\n".encode()
    (item,) = items(rows(data, mapping={"text": "Ce qu'il a dit", "date": "quand", "author": "QUI"}))
    assert item.text == "Coucou" and item.author.display_name == "Zoé"
    assert item.published_at == dt.datetime(
        2025, 5, 2, 22, 0, tzinfo=UTC
    )  # the generic preset reads day first


def test_a_wrong_mapping_names_the_column_and_lists_the_available_ones():
    with pytest.raises(CsvRejected) as caught:
        rows(read("generic_fr_excel.csv"), mapping={"text": "Comentaire"})
    assert caught.value.message == (
        "The column “Comentaire” chosen for “Text” is not in the file. "
        "Columns found: “Date”, “Auteur”, “Commentaire”, “Lien”, “J'aime”."
    )
    assert caught.value.field == "text"


def test_a_file_without_a_text_column_is_rejected():
    with pytest.raises(CsvRejected, match="No column of the file holds the text") as caught:
        rows(b"Foo,Bar\n1,2\n")
    assert "“Foo”, “Bar”" in caught.value.message


# --- Shapes of files ---------------------------------------------------------------------------


def test_a_title_line_above_the_header_is_skipped():
    data = b"Export des commentaires - Page Comptoir\n\nDate,Auteur,Commentaire\n2025-03-01,Ana,Salut\n"
    info = sniff(data)
    assert info.header == ("Date", "Auteur", "Commentaire") and info.header_row == 3
    (item,) = items(rows(data))
    assert item.text == "Salut" and item.raw["line"] == 4


def test_utf16_tab_separated_unicode_text_from_excel():
    data = "Date\tAuteur\tCommentaire\r\n04/03/2025\tÉlise\tMerci ✨\r\n".encode("utf-16")
    info = sniff(data)
    assert (info.encoding, info.delimiter) == ("utf-16", "\t")
    (item,) = items(rows(data))
    assert item.text == "Merci ✨" and item.author.display_name == "Élise"


def test_old_mac_line_endings():
    (item,) = items(rows(b"ID,Comment\rr1,Bonjour\r"))
    assert item.text == "Bonjour"


def test_dates_use_the_given_time_zone():
    (item,) = items(rows(b"ID,Date,Comment\nr1,2025-07-01 12:00,Hi\n", tz="America/New_York"))
    assert item.published_at == dt.datetime(2025, 7, 1, 16, 0, tzinfo=UTC)


def test_ids_rounded_by_a_spreadsheet_are_replaced_by_a_hash():
    (item,) = items(rows(b"ID,Comment\n1.02938E+15,Salut\n"))
    assert item.external_id.startswith("sha256:")


def test_only_web_links_are_kept():
    data = b"ID,Comment,Link\nr1,a,javascript:alert(1)\nr2,b,https://exemple.fr/x\n"
    first, second = items(rows(data))
    assert first.url == "" and second.url == "https://exemple.fr/x"


# --- Broken structure: refused, never merged ----------------------------------------------------


def _export(rows_after: list[str], broken: str = '2,"Commande jamais reçue,alice,2025-03-01') -> bytes:
    lines = ["ID,Comment,Author,Date", "1,Premier message,zoe,2025-03-01", broken, *rows_after]
    return ("\n".join(lines) + "\n").encode()


def test_an_unclosed_quote_is_refused_instead_of_swallowing_the_rows_after_it():
    data = _export([f"{n},Message numéro {n},bob,2025-03-02" for n in range(3, 201)])
    with pytest.raises(CsvRejected, match=r"lines 3 to 201") as exc:
        rows(data)
    assert "Nothing was imported" in exc.value.message


def test_an_unclosed_quote_met_by_another_quote_is_refused_at_that_line():
    data = _export(["3,Deuxième,bob,2025-03-02", '4,"Troisième",carol,2025-03-02', "5,Quatrième,dan,2025-03-02"])
    with pytest.raises(CsvRejected, match=r"lines 3 to 5"):
        rows(data)


def test_rows_glued_by_a_quote_that_closes_later_are_refused():
    # The stray quote of line 3 closes on line 8 right before a separator: csv reads one 4-column "row".
    data = _export([f"{n},Message {n},bob,2025-03-02" for n in range(4, 8)] + ['8,fin",carol,2025-03-03',
                                                                                "9,Dernier,dan,2025-03-03"])
    with pytest.raises(CsvRejected, match=r"lines 3 to 8"):
        rows(data)


def test_a_real_multiline_comment_is_still_one_message():
    data = _export(["3,Merci,bob,2025-03-02"], broken='2,"Bonjour,\nvoici ma question, en deux lignes.",alice,2025-03-01')
    texts = [i.text for i in items(rows(data))]
    assert texts == ["Premier message", "Bonjour,\nvoici ma question, en deux lignes.", "Merci"]


def test_an_unclosed_quote_on_the_last_line_keeps_that_row_only():
    data = _export([], broken='2,"Jamais fermé')
    assert [i.text for i in items(rows(data))] == ["Premier message", "Jamais fermé"]


def test_a_cell_too_large_in_the_first_rows_is_named_not_called_empty():
    data = b'ID,Comment\n1,"' + b"x" * 200_000 + b'\nsuite"\n2,ok\n'
    with pytest.raises(CsvRejected) as exc:
        sniff(data)
    assert "empty" not in exc.value.message and "Line 2" in exc.value.message and "longer than" in exc.value.message


def test_a_quoted_cell_too_large_further_down_rejects_the_file():
    data = b"ID,Comment\n" + b"".join(b"%d,ok\n" % n for n in range(1, 2000)) + b'2000,"' + b"y\n" * 70_000 + b'"\n'
    with pytest.raises(CsvRejected, match="longer than"):
        rows(data)


@pytest.mark.parametrize("header", ["ID,Comment,Comment", "ID,Texte,Auteur,texte ", "Date;Message;Date"])
def test_duplicate_column_names_are_refused(header):
    data = (header + "\n" + ",".join(["1"] * 3) + "\n").encode()
    with pytest.raises(CsvRejected, match="two columns"):
        sniff(data)


def test_empty_column_names_from_trailing_separators_are_fine():
    assert sniff(b"ID;Comment;;;\n1;Bonjour;;;\n").header == ("ID", "Comment", "", "", "")
