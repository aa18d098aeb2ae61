"""The PDF report, printed by headless Chromium, read back with PDFium: A4 pages numbered
"k / n", nothing outside the page, no blank page, Chinese text in the embedded font, long
tables carried over pages with their header row; and the report without Chromium."""

from __future__ import annotations

import html
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from planner.document import Report, ReportTable, Section
from planner.printing import ChromiumMissingError, PrintError, find_chromium, print_pdf
from planner.report_files import write_html
from tests.support import run_main

A4_POINTS = (595.28, 841.89)
MM = 72 / 25.4
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = 15 * MM, 16 * MM, 18 * MM  # the template's @page
PAGE_NUMBER = re.compile(r"(\d+) / (\d+)")


def require_chromium() -> None:
    """Fail (not skip) without Chromium: the PDF is what the county hands on."""
    try:
        find_chromium()
    except ChromiumMissingError as error:
        pytest.fail(f"{error}; the PDF tests print with it", pytrace=False)


@dataclass(frozen=True)
class Page:
    """One printed page: its size, text, and each character with its box (in points)."""

    number: int
    width: float
    height: float
    text: str
    chars: list[tuple[str, tuple[float, float, float, float]]]
    ink: float  # share of the rendered page that is not white
    fonts_embedded: bool  # every drawn character's font is inside the PDF


def read_pdf(path: Path) -> list[Page]:
    """Every page of ``path`` as PDFium reads and renders it."""
    document = pdfium.PdfDocument(path)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            chars, advances, embedded = [], [], True
            for char in range(textpage.count_chars()):
                letter = chr(pdfium_c.FPDFText_GetUnicode(textpage, char))
                if letter.isspace() or not letter.isprintable():
                    continue
                chars.append((letter, textpage.get_charbox(char)))
                advances.append((letter, textpage.get_charbox(char, loose=True)))
                font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage, char))
                embedded &= pdfium_c.FPDFFont_GetIsEmbedded(font) == 1
            pixels = np.asarray(page.render(scale=0.5, grayscale=True).to_numpy())
            ink = float((pixels < 240).mean())
            text = "\n".join(_lines(advances))
            pages.append(Page(index + 1, width, height, text, chars, ink, embedded))
    finally:
        document.close()
    return pages


def _lines(chars: list[tuple[str, tuple[float, float, float, float]]]) -> list[str]:
    """The page's text line by line, top down, rebuilt from the characters' advance boxes.

    PDFium's own text order breaks Chromium's continuation pages into a character a
    line, without their spaces; the boxes are what the reader sees: glyphs of a word
    touch, a gap is a space or a cell border.
    """
    rows: list[list[tuple[str, tuple[float, float, float, float]]]] = []
    for char in sorted(chars, key=lambda c: -(c[1][1] + c[1][3])):
        middle = (char[1][1] + char[1][3]) / 2
        if rows and abs((rows[-1][0][1][1] + rows[-1][0][1][3]) / 2 - middle) < 4:
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        line, right = "", None
        for letter, (left, _, end, _) in sorted(row, key=lambda c: c[1][0]):
            if right is not None and left - right > 1:
                line += " "
            line, right = line + letter, end
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Printed:
    """A report written by ``yingji report`` and its PDF read back."""

    html: Path
    pdf: Path
    pages: list[Page]
    title: str


@pytest.fixture(scope="module", params=["zh", "en"])
def printed(request, tiny_path, tmp_path_factory) -> Printed:
    """``yingji report`` on a simulated tiny county, in each language."""
    require_chromium()
    results = tmp_path_factory.mktemp(f"pdf_{request.param}")
    with pytest.MonkeyPatch.context() as patch:
        command = ("simulate", tiny_path, "--reps", "20", "--out", results / "today")
        code, _, err = run_main(*command, monkeypatch=patch)
        assert code == 0, err
        code, out, err = run_main("report", results, "--lang", request.param, monkeypatch=patch)
        assert code == 0, err
    page = results / "report.html"
    assert out.splitlines() == [str(page.with_suffix(s)) for s in (".html", ".pdf", ".xlsx")]
    found = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"))
    assert found
    pdf = page.with_suffix(".pdf")
    return Printed(page, pdf, read_pdf(pdf), html.unescape(found.group(1)))


def test_every_page_is_a4_and_the_report_takes_several(printed):
    assert len(printed.pages) > 1
    for page in printed.pages:
        assert page.width == pytest.approx(A4_POINTS[0], abs=1), page.number
        assert page.height == pytest.approx(A4_POINTS[1], abs=1), page.number


def test_every_page_is_numbered_k_of_n_at_the_bottom_centre(printed):
    pages = len(printed.pages)
    for page in printed.pages:
        assert re.search(rf"(^|\s){page.number} / {pages}(\s|$)", page.text), page.number
        footer = [(letter, box) for letter, box in page.chars if box[3] < MARGIN_BOTTOM]
        assert "".join(letter for letter, _ in footer) == f"{page.number}/{pages}", page.number
        left, right = min(b[0] for _, b in footer), max(b[2] for _, b in footer)
        assert abs((left + right) / 2 - page.width / 2) < 5, (page.number, left, right)


def test_the_title_is_at_the_top_of_the_first_page(printed):
    first = printed.pages[0]
    drawn = "".join(letter for letter, _ in first.chars)
    title = "".join(printed.title.split())
    assert title in drawn, (title, drawn[:200])
    start = drawn.index(title)
    boxes = [box for _, box in first.chars[start : start + len(title)]]
    for left, bottom, right, top in boxes:
        assert left >= MARGIN_SIDE - 1 and right <= first.width - MARGIN_SIDE + 1, boxes
        assert top <= first.height - MARGIN_TOP + 1 and bottom > first.height * 0.8, boxes


def test_no_character_runs_outside_the_printed_area(printed):
    """Every character inside the page's margins (the page number in the bottom margin)."""
    for page in printed.pages:
        for letter, (left, bottom, right, top) in page.chars:
            where = (page.number, letter, left, bottom, right, top)
            assert MARGIN_SIDE - 1 <= left <= right <= page.width - MARGIN_SIDE + 1, where
            assert 0 <= bottom <= top <= page.height - MARGIN_TOP + 1, where


def test_no_page_is_blank(printed):
    for page in printed.pages:
        assert page.ink > 0.01, (page.number, page.ink)
        assert len(page.chars) > 5, page.number


def test_the_text_is_extractable_in_fonts_carried_in_the_pdf(printed):
    text = "".join(page.text for page in printed.pages)
    if printed.html.read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="zh'):
        for title in ("要点", "主要假设", "方法", "现状"):
            assert title in text, title
    else:
        for title in ("Key findings", "Key assumptions", "Method"):
            assert title in text, title
    assert all(page.fonts_embedded for page in printed.pages)


def test_the_pdf_is_titled_like_the_report(printed):
    document = pdfium.PdfDocument(printed.pdf)
    try:
        assert document.get_metadata_dict()["Title"] == printed.title
    finally:
        document.close()


# --- a long table ------------------------------------------------------------------------

HEADER = ("储备点 depot", "物资 item", "数量 quantity")


def long_report(rows: int) -> Report:
    """A report of one table of ``rows`` rows, too long for one page."""
    frame = pd.DataFrame(
        [(f"depot-{i:03d}", f"编织袋 sandbag {i}", f"{i * 10:,}") for i in range(1, rows + 1)],
        columns=list(HEADER),
    )
    section = Section("long", "采购清单", tables=(ReportTable("长表 long table", frame),))
    return Report("zh", "长表测试 long table test", "subtitle", (section,), None)


def test_a_long_table_goes_on_over_pages_with_its_header_row_on_each(tmp_path):
    require_chromium()
    page = write_html(long_report(120), tmp_path / "long.html")
    pages = read_pdf(print_pdf(page, tmp_path / "long.pdf"))
    assert len(pages) >= 3, len(pages)
    with_rows = [p for p in pages if "depot-" in p.text]
    assert len(with_rows) >= 3, [p.text[:100] for p in pages]
    for shown in with_rows:
        for column in HEADER:
            assert column in shown.text, (shown.number, column)
    # every row once, whole: none lost, none cut across two pages
    rows = [re.findall(r"depot-(\d{3})\s+编织袋 sandbag (\d+)", p.text) for p in pages]
    found = [int(depot) for page_rows in rows for depot, _ in page_rows]
    assert found == list(range(1, 121))
    assert all(depot == f"{int(item):03d}" for page_rows in rows for depot, item in page_rows)


def test_print_pdf_leaves_no_part_file_behind(tmp_path):
    require_chromium()
    page = write_html(long_report(3), tmp_path / "short.html")
    assert print_pdf(page, tmp_path / "short.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.html", "short.pdf"]


# --- without Chromium ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tiny_path, tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("simulated")
    with pytest.MonkeyPatch.context() as patch:
        command = ("simulate", tiny_path, "--reps", "4", "--out", results / "today")
        code, _, err = run_main(*command, monkeypatch=patch)
    assert code == 0, err
    return results


def _no_chromium_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv("YINGJI_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def _no_chromium_where_named(monkeypatch, tmp_path):
    monkeypatch.setenv("YINGJI_CHROMIUM", str(tmp_path / "no-such-chromium"))


@pytest.mark.parametrize("missing", [_no_chromium_on_path, _no_chromium_where_named])
def test_without_chromium_the_report_writes_html_and_workbook_and_says_why_in_one_line(
    missing, simulated, tmp_path, monkeypatch
):
    results = Path(shutil.copytree(simulated, tmp_path / "results"))
    stale = results / "report.pdf"
    stale.write_bytes(b"%PDF-1.4 an earlier run's report")
    missing(monkeypatch, tmp_path)
    code, out, err = run_main("report", results, monkeypatch=monkeypatch)
    assert code == 0, err
    assert out.splitlines() == [str(results / "report.html"), str(results / "report.xlsx")]
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("warning: report.pdf not written: Chromium not found"), lines
    assert "apt-get install chromium" in lines[0]
    assert "the earlier report.pdf is removed" in lines[0]
    assert not stale.exists()
    assert (results / "report.html").stat().st_size > 0
    assert (results / "report.xlsx").stat().st_size > 0
    assert not list(results.glob(".*.part"))


def test_missing_chromium_is_one_line_naming_the_install_command(monkeypatch, tmp_path):
    _no_chromium_on_path(monkeypatch, tmp_path)
    with pytest.raises(ChromiumMissingError) as caught:
        print_pdf(tmp_path / "report.html", tmp_path / "report.pdf")
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("install it with: sudo apt-get install chromium"), message
    assert not list(tmp_path.iterdir())


def test_a_chromium_that_fails_is_refused_in_one_line_after_html_and_workbook(
    simulated, tmp_path, monkeypatch
):
    """A browser that exits 1: exit code 2, one line, HTML and workbook written, no PDF."""
    results = Path(shutil.copytree(simulated, tmp_path / "results"))
    (results / "report.pdf").write_bytes(b"%PDF-1.4 an earlier run's report")
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setenv("YINGJI_CHROMIUM", str(broken))
    code, out, err = run_main("report", results, monkeypatch=monkeypatch)
    assert code == 2, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0] == (
        f"error: {broken} could not print report.html (exit code 1): cannot open display"
    )
    assert (results / "report.html").is_file() and (results / "report.xlsx").is_file()
    assert not (results / "report.pdf").exists()
    assert not list(results.glob(".*.part"))
    with pytest.raises(PrintError):
        print_pdf(results / "report.html", tmp_path / "again.pdf")
    assert not (tmp_path / "again.pdf").exists()


def test_a_chromium_that_hangs_is_stopped_with_its_children_in_one_line(tmp_path, monkeypatch):
    """Past the time limit the browser's whole process group is killed; no file is left."""
    from planner import printing

    pids = tmp_path / "pids"
    hanging = tmp_path / "chromium"
    hanging.write_text(f"#!/bin/sh\nsleep 60 &\necho $$ $! > {pids}\nwait\n", encoding="utf-8")
    hanging.chmod(0o755)
    monkeypatch.setenv("YINGJI_CHROMIUM", str(hanging))
    monkeypatch.setattr(printing, "TIMEOUT_S", 1)
    page = tmp_path / "report.html"
    page.write_text("<!DOCTYPE html><title>t</title>", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PrintError) as caught:
        print_pdf(page, tmp_path / "report.pdf")
    assert time.monotonic() - started < 20  # not held until the child's 60 s are up
    assert str(caught.value) == f"{hanging} did not print report.html within 1 s"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "pids", "report.html"]
    for pid in map(int, pids.read_text(encoding="utf-8").split()):
        assert _ended(pid), pid


def _ended(pid: int, wait_s: float = 5.0) -> bool:
    """Whether the process is gone or a zombie (killed, not yet reaped) within ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False
