"""Reading roster files: both header languages, Excel cells, and files that are no roster."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from app.roster.parsing import RosterUnreadable, read_roster, template_workbook
from tests.roster.sheets import EN_HEADERS, ZH_HEADERS, csv, id_number, xlsx


def test_chinese_and_english_headers_read_alike():
    row = ["王五", "13700000001", id_number(1), "钢筋一班", "钢筋工", 350, "2026-03-01"]
    chinese = read_roster(xlsx([row], ZH_HEADERS), "r.xlsx")
    english = read_roster(csv([row], EN_HEADERS), "r.csv")
    assert chinese == english
    assert chinese[0].line == 2
    assert chinese[0].fields == {
        "name": "王五", "phone": "13700000001", "id_number": id_number(1), "crew": "钢筋一班",
        "trade": "钢筋工", "day_rate": "350", "registered_on": "2026-03-01",
    }


def test_excel_cells_become_text_and_blank_rows_keep_the_numbering():
    rows = [
        [" 李四 ", 13700000002, id_number(2), "钢筋一班", None, 380.5, datetime(2026, 3, 2)],
        [None] * 7,
        ["赵六", 13700000003, id_number(3), "钢筋一班"],
    ]
    read = read_roster(xlsx(rows), "r.xlsx")
    assert [r.line for r in read] == [2, 4]
    assert read[0].fields["name"] == "李四"
    assert read[0].fields["phone"] == "13700000002"
    assert read[0].fields["day_rate"] == "380.5"
    assert read[0].fields["registered_on"] == "2026-03-02"
    assert read[1].fields["trade"] == ""


def test_only_the_known_columns_are_read_in_any_order():
    content = "备注,班组,身份证号,手机号,姓名\n随便,钢筋一班,X,1,张三\n".encode()
    assert read_roster(content, "r.csv")[0].fields == {
        "crew": "钢筋一班", "id_number": "X", "phone": "1", "name": "张三",
    }


def test_a_gbk_csv_from_excel_in_chinese_is_read():
    content = "姓名,手机号,身份证号,班组\n张三,13700000001,X,钢筋一班\n".encode("gb18030")
    assert read_roster(content, "r.csv")[0].fields["name"] == "张三"


def _zip_that_is_no_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 500


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (EXE, "roster.xlsx", "This file is not a spreadsheet we can read."),
        (EXE, "roster.csv", "This file is not a spreadsheet we can read."),
        (_zip_that_is_no_workbook(), "roster.xlsx", "This file is not a spreadsheet we can read."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "roster.xls", "old Excel file (.xls)"),
        (b"", "roster.xlsx", "The file is empty."),
        (b"\n\n  \n", "roster.csv", "The file is empty."),
        (xlsx([]), "roster.xlsx", "the header row but no workers"),
        (b"who,what\nx,y\n", "roster.csv",
         "Missing: 姓名/name, 手机号/phone, 身份证号/id_number, 班组/crew."),
    ],
)
def test_files_that_are_no_roster_say_why(content, filename, message):
    with pytest.raises(RosterUnreadable) as refused:
        read_roster(content, filename)
    assert message in refused.value.message % refused.value.params


def test_too_many_rows_are_refused():
    content = csv([["a", "b", "c", "d", "", "", ""]] * 20_001)
    with pytest.raises(RosterUnreadable, match="At most"):
        read_roster(content, "r.csv")


@pytest.mark.parametrize(("language", "headers"), [("zh_CN", ZH_HEADERS), ("en", EN_HEADERS)])
def test_the_template_reads_back_as_a_roster(language, headers):
    content = template_workbook(language)
    sheet = load_workbook(io.BytesIO(content)).active
    assert list(next(sheet.iter_rows(values_only=True))) == headers
    [example] = read_roster(content, "template.xlsx")
    assert example.fields["name"] == "张三" and example.fields["registered_on"] == "2026-03-01"
