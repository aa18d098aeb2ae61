"""``yingji report``: the HTML report seen in a real headless Chromium, escaping of names from
the scenario, the Excel workbook read back against the plan, the PDF, both languages, and
one clear line for a results folder with missing or damaged files."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import scenarios
from planner.printing import ChromiumMissingError, find_chromium
from scenarios.plan import (
    DEPOT_ID_TITLE,
    ITEM_ID_TITLE,
    OFFICE_SHEET,
    PURCHASE_SHEET,
    STAFFING_SHEET,
    SUBTOTAL_LABEL,
)
from tests.builders import ITEMS, TOML_BASE, TOWNSHIPS, write_scenario
from tests.support import SCRIPT, forget_file_hashes, run_main, run_process
from tests.test_planner_pdf import read_pdf, require_chromium

SCRIPT_NAME = "<script>alert(1)</script>"
MARKUP_NAME = "A & B <i>"
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
REPORT_FILES = ("report.html", "report.pdf", "report.xlsx")
PROCUREMENT = PURCHASE_SHEET  # the plan's own sheets: the report's workbook reads back as it
BY_CATEGORY = "分类合计 by category"
SHEETS = {
    OFFICE_SHEET,
    PROCUREMENT,
    STAFFING_SHEET,
    BY_CATEGORY,
    "评估 evaluation",
    "现状 today",
    "扫描 sweep",
    "比较 comparison",
}
TOTAL = "合计 total"
COST = "金额 cost (yuan)"
SWEEP = """
[sweep]
scenario = "scenario.toml"
reps = 6
sampled_years = 5
time_limit_s = 60

[grid]
budget_yuan = [0, 60000]
rain_intensity = { values = [1.0, 1.5], labels = ["normal", "wet"] }
"""

# Appended before </body>: once the page and its fonts have loaded, write what the browser
# made of it into <pre id="yingji-check"> as JSON, which --dump-dom then prints.
PROBE = """<script id="yingji-probe">
window.addEventListener("load", function () { document.fonts.ready.then(report); });
function report() {
  function shown(element) {
    var box = element.getBoundingClientRect();
    var style = getComputedStyle(element);
    return {width: box.width, height: box.height, visibility: style.visibility,
            display: style.display};
  }
  var images = Array.from(document.images).map(function (img) {
    return Object.assign(shown(img), {complete: img.complete, naturalWidth: img.naturalWidth,
                                      naturalHeight: img.naturalHeight, alt: img.alt});
  });
  var tables = Array.from(document.querySelectorAll("table")).map(function (table) {
    var body = table.tBodies.length ? table.tBodies[0].rows.length : 0;
    return Object.assign(shown(table), {rows: body,
                                        caption: table.caption ? table.caption.innerText : ""});
  });
  var check = {
    lang: document.documentElement.lang,
    images: images,
    tables: tables,
    headings: Array.from(document.querySelectorAll("h1, h2")).map(function (h) {
      return h.innerText; }),
    fontCheck: document.fonts.check('16px "yingji-report"'),
    fontStatus: document.fonts.status,
    fontFaces: Array.from(document.fonts).map(function (face) {
      return {family: face.family, status: face.status}; }),
    scripts: Array.from(document.scripts).filter(function (s) {
      return s.id !== "yingji-probe"; }).map(function (s) { return s.outerHTML; }),
    italics: document.querySelectorAll("i").length,
    bodyText: document.body.innerText
  };
  var pre = document.createElement("pre");
  pre.id = "yingji-check";
  pre.textContent = JSON.stringify(check);
  document.body.appendChild(pre);
}
</script>
"""


@dataclass(frozen=True)
class Built:
    """The tiny county's results of every command, and the two reports made from them."""

    scenario: Path
    results: Path
    zh_stdout: str
    en_stdout: str

    @property
    def zh(self) -> Path:
        return self.results / "report.html"

    @property
    def en(self) -> Path:
        return self.results / "en" / "report.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """simulate, optimize, a 2x2 sweep and compare on the tiny county, then both reports."""
    root = tmp_path_factory.mktemp("report")
    towns = copy.deepcopy(TOWNSHIPS)
    towns[1]["name_zh"] = SCRIPT_NAME
    towns[2]["name_en"] = MARKUP_NAME
    # English item names that Excel would take for formulas (=Sandbag, ...): text in the workbook.
    items = [dict(item, name_en=f"={item['name_en']}") for item in ITEMS]
    scenario = write_scenario(root / "county", tables={"townships": towns, "items": items})
    sweep = root / "county" / "sweep.toml"
    sweep.write_text(SWEEP, encoding="utf-8")
    results = root / "R"
    commands = [
        ("simulate", scenario, "--reps", "20", "--out", results / "today"),
        # seed 1: the six sampled years need floods for the plan to buy anything
        ("optimize", scenario, "--scenarios", "6", "--reps", "10", "--greedy-steps", "0"),
        # with what the list rests on: the tornado chart and its table
        ("sweep", sweep, "--out", results / "sweep"),
        ("compare", scenario, "status_quo", results / "optimize" / "plan.csv"),
    ]
    commands[1] += ("--seed", "1", "--sensitivity", "--out", results / "optimize")
    commands[3] += ("--reps", "10", "--out", results / "compare")
    with pytest.MonkeyPatch.context() as patch:
        for command in commands:
            code, _, err = run_main(*command, monkeypatch=patch)
            assert code == 0, (command[0], err)
        code, zh_stdout, err = run_main("report", results, monkeypatch=patch)
        assert code == 0, err
        en_out = results / "en" / "report.html"
        code, en_stdout, err = run_main(
            "report", results, "--lang", "en", "--out", en_out, monkeypatch=patch
        )
        assert code == 0, err
    return Built(scenario, results, zh_stdout, en_stdout)


@pytest.fixture(scope="module")
def plan_and_scenario(built):
    scenario = scenarios.load(built.scenario)
    plan = scenarios.load_plan(built.results / "optimize" / "plan.csv", scenario)
    assert len(plan.purchases) >= 2, "the plan should buy something for these checks to bite"
    return plan, scenario


# --- headless Chromium ---------------------------------------------------------------------


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium, the one the report prints with; fail (not skip) without it."""
    try:
        browser = find_chromium()
    except ChromiumMissingError as error:
        pytest.fail(f"{error}; the report tests open the HTML report in it", pytrace=False)
    command = [str(browser), "--headless", "--no-sandbox", "--disable-gpu"]
    command += ["--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False
    )


@dataclass(frozen=True)
class Seen:
    """What Chromium made of a page: the probe's findings and the serialised DOM."""

    check: dict
    dom: str


def open_in_chromium(page: Path, folder: Path) -> Seen:
    """Load a copy of ``page`` with the probe appended and return what the probe saw."""
    folder.mkdir(parents=True, exist_ok=True)
    text = page.read_text(encoding="utf-8")
    assert text.count("</body>") == 1
    probed = folder / "probed.html"
    probed.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = chromium(
        "--virtual-time-budget=10000", "--dump-dom", probed.as_uri(), profile=folder / "profile"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r'<pre id="yingji-check">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"the probe did not run in Chromium: {done.stderr[-3000:]}"
    return Seen(json.loads(html.unescape(found.group(1))), done.stdout)


@pytest.fixture(scope="module")
def zh_seen(built, tmp_path_factory) -> Seen:
    return open_in_chromium(built.zh, tmp_path_factory.mktemp("chromium_zh"))


@pytest.fixture(scope="module")
def en_seen(built, tmp_path_factory) -> Seen:
    return open_in_chromium(built.en, tmp_path_factory.mktemp("chromium_en"))


def test_chromium_loads_every_embedded_chart_at_a_visible_size(zh_seen):
    images = zh_seen.check["images"]
    assert len(images) >= 4, images
    for image in images:
        assert image["complete"], image
        assert image["naturalWidth"] > 0 and image["naturalHeight"] > 0, image
        assert image["width"] > 100 and image["height"] > 50, image
        assert image["visibility"] == "visible" and image["display"] != "none", image
        assert image["alt"], image


def test_chromium_shows_every_table_with_rows(zh_seen, plan_and_scenario):
    tables = zh_seen.check["tables"]
    assert len(tables) >= 5, tables
    for table in tables:
        assert table["height"] > 0 and table["width"] > 0, table
        assert table["visibility"] == "visible" and table["display"] != "none", table
    assert sum(table["rows"] > 0 for table in tables) >= 5, tables
    procurement = [t for t in tables if t["caption"].startswith("采购清单")]
    assert len(procurement) == 1, tables
    plan, _ = plan_and_scenario
    assert procurement[0]["rows"] == min(25, len(plan.purchases)) + 1  # and the total


def test_chromium_shows_the_section_headings_in_the_embedded_font(zh_seen):
    headings = zh_seen.check["headings"]
    assert headings[0].startswith("小县")
    for title in ("要点", "主要假设", "方法", "采购清单"):
        assert title in headings, headings
    for start in ("现状", "采购方案", "资金前沿", "方案比较"):
        assert any(h.startswith(start) for h in headings), (start, headings)
    faces = [f for f in zh_seen.check["fontFaces"] if f["family"].strip('"') == "yingji-report"]
    assert faces and all(f["status"] == "loaded" for f in faces), zh_seen.check["fontFaces"]
    assert zh_seen.check["fontCheck"] is True
    assert zh_seen.check["fontStatus"] == "loaded"


def test_chromium_screenshot_of_the_report_is_not_blank(built, tmp_path):
    shot = tmp_path / "report.png"
    done = chromium(
        "--hide-scrollbars",
        "--window-size=1200,2000",
        "--virtual-time-budget=10000",
        f"--screenshot={shot}",
        built.zh.as_uri(),
        profile=tmp_path / "profile",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 2000)
    assert len(data) > 20_000, len(data)


# --- escaping --------------------------------------------------------------------------------


def test_township_named_like_a_script_is_escaped_in_the_html(built):
    text = built.zh.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text
    assert "<script" not in text.lower()  # the report itself needs no script at all


def test_township_named_like_a_script_shows_as_text_in_chromium(zh_seen):
    assert zh_seen.check["scripts"] == []
    assert SCRIPT_NAME in zh_seen.check["bodyText"]
    assert not re.search(r"<script[^>]*>\s*alert\(1\)", zh_seen.dom)


def test_english_name_with_markup_creates_no_element(built, en_seen):
    text = built.en.read_text(encoding="utf-8")
    assert MARKUP_NAME not in text
    assert not re.search(r"<i[\s>]", text)
    assert "<script" not in text.lower()
    assert en_seen.check["italics"] == 0
    assert en_seen.check["scripts"] == []


# --- the Excel workbook ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(built) -> dict[str, pd.DataFrame]:
    return pd.read_excel(built.results / "report.xlsx", sheet_name=None)


def _purchase_lines(workbook) -> tuple[list[dict], dict]:
    """The purchases sheet's lines, and its total row (subtotals per category left out)."""
    rows = workbook[PROCUREMENT].to_dict("records")
    (total,) = [row for row in rows if row[ITEM_ID_TITLE] == TOTAL]
    return [row for row in rows if row[ITEM_ID_TITLE] not in (TOTAL, SUBTOTAL_LABEL)], total


def test_workbook_has_the_procurement_list_and_every_summary_table(workbook, built):
    assert set(workbook) == SHEETS
    assert list(workbook)[:3] == [OFFICE_SHEET, PROCUREMENT, STAFFING_SHEET]
    assert all(len(frame) for name, frame in workbook.items() if name != STAFFING_SHEET)
    today = pd.read_csv(built.results / "today" / "summary.csv")
    assert len(workbook["现状 today"]) == len(today)
    comparison = pd.read_csv(built.results / "compare" / "comparison.csv")
    assert len(workbook["比较 comparison"]) == len(comparison)
    evaluation = pd.read_csv(built.results / "optimize" / "evaluation.csv")
    assert list(workbook["评估 evaluation"]["方案 plan"]) == list(evaluation["plan"])
    sweep = workbook["扫描 sweep"]
    assert len(sweep) == 4 * 3  # four cells, three plans each
    assert set(sweep["指标 metric"]) == {"weighted_unmet"} and set(sweep["分组 group"]) == {"all"}


def test_every_workbook_sheet_has_chinese_headers_with_the_keys_kept(workbook):
    """A purchasing office reads Chinese; a program still finds each column by its key."""
    for name, frame in workbook.items():
        for title in map(str, frame.columns):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in title), (name, title)
    assert "洪涝加权缺口 hazard=flood" in workbook["评估 evaluation"].columns
    assert "降雨类灾害频率倍数 rain_intensity" in workbook["扫描 sweep"].columns


def test_workbook_procurement_total_is_the_plan_cost(workbook, plan_and_scenario):
    plan, scenario = plan_and_scenario
    lines, total = _purchase_lines(workbook)
    assert len(lines) == len(plan.purchases)
    line_sum = sum(line[COST] for line in lines)
    assert total[COST] == pytest.approx(line_sum)
    assert total[COST] == pytest.approx(plan.purchase_cost_yuan(scenario))
    assert total[COST] > 0
    for line in lines:
        assert line[COST] == pytest.approx(line["数量 quantity"] * line["单价 unit price (yuan)"])


def test_workbook_procurement_quantities_match_the_plan_line_by_line(workbook, plan_and_scenario):
    plan, scenario = plan_and_scenario
    lines = pd.DataFrame(_purchase_lines(workbook)[0])
    quantities = {
        (row[ITEM_ID_TITLE], row[DEPOT_ID_TITLE]): row["数量 quantity"]
        for row in lines.to_dict("records")
    }
    assert quantities == {(p.item_id, p.depot_id): p.quantity for p in plan.purchases}
    prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
    for row in lines.to_dict("records"):
        assert row["单价 unit price (yuan)"] == pytest.approx(prices[row[ITEM_ID_TITLE]])
    names = set(lines["储备点 depot"])
    assert any(SCRIPT_NAME in name for name in names)  # township B's depot, its name literal


def test_workbook_category_totals_add_up_to_the_plan_cost(workbook, plan_and_scenario):
    plan, scenario = plan_and_scenario
    sheet = workbook[BY_CATEGORY]
    *rows, total = sheet.to_dict("records")
    assert total["类别 category"] == TOTAL
    assert sum(row[COST] for row in rows) == pytest.approx(total[COST])
    assert total[COST] == pytest.approx(plan.purchase_cost_yuan(scenario))
    assert total[COST] == pytest.approx(_purchase_lines(workbook)[1][COST])
    # one row per category and tier bought: every category the plan buys is there
    items = {item.item_id: item.category for item in scenario.items}
    bought = {items[p.item_id] for p in plan.purchases}
    assert len({row["类别 category"] for row in rows}) == len(bought)


# --- the PDF -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["zh", "en"])
def test_pdf_has_several_pages_with_embedded_fonts(built, which):
    """The whole county's report printed by Chromium (its pages checked in test_planner_pdf)."""
    require_chromium()
    path = getattr(built, which).with_suffix(".pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = read_pdf(path)
    assert len(pages) > 3, len(pages)
    assert len(data) > 50_000, len(data)
    assert all(page.fonts_embedded for page in pages)
    assert all(page.ink > 0.01 for page in pages)
    assert [page.text.count(f"{page.number} / {len(pages)}") for page in pages] == [1] * len(pages)


# --- languages -----------------------------------------------------------------------------


def tag_texts(text: str, tags: str) -> list[str]:
    """The text inside every ``tags`` element (a regex alternation), tags stripped."""
    found = re.findall(rf"<({tags})\b[^>]*>(.*?)</\1>", text, re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", inner)).strip() for _, inner in found]


def test_chinese_report_is_marked_chinese_with_chinese_headings(built):
    text = built.zh.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text
    headings = tag_texts(text, "h2")
    for title in ("要点", "主要假设", "方法", "采购清单"):
        assert title in headings, headings
    assert all(CJK.search(h) for h in headings), headings
    # the tiny county states no kit effects (no capabilities.csv): no kit row
    assert "装备节省的救援人力" not in text


def test_english_report_is_marked_english_with_english_headings(built, en_seen):
    text = built.en.read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    assert en_seen.check["lang"] == "en"
    headings = tag_texts(text, "h2")
    for title in ("Key findings", "Key assumptions", "Method", "Procurement list"):
        assert title in headings, headings
    shown = tag_texts(text, "h1|h2|caption|th|figcaption|title")
    shown += tag_texts(text, "p")  # the method paragraph and the subtitle
    assert len(shown) > 20
    assert [t for t in shown if CJK.search(t)] == []
    assert en_seen.check["headings"][0].startswith("Tiny county")


# --- bad input: one line, exit 2, nothing written -----------------------------------------


def results_copy(built: Built, folder: Path) -> Path:
    """The results without the reports, to damage."""
    return Path(
        shutil.copytree(
            built.results, folder, ignore=shutil.ignore_patterns("report.*", "en", ".*")
        )
    )


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damage_events(target: Path, tmp: Path):
    truncate(target / "today" / "events.parquet")
    forget_file_hashes(target / "today")
    return target / "today" / "events.parquet", ("damaged",)


def damage_evaluation(target: Path, tmp: Path):
    path = target / "optimize" / "evaluation.csv"
    pd.read_csv(path).drop(columns=["weighted_unmet_mean"]).to_csv(path, index=False)
    forget_file_hashes(target / "optimize")
    return path, ("column 'weighted_unmet_mean'", "missing")


def delete_summary(target: Path, tmp: Path):
    (target / "today" / "summary.csv").unlink()
    forget_file_hashes(target / "today")
    return target / "today" / "summary.csv", ("file missing",)


def break_run_record(target: Path, tmp: Path):
    path = target / "today" / "run.json"
    path.write_text('{"command": "simulate", "scenario": ', encoding="utf-8")
    return path, ("not JSON",)


def lose_scenario(target: Path, tmp: Path):
    (target / "compare" / "scenario.json").unlink()
    forget_file_hashes(target / "compare")
    return target / "compare" / "scenario.json", ("file missing",)


def edit_recorded_scenario(target: Path, tmp: Path):
    path = target / "optimize" / "scenario.json"
    recorded = json.loads(path.read_text(encoding="utf-8"))
    recorded["procurement_budget_yuan"] = -5
    path.write_text(json.dumps(recorded), encoding="utf-8")
    forget_file_hashes(target / "optimize")
    return path, ("procurement_budget_yuan", "-5")


def corrupt_sweep_cell(target: Path, tmp: Path):
    path = target / "sweep" / "cells" / "cell-0001.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file PAR1")
    return path, ("damaged",)


def mix_counties(target: Path, tmp: Path):
    toml = copy.deepcopy(TOML_BASE)
    toml["scenario"]["scenario_id"] = "other"
    other = scenarios.load(write_scenario(tmp / "other_county", toml=toml))
    path = target / "today" / "scenario.json"
    path.write_text(other.model_dump_json(), encoding="utf-8")
    forget_file_hashes(target / "today")
    return None, ("scenario: ", "two counties", "other", "tiny")


def replace_plan_as_a_killed_run_would(target: Path, tmp: Path):
    """A second optimize into the folder, killed after it replaced plan.csv and nothing else."""
    path = target / "optimize" / "plan.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # another, shorter plan
    return path, ("changed since the run recorded in run.json wrote it",)


def delete_a_file_of_the_run(target: Path, tmp: Path):
    (target / "optimize" / "marginal_values.csv").unlink()
    path = target / "optimize" / "marginal_values.csv"
    return path, ("missing since the run recorded in run.json wrote it",)


def leave_a_run_unfinished(target: Path, tmp: Path):
    path = target / "compare" / "run.json"
    path.write_text('{"command": "compare", "finished": false}', encoding="utf-8")
    return path, ("yingji compare that did not finish",)


def no_folder(target: Path, tmp: Path):
    return target, ("results folder not found",)


def empty_folder(target: Path, tmp: Path):
    target.mkdir()
    return target, ("no results of yingji simulate, optimize, sweep, compare or plan-years found",)


DAMAGES = {
    "folder_missing": (no_folder, False),
    "folder_empty": (empty_folder, False),
    "events_parquet_truncated": (damage_events, True),
    "evaluation_csv_without_a_column": (damage_evaluation, True),
    "summary_csv_deleted": (delete_summary, True),
    "run_json_not_json": (break_run_record, True),
    "scenario_json_missing": (lose_scenario, True),
    "scenario_json_edited_out_of_range": (edit_recorded_scenario, True),
    "sweep_cell_corrupt": (corrupt_sweep_cell, True),
    "plan_csv_replaced_by_a_killed_run": (replace_plan_as_a_killed_run_would, True),
    "a_file_of_the_run_deleted": (delete_a_file_of_the_run, True),
    "a_run_that_did_not_finish": (leave_a_run_unfinished, True),
    "two_counties": (mix_counties, True),
}


def expect_one_line_refusal(
    code: int, out: str, err: str, target: Path, file: Path | None, fragments
) -> None:
    assert code == 2, (code, out, err)
    assert out == "", out
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    if file is None:  # two counties: either record may be the one named
        named = re.match(r"error: (\S+): ", line)
        assert named, line
        file = Path(named.group(1))
        assert file.name in ("run.json", "manifest.json") and target in file.parents, line
    assert line.startswith(f"error: {file}: "), line
    rest = line.removeprefix(f"error: {file}: ")
    for fragment in fragments:
        assert fragment in rest, (fragment, line)
    for name in REPORT_FILES:
        assert not (target / name).exists(), name
    if target.is_dir():
        assert not list(target.rglob("report.*")), list(target.rglob("report.*"))
        assert not list(target.rglob("*.part")), list(target.rglob("*.part"))


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_bad_results_folder_is_refused_in_one_line_and_nothing_is_written(
    damage, built, tmp_path, monkeypatch
):
    make, from_results = DAMAGES[damage]
    target = tmp_path / "results"
    if from_results:
        results_copy(built, target)
    file, fragments = make(target, tmp_path)
    code, out, err = run_main("report", target, monkeypatch=monkeypatch)
    expect_one_line_refusal(code, out, err, target, file, fragments)
    if damage == "folder_missing":
        assert not target.exists()


def test_console_script_refuses_a_damaged_events_file_in_one_line(built, tmp_path):
    target = results_copy(built, tmp_path / "results")
    file, fragments = damage_events(target, tmp_path)
    done = run_process("report", target, "--lang", "en", script=True)
    expect_one_line_refusal(done.returncode, done.stdout, done.stderr, target, file, fragments)
    assert "events.parquet" in done.stderr


def test_a_moved_folder_reports_the_county_as_it_was_run(built, tmp_path, monkeypatch):
    """Results carry their scenario: moved away from a since-edited county, they report alike.

    The county's prices are doubled after the runs and the folder is moved; the
    report's procurement total is still the plan's cost at the prices it was made with.
    """
    target = results_copy(built, tmp_path / "moved" / "results")
    edited = tmp_path / "county_now"
    shutil.copytree(built.scenario.parent, edited)
    items = pd.read_csv(edited / "items.csv")
    items.assign(unit_price_yuan=items["unit_price_yuan"] * 2).to_csv(
        edited / "items.csv", index=False
    )
    for record in target.rglob("run.json"):  # the county named is now the edited one
        text = record.read_text(encoding="utf-8")
        record.write_text(text.replace(str(built.scenario.parent), str(edited)), encoding="utf-8")
    code, _, err = run_main("report", target, monkeypatch=monkeypatch)
    assert code == 0, err
    scenario = scenarios.load(built.scenario)
    plan = scenarios.load_plan(built.results / "optimize" / "plan.csv", scenario)
    costs = pd.read_excel(target / "report.xlsx", sheet_name="分类合计 by category")
    assert costs["金额 cost (yuan)"].iloc[-1] == pytest.approx(plan.purchase_cost_yuan(scenario))


# --- what the command prints ---------------------------------------------------------------


def test_report_prints_the_three_written_paths(built):
    for stdout, html_path in ((built.zh_stdout, built.zh), (built.en_stdout, built.en)):
        expected = [str(html_path.with_suffix(s)) for s in (".html", ".pdf", ".xlsx")]
        assert stdout.splitlines() == expected
        for path in expected:
            assert Path(path).stat().st_size > 0


def test_report_prints_long_paths_whole_when_piped(built, tmp_path):
    """``make demo | tee log``: stdout is a pipe and COLUMNS is not set."""
    source = tmp_path / "results"
    shutil.copytree(built.results / "today", source / "today")
    out = tmp_path / ("a_long_folder_name_for_the_county_report_" * 3) / "report.html"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [str(SCRIPT), "report", str(source), "--lang", "en", "--out", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(str(out)) > 80
    expected = [str(out.with_suffix(s)) for s in (".html", ".pdf", ".xlsx")]
    assert done.stdout.splitlines() == expected


def test_report_says_what_the_solver_proved_and_how_far_the_engines_agree(built):
    """The findings quote the run's own check: model and simulation on the judging years."""
    solve = json.loads((built.results / "optimize" / "solve.json").read_text(encoding="utf-8"))
    check = solve["model_check"]
    text = html.unescape(built.en.read_text(encoding="utf-8"))
    assert "How sure the plan is: the solver" in text
    assert "for a model of 6 sampled years" in text
    assert f"on the {check['years']} simulated years that judged it" in text
    assert f"simulation / model {check['ratio']:.3f}" in text
    assert "Plans solved on the two halves of the sample" in text
    zh = html.unescape(built.zh.read_text(encoding="utf-8"))
    assert "方案可信度" in zh and "6 个抽样年份的模型内" in zh


def test_workbook_holds_names_like_formulas_as_text(built):
    """Item names beginning with "=" are string cells in report.xlsx, never formulas."""
    workbook = openpyxl.load_workbook(built.results / "report.xlsx")
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    live = [cell for cell in cells if cell.data_type == "f"]
    # the only live formulas: the office list's amounts and its total, ours
    assert {cell.parent.title for cell in live} == {OFFICE_SHEET}
    assert all(re.fullmatch(r"=D\d+\*E\d+|=SUM\(F2:F\d+\)", cell.value) for cell in live)
    names = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert names & {f"={item['name_en']}" for item in ITEMS}  # the bought items, as written


def test_report_of_a_sweep_with_missing_cells_says_so(built, tmp_path, monkeypatch):
    """Two of the four cells deleted: the findings say 4 cells, 2 finished, which are missing."""
    target = results_copy(built, tmp_path / "results")
    for cell in (1, 3):
        (target / "sweep" / "cells" / f"cell-{cell:04d}.parquet").unlink()
        (target / "sweep" / "years" / f"cell-{cell:04d}.parquet").unlink(missing_ok=True)
    out = tmp_path / "report.html"
    code, _, err = run_main("report", target, "--lang", "en", "--out", out, monkeypatch=monkeypatch)
    assert code == 0, err
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "the sweep has 4 cells and only 2 are finished (1, 3 missing)" in text
    full = html.unescape(built.en.read_text(encoding="utf-8"))
    assert "cells and only" not in full  # a whole sweep gets no such note


def test_report_shows_what_the_list_rests_on_in_both_languages(built, zh_seen, en_seen):
    """The tornado chart, its table and the finding, from the run's sensitivity.csv."""
    alts = {image["alt"] for image in zh_seen.check["images"]}
    assert "清单取决于哪些判断" in alts
    assert "what the list rests on" in {image["alt"] for image in en_seen.check["images"]}
    captions = [table["caption"] for table in zh_seen.check["tables"]]
    rows = [t["rows"] for t in zh_seen.check["tables"] if t["caption"].startswith("各项估计减半")]
    assert rows == [2 * 6], captions  # six judgements of the tiny county, halved and doubled
    assert "清单最取决于" in zh_seen.check["bodyText"]
    assert "The list rests most on" in en_seen.check["bodyText"]


def test_a_plan_over_the_budget_is_judged_with_a_warning_on_screen_and_in_the_report(
    tiny_path, tmp_path, monkeypatch
):
    """Ten boats (300,000 yuan) against the tiny county's 100,000: judged, never silently."""
    plan = tmp_path / "dear.csv"
    plan.write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,boat,D_COUNTY,,10\n", encoding="utf-8"
    )
    results = tmp_path / "results"
    code, _, err = run_main(
        "simulate", tiny_path, "--plan", plan, "--reps", "4", "--out", results / "today",
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0
    assert "warning: plan dear costs 300,000 yuan, more than the scenario's procurement" in err
    code, _, err = run_main(
        "compare", tiny_path, "status_quo", plan, "--reps", "4", "--out", results / "compare",
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0 and err.count("warning: plan dear costs 300,000 yuan") == 1
    record = json.loads((results / "compare" / "run.json").read_text(encoding="utf-8"))
    assert record["over_budget"] == [
        {"plan_id": "dear", "cost_yuan": 300_000.0, "budget_yuan": 100_000.0}
    ]
    for lang, words in (("zh", "超过本县采购预算 100,000 元（3.0 倍）"), ("en", "(3.0 times)")):
        code, _, _ = run_main(
            "report", results, "--lang", lang, "--out", tmp_path / f"{lang}.html",
            monkeypatch=monkeypatch,
        )  # fmt: skip
        assert code == 0
        page = html.unescape((tmp_path / f"{lang}.html").read_text(encoding="utf-8"))
        assert page.count(words) == 2  # from the simulate run and from the compare run


@pytest.mark.parametrize(
    ("verdict", "mean", "low", "high", "zh", "en"),
    [
        ("better", -261_240, -369_645, -152_836,
         "方案「plan」 每年比 现状（不采购） 少 261,240 的加权未满足需求"
         "（95%置信区间 少 152,836–369,645）",
         "Plan leaves 261,240 a year less weighted unmet demand than"),
        ("worse", 5_000, 1_000, 9_000, "多 5,000 的加权未满足需求（95%置信区间 多 1,000–9,000）",
         "(95% CI 1,000–9,000 more)"),
        ("none", -2_000, -8_000, 4_000,
         "每年相差 -2,000（95%置信区间 -8,000 至 +4,000），差别不显著",
         "(95% CI -8,000 to +4,000): the difference is not significant"),
    ],
)  # fmt: skip
def test_a_comparison_says_what_is_less_than_what_without_a_double_minus(
    verdict, mean, low, high, zh, en
):
    from planner import report_content

    row = {"breakdown": "all", "plan": "plan", "reference": "status_quo", "verdict": verdict}
    row |= {"difference_mean": mean, "difference_ci_low": low, "difference_ci_high": high}
    frame = pd.DataFrame([row])
    (chinese,) = report_content._compare_findings(frame, "zh")
    (english,) = report_content._compare_findings(frame, "en")
    assert zh in chinese and en in english
    assert "–-" not in chinese + english and "--" not in chinese + english


def test_the_assumptions_show_the_budget_the_plan_was_made_for(tiny_scenario):
    """After ``optimize --budget 90000`` on a 100,000 county the table says both."""
    from planner import report_content

    table = report_content._assumptions(tiny_scenario, "zh", 90_000.0).tables[0].frame
    cell = table.set_index("项目").loc["年度采购预算（元）", "数值"]
    assert cell == "90,000（本次优化所用；情景文件为 100,000）"
    english = report_content._assumptions(tiny_scenario, "en", 100_000.0).tables[0].frame
    assert english.set_index("").loc["yearly procurement budget (yuan)", "value"] == "100,000"


def test_the_cost_and_procurement_tables_end_with_their_totals(built, plan_and_scenario):
    """The report's plan-cost table and its procurement list each end on the whole total."""
    plan, scenario = plan_and_scenario
    total = f"{plan.purchase_cost_yuan(scenario):,.0f}"
    page = html.unescape(built.zh.read_text(encoding="utf-8"))
    cell = r"\s*<td[^>]*>"
    assert re.search(rf"合计</td>{cell}</td>{cell}{total}</td>", page), total
    lines = len(plan.purchases)
    assert re.search(rf"合计（全部 {lines} 行）</td>({cell}</td>){{4}}{cell}{total}</td>", page)


NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")
SCALED = re.compile(r"(\d+(?:\.\d+)?)(万| ?k\b| ?M\b)")  # 250万元, 60k yuan, 2.5M: one figure
SCALE = {"万": 10_000, "k": 1_000, "M": 1_000_000}


def _numbers(text: object) -> list[str]:
    """The figures in a text, each as it reads once 万, k and M are multiplied out."""

    def whole(match: re.Match) -> str:
        return f"{float(match[1]) * SCALE[match[2].strip()]:,.0f}"

    return NUMBER.findall(SCALED.sub(whole, str(text)))


def _names_in(scenario, text: str) -> bool:
    """Whether a table cell holds one of the county's own names or ids (data, not figures)."""
    rows = (*scenario.townships, *scenario.items, *scenario.depots, *scenario.teams)
    names = {getattr(row, field, "") for row in rows for field in ("name_zh", "name_en")}
    names |= {str(getattr(row, f"{kind}_id", "")) for row in rows
              for kind in ("township", "item", "depot", "team")}  # fmt: skip
    return any(name and name in text for name in names)


def test_the_chinese_and_english_reports_carry_the_same_sections_and_numbers(built):
    """Section by section: the same sections, charts, tables of one shape, the same numbers."""
    from planner.report_content import load_report

    zh, en = load_report(built.results, "zh"), load_report(built.results, "en")
    assert [s.key for s in zh.sections] == [s.key for s in en.sections]
    for chinese, english in zip(zh.sections, en.sections, strict=True):
        where = chinese.key
        assert len(chinese.figures) == len(english.figures), where
        assert len(chinese.paragraphs) == len(english.paragraphs), where
        assert len(chinese.bullets) == len(english.bullets), where
        assert [t.frame.shape for t in chinese.tables] == [t.frame.shape for t in english.tables]
        for one, other in zip(chinese.tables, english.tables, strict=True):
            pairs = zip(one.frame.to_numpy().ravel(), other.frame.to_numpy().ravel(), strict=True)
            for a, b in pairs:
                if not _names_in(zh.results.scenario, f"{a} {b}"):  # names are the county's
                    assert _numbers(a) == _numbers(b), (one.caption, a, b)
        texts = chinese.bullets + chinese.paragraphs, english.bullets + english.paragraphs
        for one, other in zip(*texts, strict=True):
            assert sorted(_numbers(one)) == sorted(_numbers(other)), (one, other)


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [(1_150_000.0, "优化方案比它少 5%", "the optimised plan leaves 5% less than it"),
     (1_040_000.0, "优化方案比它多 5%", "the optimised plan leaves 5% more than it")],
)  # fmt: skip
def test_the_plan_finding_says_which_plan_leaves_less(rule, zh, en):
    from planner import report_content

    columns = ("plan", "purchase_cost_yuan", "weighted_unmet_mean", "weighted_unmet_ci_low")
    rows = [("optimised", 2.8e6, 1_092_500.0, 7e5), ("last_year_rule", 2.7e6, rule, 7e5)]
    frame = pd.DataFrame(rows, columns=list(columns)).assign(weighted_unmet_ci_high=1.5e6)
    assert zh in report_content._plan_finding(frame, "zh")[0]
    assert en in report_content._plan_finding(frame, "en")[0]


def test_the_report_workbook_reads_back_as_the_plan(built, plan_and_scenario):
    """The report's workbook holds the plan laid out as plan.xlsx: --plan reads it back."""
    plan, scenario = plan_and_scenario
    back = scenarios.load_plan(built.results / "report.xlsx", scenario)
    assert (back.purchases, back.staffing) == (plan.purchases, plan.staffing)


def test_the_frontier_table_says_which_cells_were_proved_optimal():
    """A sweep cell stopped short of its gap is flagged beside its figure, in both languages."""
    from planner import report_content

    summary = pd.DataFrame(
        {
            "metric": ["weighted_unmet"] * 3,
            "group": ["all"] * 3,
            "budget_yuan": [1e6, 1e6, 2e6],
            "plan": ["optimised", "status_quo", "optimised"],
            "mean": [5.0, 9.0, 4.0],
            "ci_low": [4.0, 8.0, 3.0],
            "ci_high": [6.0, 10.0, 5.0],
            "proved_optimal": [True, False, False],
            "solver_gap": [0.0005, float("nan"), 0.031],
        }
    )
    zh = report_content._frontier_table(summary, "zh")["求解"].tolist()
    en = report_content._frontier_table(summary, "en")["solve"].tolist()
    assert zh == ["已证明最优", "–", "未证明最优（间隙 3.10%）"]
    assert en == ["proved optimal", "–", "NOT proved optimal (gap 3.10%)"]
