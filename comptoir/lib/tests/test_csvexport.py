from comptoir.lib.csvexport import csv_cell, csv_download


def test_cells_a_spreadsheet_would_run_are_neutralised():
    for formula in ("=HYPERLINK(\"http://evil\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell("Bonjour = salut") == "Bonjour = salut"


def test_full_width_signs_and_leading_blanks_are_neutralised_too():
    for formula in ("＝HYPERLINK(\"http://evil\")", "＋1", "－1", "＠SUM(A1)", "﹦1+1", "﹢1", "﹣1",
                    " =1+1", "  +cmd", "\t=1", " \t@SUM(A1)", "\u3000=1", "\u00a0-1", "\nx"):
        assert csv_cell(formula) == "'" + formula, formula
    for text in ("  Bonjour", "\u3000こんにちは", "5 - 3", "Prix : -10 %", "a@b.fr", " "):
        assert csv_cell(text) == text
    assert csv_cell(None) == "" and csv_cell(3) == "3"


def test_a_download_streams_the_header_then_each_row():
    response = csv_download("x.csv", ["a", "b"], iter([("1", "=2"), ("é", None)]))
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert b"".join(response.streaming_content).decode() == "a,b\r\n1,'=2\r\né,\r\n"
