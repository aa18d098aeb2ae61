"""The county as one Excel workbook, and budgets written as people write them.

A workbook (``write_county_workbook``) holds every table of a scenario as a
sheet and its settings on a settings sheet; ``scenarios.load`` reads it back
through the same validation as TOML and CSV. Each refusal names the workbook,
the sheet, the row, the column and the value, in one line.
"""

from __future__ import annotations

import copy
import tomllib
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from scenarios import InputError, Scenario, load
from scenarios.county_workbook import toml_literal, write_county_workbook
from scenarios.loader import default_scenario_path, input_files
from scenarios.sweep import load_sweep
from scenarios.workbook import INSTRUCTIONS_SHEET, SETTINGS_SHEET
from tests import builders
from tests.support import expect_input_error

# ---------------------------------------------------------------- money as people write it


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        ("2.8M", 2_800_000),
        ("280万", 2_800_000),
        ("280万元", 2_800_000),
        ("1.5亿", 150_000_000),
        ("2,800,000", 2_800_000),
        ("2800000元", 2_800_000),
        ("2800000", 2_800_000),
        (2_800_000, 2_800_000),
    ],
)
def test_a_budget_in_the_toml_is_read_as_written_in_a_plan(
    tmp_path: Path, written: object, yuan: float
) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = written
    toml["procurement"] = {
        "last_year_category_shares": {"flood": 1.0},
        "staffing_budget_yuan": written,
    }
    scenario = load(builders.write_scenario(tmp_path, toml=toml))
    assert scenario.procurement_budget_yuan == yuan
    assert scenario.procurement is not None
    assert scenario.procurement.staffing_budget_yuan == yuan


def test_every_yuan_setting_reads_ten_thousands(tmp_path: Path) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["penalties"]["rescue_work_yuan_per_person_hour"] = "0.03万"
    toml["everyday"] = {"unanswered_yuan": "2,250元"}
    toml["objective"] = {"minimise": "mix", "life_yuan": "300万", "relief_person_yuan": "1万"}
    scenario = load(builders.write_scenario(tmp_path, toml=toml))
    assert scenario.penalties.rescue_work_yuan_per_person_hour == 300
    assert scenario.everyday.unanswered_yuan == 2250
    assert (scenario.objective.life_yuan, scenario.objective.relief_person_yuan) == (3e6, 1e4)


@pytest.mark.parametrize("written", ["2.8 million", "2,80,000", "¥2800000", "280 thousand", "2.8m"])
def test_a_budget_in_another_form_is_refused_showing_the_forms_read(
    tmp_path: Path, written: str
) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = written
    path = builders.write_scenario(tmp_path, toml=toml)
    message = expect_input_error(
        lambda: load(path),
        path,
        "scenario.procurement_budget_yuan",
        "not an amount of yuan",
        "280万",
        "2.8M",
        f"(got {written!r})",
    )
    assert message.count("\n") == 0


def test_a_negative_budget_is_refused_as_below_zero(tmp_path: Path) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = "-280万"
    path = builders.write_scenario(tmp_path, toml=toml)
    expect_input_error(lambda: load(path), path, "procurement_budget_yuan", "greater than or equal")


# ---------------------------------------------------------------- helpers


def tiny_workbook(tmp_path: Path, **changes: Any) -> Path:
    """The tiny county (``builders.write_scenario(**changes)``) written as a workbook."""
    scenario = builders.write_scenario(tmp_path / "csv", **changes)
    return write_county_workbook(scenario, tmp_path / "county.xlsx")


def edited(path: Path, change: Callable[[Workbook], object]) -> Path:
    """Open the workbook, change it as a person would in Excel, save it."""
    workbook = load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


def row_with(sheet: Worksheet, column: int, value: object) -> int:
    """The row number of the first row whose cell in ``column`` (1-based) holds ``value``."""
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if cells[column - 1] == value:
            return number
    raise AssertionError(f"no {value!r} in column {column} of {sheet.title}")


def setting_row(sheet: Worksheet, section: str, key: str) -> int:
    """The row number of a setting on a settings sheet."""
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if cells[:2] == (section, key):
            return number
    raise AssertionError(f"no setting {section}.{key}")


def column_of(sheet: Worksheet, key: str) -> int:
    """The column (1-based) whose header ends in ``key``."""
    for cell in sheet[1]:
        if str(cell.value).split()[-1] == key:
            return cell.column
    raise AssertionError(f"no column {key} in {sheet.title}")


def set_cell(sheet: Worksheet, row: int, key: str, value: object) -> None:
    sheet.cell(row=row, column=column_of(sheet, key), value=value)


def refused(path: Path, *fragments: str) -> str:
    """Load the workbook, expect one InputError line naming it and holding ``fragments``."""
    return expect_input_error(lambda: load(path), path, *fragments)


def dumped(scenario: Scenario) -> dict[str, Any]:
    """Everything of a scenario but the file it was read from."""
    return scenario.model_dump(exclude={"source_path"})


# ---------------------------------------------------------------- the round trip


def test_the_default_county_comes_back_from_its_workbook_as_the_same_scenario(
    tmp_path: Path,
) -> None:
    path = write_county_workbook(None, tmp_path / "county.xlsx")
    again = load(path)
    assert again.source_path == str(path)
    assert dumped(again) == dumped(load(None))


def test_a_county_with_a_travel_matrix_and_a_replay_comes_back_the_same(tmp_path: Path) -> None:
    replay = (
        "year,date,township_id,hazard,severity_people,probability,demand.water\n"
        "2019,2019-07-01,A,flood,50,0.25,30\n"
        "2020,2020-03-01T06:00,B,landslide,5,0.75,\n"
    )
    tables = {"travel_matrix": "travel.csv", "replay": "replay.csv"}
    scenario = builders.write_scenario(tmp_path / "csv", extra_tables=tables)
    (tmp_path / "csv" / "travel.csv").write_text(
        "township_id,A,B,C\nA,0,1,2\nB,1,0,1.5\nC,2,1.5,0\n", encoding="utf-8"
    )
    (tmp_path / "csv" / "replay.csv").write_text(replay, encoding="utf-8")
    workbook = write_county_workbook(scenario, tmp_path / "county.xlsx")
    again = load(workbook)
    assert again.travel.matrix_h == ((0.0, 1.0, 2.0), (1.0, 0.0, 1.5), (2.0, 1.5, 0.0))
    assert again.replay_index is not None and again.replay_index.probabilities == (0.25, 0.75)
    assert dumped(again) == dumped(load(scenario))
    sheets = load_workbook(workbook).sheetnames
    assert {"行程时间 travel_matrix", "历史事件 replay"} <= set(sheets)


def test_a_workbook_written_from_a_workbook_is_the_same_county(tmp_path: Path) -> None:
    first = tiny_workbook(tmp_path)
    second = write_county_workbook(first, tmp_path / "again.xlsx")
    assert dumped(load(second)) == dumped(load(first))


def test_input_files_of_a_workbook_are_the_workbook_alone(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path)
    assert input_files(path) == [path]


def test_a_sweep_over_a_workbook_county_reads_it_and_hashes_it(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path)
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        '[sweep]\nscenario = "county.xlsx"\naction = "evaluate"\nbaselines = ["status_quo"]\n'
        "[grid]\nbudget_yuan = [50000, 80000]\n",
        encoding="utf-8",
    )
    sweep = load_sweep(sweep_file)
    assert sweep.base.source_path == str(path)
    assert [cell.procurement_budget_yuan for cell in sweep.cell_scenarios] == [50000, 80000]
    before = sweep.inputs_sha256
    edited(path, lambda workbook: workbook["乡镇 townships"].cell(2, 2, "甲镇镇"))
    assert load_sweep(sweep_file).inputs_sha256 != before


# ---------------------------------------------------------------- what the workbook looks like


def test_the_workbook_opens_on_its_instructions_then_settings_then_a_sheet_per_table(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))
    assert workbook.sheetnames == [
        INSTRUCTIONS_SHEET,
        SETTINGS_SHEET,
        "乡镇 townships",
        "物资 items",
        "储备点 depots",
        "库存 stock",
        "队伍 teams",
        "协议储备 agreements",
        "需求 demand",
        "储备标准 norms",
        "装备效能 capabilities",
    ]
    text = " ".join(str(c) for row in workbook[INSTRUCTIONS_SHEET].values for c in row)
    for words in ("必需 required", "Ids must match", "元", "yuan", "hours", "people", "yingji"):
        assert words in text, words
    assert "unit_price_yuan" in text  # the items sheet's required columns are named


def test_every_sheet_has_a_frozen_bold_header_of_chinese_and_key_and_set_widths(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
        assert all(width and width > 5 for width in widths), sheet.title
    headers = [cell.value for cell in workbook["乡镇 townships"][1]]
    assert headers[:2] == ["乡镇编号 township_id", "中文名称 name_zh"]
    assert "单价(元) unit_price_yuan" in [cell.value for cell in workbook["物资 items"][1]]


def test_cells_are_numbers_where_the_csv_has_numbers_and_text_where_it_has_words(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))
    first = [cell.value for cell in workbook["乡镇 townships"][2]]
    assert first[:6] == ["T01", "城关镇", "Chengguan", 37.1, 29.6, "plain"]
    assert first[6] == 82000 and isinstance(first[6], int)
    items = workbook["物资 items"]
    assert items.cell(2, column_of(items, "service_life_years")).value is None  # empty stays empty
    assert items.cell(2, column_of(items, "item_id")).number_format == "@"  # ids stay text
    settings = workbook[SETTINGS_SHEET]
    approval = settings.cell(setting_row(settings, "delivery", "approval_day"), 3)
    assert (approval.value, approval.number_format) == ("03-01", "@")  # not a date


def test_categorical_columns_have_drop_downs_of_the_schema_words_and_the_ids(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))

    def lists(sheet_name: str) -> dict[str, str]:
        sheet = workbook[sheet_name]
        keys = {cell.column_letter: str(cell.value).split()[-1] for cell in sheet[1]}
        found = {}
        for validation in sheet.data_validations.dataValidation:
            if validation.type != "list":
                continue  # number ranges: the next test
            for cells in validation.sqref.ranges:
                found[keys[cells.coord.split(":")[0].rstrip("0123456789")]] = validation.formula1
        return found

    items = lists("物资 items")
    assert items["category"] == ('"flood,forest_fire,fire_rescue,living,medical,general_equipment"')
    assert items["kind"] == '"consumable,equipment"'
    assert items["hazardous"] == '"true,false"'
    assert lists("储备点 depots")["tier"] == '"county,township,village"'
    assert lists("储备点 depots")["township_id"] == "'乡镇 townships'!$A$2:$A$2000"
    teams = lists("队伍 teams")
    assert teams["tier"] == '"village,township,fire_station,county,social"'
    assert teams["base_township"].startswith("'乡镇 townships'!")
    assert "skills" not in teams  # several skills in a cell: no one choice
    assert lists("需求 demand")["hazard"] == (
        '"flood,flash_flood,landslide,debris_flow,forest_fire,earthquake"'
    )
    stock = lists("库存 stock")
    assert stock["depot_id"].startswith("'储备点 depots'!")
    assert stock["item_id"] == "'物资 items'!$A$2:$A$2000"
    assert lists("乡镇 townships")["terrain"] == '"plain,hill,mountain"'


def test_number_columns_carry_the_loaders_ranges_shown_on_selection_and_stopped_in_excel(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))

    def ranges(sheet_name: str) -> dict[str, object]:
        sheet = workbook[sheet_name]
        keys = {cell.column_letter: str(cell.value).split()[-1] for cell in sheet[1]}
        found = {}
        for validation in sheet.data_validations.dataValidation:
            if validation.type in ("whole", "decimal"):
                letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
                found[keys[letter]] = validation
        return found

    towns = ranges("乡镇 townships")
    population = towns["population"]
    assert (population.type, population.operator) == ("whole", "between")
    assert (population.formula1, population.formula2) == ("0", "1000000000")
    assert population.errorStyle == "stop" and population.showInputMessage
    assert towns["area_km2"].prompt.startswith("大于 0 至 300,000")  # above 0: open at 0
    assert towns["river_exposure"].formula2 == "1" and towns["river_exposure"].type == "decimal"
    assert "max_part_time_members" in towns  # an optional number: its inner range
    assert "name_zh" not in towns and "terrain" not in towns
    assert ranges("物资 items")["unit_price_yuan"].formula2 == "1000000000"
    instructions = [row[0].value for row in workbook["说明 instructions"].iter_rows()]
    assert "取值范围 ranges" in instructions


def test_the_settings_sheet_holds_every_setting_with_nested_values_as_toml_and_its_note(
    tmp_path: Path,
) -> None:
    workbook = load_workbook(write_county_workbook(None, tmp_path / "county.xlsx"))
    rows = list(workbook[SETTINGS_SHEET].iter_rows(values_only=True))
    assert rows[0] == ("节 section", "键 key", "值 value", "说明 note")
    cells = {(section, key): (value, note) for section, key, value, note in rows[1:]}
    document = tomllib.loads(default_scenario_path().read_text(encoding="utf-8"))
    expected = set()
    for section, content in document.items():
        if section == "hazards":
            for number, hazard in enumerate(content, start=1):
                expected |= {(f"hazards[{number}]", key) for key in hazard}
        elif section != "tables":
            expected |= {(section, key) for key in content}
    assert set(cells) == expected
    assert cells[("scenario", "procurement_budget_yuan")] == (
        2800000,
        "source: seed 000 (57 types, 280万元)",
    )
    speeds = cells[("travel", "speed_kmh")]
    assert speeds[0] == "{ plain = 45.0, hill = 35.0, mountain = 25.0 }"
    assert speeds[1].startswith("estimate: typical speeds")  # the comment above the line
    assert cells[("rules", "tier_share")][0] == "{ county = [0.4, 1.0] }"
    assert cells[("hazards[2]", "hazard_id")][0] == "flash_flood"
    assert cells[("objective", "value_carried")][0] is True


def test_the_workbook_is_written_atomically_and_only_as_xlsx(tmp_path: Path) -> None:
    path = write_county_workbook(None, tmp_path / "deep" / "county.xlsx")
    assert [p.name for p in path.parent.iterdir()] == ["county.xlsx"]  # no temporary left
    with pytest.raises(InputError, match=r"saved as \.xlsx"):
        write_county_workbook(None, tmp_path / "county.xlsm")


def test_a_name_that_looks_like_a_formula_is_written_and_read_back_as_text(
    tmp_path: Path,
) -> None:
    towns = copy.deepcopy(builders.TOWNSHIPS)
    formula = '=HYPERLINK("http://example.com","click")'
    towns[1]["name_zh"] = formula
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["name_en"] = "=1+1"
    path = tiny_workbook(tmp_path, toml=toml, tables={"townships": towns})
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    scenario = load(path)
    assert scenario.townships[1].name_zh == formula
    assert scenario.name_en == "=1+1"


# ---------------------------------------------------------------- a workbook made by hand


def hand_made(tmp_path: Path) -> Path:
    """The tiny county typed into Excel by hand: plain keys, numbers for ids, blank rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    ids = {"A": 1001, "B": 1002, "C": 1003}
    for name, rows in builders.TABLES.items():
        header = list(dict.fromkeys(key for row in rows for key in row))
        sheet = workbook.create_sheet(name)  # a plain key for a sheet name
        sheet.append(header)
        for row in rows:
            sheet.append([_typed(key, row.get(key), ids) for key in header])
        sheet.append([])  # a blank row before a last one, as people leave them
        sheet.append([])
    settings = workbook.create_sheet("settings")
    settings.append(["section", "key", "value"])
    for section, content in builders.TOML_BASE.items():
        for key, value in content.items():
            settings.append([section, key, _setting(value)])
    for number, hazard in enumerate(builders.HAZARDS, start=1):
        for key, value in hazard.items():
            settings.append([f"hazards[{number}]", key, _setting(value)])
    path = tmp_path / "by_hand.xlsx"
    workbook.save(path)
    return path


def _typed(key: str, value: object, ids: dict[str, int]) -> object:
    """A cell as Excel would type it: township ids and numbers as numbers, true as TRUE."""
    if key in ("township_id", "base_township"):
        return ids[str(value)]
    if value == "true":
        return True
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _setting(value: object) -> object:
    return toml_literal(value) if isinstance(value, list | dict) else value


def test_a_hand_made_workbook_loads_with_number_ids_as_text_and_excel_types_read(
    tmp_path: Path,
) -> None:
    path = edited(hand_made(tmp_path), _hand_edits)
    scenario = load(path)
    assert [t.township_id for t in scenario.townships] == ["1001", "1002", "1003"]
    assert scenario.depots[0].township_id == "1001"
    assert scenario.teams[0].name_zh == "3"
    assert scenario.townships[0].is_county_seat is True
    assert scenario.delivery.approval_day == 60
    assert scenario.procurement_budget_yuan == 2_800_000
    assert [h.hazard_id for h in scenario.hazards] == [h["hazard_id"] for h in builders.HAZARDS]


def _hand_edits(workbook: Workbook) -> None:
    workbook["teams"].cell(2, 2, 3.0)  # a typed 3 in a text column: Excel's number 3.0
    settings = workbook["settings"]
    settings.append(["delivery", "approval_day", datetime(2026, 3, 1)])  # 03-01 made a date
    settings.cell(setting_row(settings, "scenario", "procurement_budget_yuan"), 3, "280万")


# ---------------------------------------------------------------- refusals, each in one line


def test_a_bad_cell_is_refused_naming_the_sheet_the_excel_row_the_column_and_the_value(
    tmp_path: Path,
) -> None:
    def change(workbook: Workbook) -> None:
        items = workbook["物资 items"]
        row = row_with(items, 1, "water")
        items.insert_rows(2)  # a blank row above: the message still counts Excel's rows
        set_cell(items, row + 1, "unit_price_yuan", -3)

    path = edited(tiny_workbook(tmp_path), change)
    water = [item["item_id"] for item in builders.ITEMS].index("water")
    message = refused(
        path,
        f"sheet 物资 items, row {water + 3}, column unit_price_yuan:",
        "greater than 0",
        "(got '-3')",
    )
    assert message.count(",") < 6  # one short line


def test_an_unknown_id_across_sheets_is_refused_at_its_row(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        set_cell(workbook["储备点 depots"], 3, "township_id", "Z")

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, "sheet 储备点 depots, row 3, column township_id", "unknown id", "(got 'Z')")


def test_a_missing_required_sheet_is_refused(tmp_path: Path) -> None:
    path = edited(tiny_workbook(tmp_path), lambda workbook: workbook.remove(workbook["物资 items"]))
    refused(path, "sheet 物资 items", "missing sheet")


def test_a_missing_settings_sheet_is_refused(tmp_path: Path) -> None:
    path = edited(tiny_workbook(tmp_path), lambda wb: wb.remove(wb[SETTINGS_SHEET]))
    refused(path, f"sheet {SETTINGS_SHEET}", "missing sheet")


def test_an_unknown_sheet_is_refused_as_a_typo(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        workbook["物资 items"].title = "物资 itmes"

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, "sheet 物资 itmes", "unknown sheet (a typo?)", "物资 items")


def test_an_optional_sheet_may_be_left_out(tmp_path: Path) -> None:
    path = edited(tiny_workbook(tmp_path), lambda wb: wb.remove(wb["协议储备 agreements"]))
    assert load(path).agreements == ()


def test_an_unknown_column_is_refused_at_its_header_cell(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        items = workbook["物资 items"]
        items.cell(1, column_of(items, "unit_price_yuan"), "单价 unit_pirce_yuan")

    path = edited(tiny_workbook(tmp_path), change)
    refused(
        path,
        "sheet 物资 items, row 1, column unit_pirce_yuan",
        "unknown column (a typo?)",
        "(got 'unit_pirce_yuan')",
    )


def test_a_column_listed_twice_is_refused(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        items = workbook["物资 items"]
        items.cell(1, items.max_column + 1, "又 unit")

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, "sheet 物资 items, row 1, column unit", "column listed twice")


def test_a_value_under_no_header_is_refused(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        depots = workbook["储备点 depots"]
        depots.cell(4, depots.max_column + 2, "forgotten")

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, "sheet 储备点 depots, row 4, column", "without a header", "(got 'forgotten')")


def test_a_settings_row_with_an_unknown_section_is_refused(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        settings.cell(setting_row(settings, "penalties", "late_fraction"), 1, "penalty")

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, f"sheet {SETTINGS_SHEET}, row ", ", column section", "unknown section")
    refused(path, "(got 'penalty')", "hazards[1]")


def test_the_tables_section_is_not_a_setting_in_a_workbook(tmp_path: Path) -> None:
    path = edited(tiny_workbook(tmp_path), lambda wb: wb[SETTINGS_SHEET].append(["tables", "x"]))
    refused(path, "column section", "unknown section", "(got 'tables')")


def test_a_settings_row_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        row = setting_row(settings, "hazards[2]", "annual_rate")
        settings.cell(row, 2, "anual_rate")

    path = edited(tiny_workbook(tmp_path), change)
    row = setting_row(load_workbook(path)[SETTINGS_SHEET], "hazards[2]", "anual_rate")
    refused(path, f"sheet {SETTINGS_SHEET}, row {row}, column key", "unknown key of [hazards]")


def test_a_setting_given_twice_is_refused(tmp_path: Path) -> None:
    path = edited(
        tiny_workbook(tmp_path), lambda wb: wb[SETTINGS_SHEET].append(["scenario", "seed", 8])
    )
    refused(path, "column key", "set twice (also row 5)", "(got 'seed')")


def test_a_malformed_toml_literal_in_a_value_cell_is_refused(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        settings.cell(setting_row(settings, "travel", "speed_kmh"), 3, "{ plain = 50, hill = }")

    path = edited(tiny_workbook(tmp_path), change)
    row = setting_row(load_workbook(path)[SETTINGS_SHEET], "travel", "speed_kmh")
    refused(
        path,
        f"sheet {SETTINGS_SHEET}, row {row}, column value",
        "not a TOML value",
        "[0.15, 0.45]",
        "(got '{ plain = 50, hill = }')",
    )


def test_a_bad_setting_is_refused_at_its_row_with_its_section_and_key(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        settings.cell(setting_row(settings, "hazards[2]", "annual_rate"), 3, -1)
        settings.cell(setting_row(settings, "travel", "speed_kmh"), 3, "{ plain = 50 }")

    path = edited(tiny_workbook(tmp_path), change)
    settings = load_workbook(path)[SETTINGS_SHEET]
    hazard = setting_row(settings, "hazards[2]", "annual_rate")
    travel = setting_row(settings, "travel", "speed_kmh")
    refused(
        path,
        f"sheet {SETTINGS_SHEET}, row {travel}, column value (travel.speed_kmh)",
        "missing terrain 'hill'",
    )
    edited(
        path, lambda wb: wb[SETTINGS_SHEET].cell(travel, 3, "{ plain = 5, hill = 4, mountain = 3 }")
    )
    refused(
        path,
        f"sheet {SETTINGS_SHEET}, row {hazard}, column value (hazards[2].annual_rate)",
        "greater than or equal to 0",
        "(got -1)",
    )


def test_a_missing_setting_is_refused_naming_its_section(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        settings.delete_rows(setting_row(settings, "hazards[3]", "name_zh"))

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, f"sheet {SETTINGS_SHEET}, hazards[3].name_zh", "field required")


def test_a_cross_check_of_the_settings_is_refused_at_the_setting_row(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        settings = workbook[SETTINGS_SHEET]
        settings.append(["outcomes", "relief_items", '{ water = ["gold"] }'])

    path = edited(tiny_workbook(tmp_path), change)
    row = load_workbook(path)[SETTINGS_SHEET].max_row
    refused(
        path,
        f"sheet {SETTINGS_SHEET}, row {row}, column value (outcomes.relief_items.water)",
        "unknown item",
        "(got 'gold')",
    )


def test_money_in_the_settings_sheet_is_read_as_written_or_refused_in_one_line(
    tmp_path: Path,
) -> None:
    path = tiny_workbook(tmp_path)
    row = setting_row(load_workbook(path)[SETTINGS_SHEET], "scenario", "procurement_budget_yuan")
    edited(path, lambda wb: wb[SETTINGS_SHEET].cell(row, 3, "2.8M"))
    assert load(path).procurement_budget_yuan == 2_800_000
    edited(path, lambda wb: wb[SETTINGS_SHEET].cell(row, 3, "28 lakh"))
    refused(
        path,
        f"sheet {SETTINGS_SHEET}, row {row}, column value (scenario.procurement_budget_yuan)",
        "not an amount of yuan",
        "280万",
        "(got '28 lakh')",
    )


@pytest.mark.parametrize("suffix", [".xlsm", ".xls", ".xlsb"])
def test_a_macro_workbook_or_an_old_one_is_refused_saying_save_as_xlsx(
    tmp_path: Path, suffix: str
) -> None:
    path = tiny_workbook(tmp_path).rename(tmp_path / f"county{suffix}")
    message = refused(path, "save it as an Excel workbook (.xlsx)")
    assert suffix in message


def test_a_workbook_holding_macros_under_an_xlsx_name_is_refused(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00")
    refused(path, "holds macros", ".xlsx")


@pytest.mark.parametrize("content", [b"township_id,name_zh\nA,x\n", b"", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_refused_as_damaged(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "county.xlsx"
    path.write_bytes(content)
    refused(path, "not an Excel workbook", "save it as .xlsx")


def test_a_missing_workbook_is_refused(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.xlsx", "file not found")


def test_an_empty_table_sheet_is_refused_saying_how_to_leave_it_out(tmp_path: Path) -> None:
    def change(workbook: Workbook) -> None:
        workbook.remove(workbook["库存 stock"])
        workbook.create_sheet("库存 stock")

    path = edited(tiny_workbook(tmp_path), change)
    refused(path, "sheet 库存 stock", "empty sheet", "delete the sheet")
