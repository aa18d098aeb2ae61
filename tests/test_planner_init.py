"""``yingji init``: the county as a workbook to fill in, read back by every command."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import scenarios
from tests.support import run_main, run_process


def test_init_writes_the_bundled_county_and_simulate_reads_it_as_the_same_county(
    tmp_path, monkeypatch
):
    """The workbook county and the TOML county give the same simulated years, to the yuan."""
    book = tmp_path / "my_county.xlsx"
    code, _, err = run_main("init", book, monkeypatch=monkeypatch)
    assert code == 0, err
    assert f"wrote {book}" in " ".join(err.split())
    assert openpyxl.load_workbook(book).sheetnames[0] == "说明 instructions"
    for name, source in (("from_book", book), ("from_toml", None)):
        args = ["simulate", *([source] if source else []), "--reps", "8", "--seed", "3"]
        code, _, err = run_main(*args, "--out", tmp_path / name, monkeypatch=monkeypatch)
        assert code == 0, err
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "from_book" / "events.parquet"),
        pd.read_parquet(tmp_path / "from_toml" / "events.parquet"),
    )


def test_init_from_another_county_writes_that_county(tiny_path, tmp_path, monkeypatch):
    book = tmp_path / "tiny.xlsx"
    code, _, err = run_main("init", book, "--from", tiny_path, monkeypatch=monkeypatch)
    assert code == 0, err
    loaded, expected = scenarios.load(book), scenarios.load(tiny_path)
    assert loaded.model_copy(update={"source_path": ""}) == expected.model_copy(
        update={"source_path": ""}
    )


def test_init_keeps_a_file_already_there_unless_forced(tmp_path):
    book = tmp_path / "county.xlsx"
    book.write_bytes(b"a county typed in by hand")
    done = run_process("init", book)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {book}: already exists: give another file name, or --force to replace it"
    ]
    assert book.read_bytes() == b"a county typed in by hand"
    done = run_process("init", book, "--force")
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(book).sheetnames[0] == "说明 instructions"


@pytest.mark.parametrize("name", ["county.csv", "county.xlsm", "county"])
def test_init_writes_only_an_xlsx_workbook(tmp_path, name):
    done = run_process("init", tmp_path / name)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert ".xlsx" in done.stderr
    assert not (tmp_path / name).exists()


def test_a_bad_cell_typed_into_the_workbook_is_one_line_naming_sheet_row_and_column(tmp_path):
    book = tmp_path / "county.xlsx"
    assert run_process("init", book).returncode == 0
    workbook = openpyxl.load_workbook(book)
    sheet = next(workbook[name] for name in workbook.sheetnames if name.endswith(" items"))
    header = [str(cell.value) for cell in sheet[1]]
    column = next(i for i, title in enumerate(header, 1) if title.endswith("unit_price_yuan"))
    sheet.cell(row=4, column=column, value=-3)
    workbook.save(book)
    done = run_process("simulate", book, "--reps", "2", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {book}: sheet {sheet.title}, row 4, column unit_price_yuan")
    assert "-3" in line
    assert not (tmp_path / "out").exists()
