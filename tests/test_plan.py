"""Plans: JSON, CSV and Excel round trips, hand-computed costs, and one-line refusals."""

from __future__ import annotations

import csv
import dataclasses
import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from scenarios import InputError, Plan, Scenario, load, load_plan
from scenarios.files import write_atomic
from scenarios.plan import (
    ABOUT_SHEET,
    COST_COLUMNS,
    DEPOT_ID_TITLE,
    ITEM_ID_TITLE,
    OFFICE_SHEET,
    OFFICE_TITLES,
    PLAN_CSV_COLUMNS,
    PURCHASE_SHEET,
    PURCHASE_TITLES,
    STAFFING_SHEET,
    STAFFING_TITLES,
    TEAM_ID_TITLE,
    TOTAL_LABEL,
    Purchase,
    Staffing,
    plan_costs,
    write_plan,
)
from tests import builders
from tests.support import expect_input_error

PLAN = Plan(
    plan_id="draft",
    purchases=(
        Purchase("boat", "D_A", 2),
        Purchase("sandbag", "D_B", 500),
        Purchase("water", "V_C", 10),
    ),
    staffing=(Staffing("town_A", 60), Staffing("social_1", 25)),
)

# Hand-computed from tests/builders.py: prices boat 30000, sandbag 2, water 30 yuan.
PLAN_PURCHASE_COST = 2 * 30000 + 500 * 2 + 10 * 30  # 61 300 yuan
# Nine teams at 1000 yuan a member: 30+40+25+50+50+50+30+15+20 = 310 members.
BASE_MEMBERS = 310
# town_A 50 -> 60 and social_1 20 -> 25 add 15 members.
PLAN_STAFFING_COST = (BASE_MEMBERS + 10 + 5) * 1000


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load(builders.write_scenario(tmp_path / "county"))


def write_plan_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLAN_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, scenario: Scenario, *fragments: str) -> str:
    """Load the plan, expect one InputError line naming ``path`` and containing ``fragments``."""
    return expect_input_error(lambda: load_plan(path, scenario), path, *fragments)


# ---------------------------------------------------------------- round trips


def test_plan_round_trips_through_json_with_file_stem_as_plan_id(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = write_text(tmp_path / "spring_2025.json", PLAN.to_json())
    assert load_plan(path, scenario) == dataclasses.replace(PLAN, plan_id="spring_2025")


def test_plan_round_trips_through_csv_with_file_stem_as_plan_id(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = write_plan_csv(tmp_path / "spring_2025.csv", PLAN.to_csv_rows())
    assert load_plan(path, scenario) == dataclasses.replace(PLAN, plan_id="spring_2025")


def test_plan_round_trips_through_excel_with_file_stem_as_plan_id(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = PLAN.to_excel(tmp_path / "spring_2025.xlsx", scenario)
    assert path == tmp_path / "spring_2025.xlsx"
    assert load_plan(path, scenario) == dataclasses.replace(PLAN, plan_id="spring_2025")


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx"])
def test_empty_plan_round_trips(tmp_path: Path, scenario: Scenario, suffix: str) -> None:
    empty = Plan(plan_id="nothing")
    path = tmp_path / f"nothing{suffix}"
    if suffix == ".json":
        write_text(path, empty.to_json())
    elif suffix == ".csv":
        write_plan_csv(path, empty.to_csv_rows())
    else:
        empty.to_excel(path, scenario)
    assert load_plan(path, scenario) == empty


def test_write_plan_writes_three_forms_that_each_load_back_equal(
    tmp_path: Path, scenario: Scenario
) -> None:
    folder = tmp_path / "out" / "new"  # missing folders are made
    paths = write_plan(PLAN, scenario, folder)
    assert paths == {"csv": folder / "plan.csv", "json": folder / "plan.json"} | {
        "xlsx": folder / "plan.xlsx"
    }
    assert sorted(p.name for p in folder.iterdir()) == ["plan.csv", "plan.json", "plan.xlsx"]
    for path in paths.values():
        assert load_plan(path, scenario) == dataclasses.replace(PLAN, plan_id="plan"), path


def test_write_plan_csv_is_utf8_with_the_plan_csv_columns(
    tmp_path: Path, scenario: Scenario
) -> None:
    lines = write_plan(PLAN, scenario, tmp_path)["csv"].read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(PLAN_CSV_COLUMNS)
    assert lines[1:] == [
        "purchase,boat,D_A,,2",
        "purchase,sandbag,D_B,,500",
        "purchase,water,V_C,,10",
        "staffing,,,town_A,60",
        "staffing,,,social_1,25",
    ]


def test_write_plan_replaces_files_already_there(tmp_path: Path, scenario: Scenario) -> None:
    folder = tmp_path / "out"
    write_plan(PLAN, scenario, folder)
    smaller = Plan(purchases=(Purchase("blower", "D_C", 1),))
    paths = write_plan(smaller, scenario, folder)
    assert all(load_plan(path, scenario) == smaller for path in paths.values())
    assert len(list(folder.iterdir())) == 3


def test_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = write_text(tmp_path / "plan.json", "old")

    def half_then_fail(temporary: Path) -> None:
        temporary.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, half_then_fail)
    assert path.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [path]


def test_json_plan_id_inside_the_file_is_replaced_by_the_file_stem(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = write_text(tmp_path / "real_name.json", json.dumps({"plan_id": "other"}))
    assert load_plan(path, scenario).plan_id == "real_name"


def test_plan_json_form_lists_purchases_and_staffing() -> None:
    document = json.loads(PLAN.to_json())
    assert document == {
        "plan_id": "draft",
        "purchases": [
            {"item_id": "boat", "depot_id": "D_A", "quantity": 2},
            {"item_id": "sandbag", "depot_id": "D_B", "quantity": 500},
            {"item_id": "water", "depot_id": "V_C", "quantity": 10},
        ],
        "staffing": [
            {"team_id": "town_A", "members": 60},
            {"team_id": "social_1", "members": 25},
        ],
    }


def test_plan_csv_rows_use_the_plan_csv_columns() -> None:
    rows = PLAN.to_csv_rows()
    assert all(tuple(row) == PLAN_CSV_COLUMNS for row in rows)
    assert rows[0] == {
        "part": "purchase",
        "item_id": "boat",
        "depot_id": "D_A",
        "team_id": "",
        "quantity": 2,
    }
    assert rows[-1] == {
        "part": "staffing",
        "item_id": "",
        "depot_id": "",
        "team_id": "social_1",
        "quantity": 25,
    }
    assert len(rows) == 5


def test_csv_quantity_written_as_whole_float_is_accepted(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = write_plan_csv(
        tmp_path / "p.csv",
        [{"part": "purchase", "item_id": "boat", "depot_id": "D_A", "quantity": "3.0"}],
    )
    assert load_plan(path, scenario).purchases == (Purchase("boat", "D_A", 3),)


def test_plan_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLAN.plan_id = "other"  # type: ignore[misc]


# ---------------------------------------------------------------- costs


def test_purchase_cost_is_quantity_times_unit_price(scenario: Scenario) -> None:
    assert PLAN.purchase_cost_yuan(scenario) == pytest.approx(PLAN_PURCHASE_COST)
    assert PLAN_PURCHASE_COST == 61300


def test_staffing_cost_counts_every_team_with_planned_sizes(scenario: Scenario) -> None:
    assert PLAN.staffing_cost_yuan(scenario) == pytest.approx(PLAN_STAFFING_COST)
    assert PLAN_STAFFING_COST == 325000


def test_empty_plan_costs_nothing_to_buy_and_the_current_staffing(scenario: Scenario) -> None:
    empty = Plan()
    assert empty.purchase_cost_yuan(scenario) == 0.0
    assert empty.staffing_cost_yuan(scenario) == pytest.approx(BASE_MEMBERS * 1000)


def test_costs_of_a_loaded_plan_match_the_plan_it_was_written_from(
    tmp_path: Path, scenario: Scenario
) -> None:
    loaded = load_plan(write_text(tmp_path / "p.json", PLAN.to_json()), scenario)
    assert loaded.purchase_cost_yuan(scenario) == pytest.approx(PLAN_PURCHASE_COST)
    assert loaded.staffing_cost_yuan(scenario) == pytest.approx(PLAN_STAFFING_COST)


# ---------------------------------------------------------------- refusals in both forms

GOOD_PURCHASE = {"item_id": "boat", "depot_id": "D_A", "quantity": 1}
GOOD_STAFFING = {"team_id": "town_B", "members": 40}

# Each case: purchases, staffing, the bad entry's part and index, the field, the bad value
# and the problem named.
# CSV rows are written purchases first, then staffing.
REFUSED_CASES = {
    "unknown-item": (
        [GOOD_PURCHASE, {"item_id": "gold", "depot_id": "D_A", "quantity": 1}],
        [],
        ("purchases", 1),
        "item_id",
        "gold",
        "unknown item",
    ),
    "unknown-depot": (
        [GOOD_PURCHASE, {"item_id": "boat", "depot_id": "D_Z", "quantity": 1}],
        [],
        ("purchases", 1),
        "depot_id",
        "D_Z",
        "unknown depot",
    ),
    "unknown-team": (
        [GOOD_PURCHASE],
        [{"team_id": "nobody", "members": 5}],
        ("staffing", 0),
        "team_id",
        "nobody",
        "unknown team",
    ),
    "negative-quantity": (
        [{"item_id": "boat", "depot_id": "D_A", "quantity": -3}],
        [],
        ("purchases", 0),
        "quantity",
        -3,
        "negative",
    ),
    "fractional-quantity": (
        [GOOD_PURCHASE, {"item_id": "water", "depot_id": "D_A", "quantity": 2.5}],
        [],
        ("purchases", 1),
        "quantity",
        2.5,
        "whole number",
    ),
    "team-below-min": (
        [],
        [GOOD_STAFFING, {"team_id": "town_A", "members": 0}],
        ("staffing", 1),
        "quantity",
        0,
        "outside team size 1..200",
    ),
    "team-above-max": (
        [GOOD_PURCHASE],
        [{"team_id": "town_A", "members": 201}],
        ("staffing", 0),
        "quantity",
        201,
        "outside team size 1..200",
    ),
    "team-listed-twice": (
        [GOOD_PURCHASE],
        [{"team_id": "town_A", "members": 60}, GOOD_STAFFING, {"team_id": "town_A", "members": 70}],
        ("staffing", 2),
        "team_id",
        "town_A",
        "listed twice",
    ),
}


def csv_rows(purchases: list[dict[str, Any]], staffing: list[dict[str, Any]]) -> list[dict]:
    rows: list[dict[str, Any]] = [{"part": "purchase", **entry} for entry in purchases]
    rows += [
        {"part": "staffing", "team_id": entry["team_id"], "quantity": entry["members"]}
        for entry in staffing
    ]
    return rows


def shown(value: Any) -> tuple[str, str]:
    """The two ways a value can be shown: as parsed, or as the CSV text it was read from."""
    return f"(got {value!r})", f"(got {str(value)!r})"


@pytest.mark.parametrize("case", list(REFUSED_CASES))
def test_bad_csv_plan_is_refused_naming_row_field_and_value(
    tmp_path: Path, scenario: Scenario, case: str
) -> None:
    purchases, staffing, (part, index), field, value, problem = REFUSED_CASES[case]
    line = index + 2 + (len(purchases) if part == "staffing" else 0)
    path = write_plan_csv(tmp_path / "plan.csv", csv_rows(purchases, staffing))
    message = refused(path, scenario, f"row {line}, field {field}", problem)
    assert any(text in message for text in shown(value)), message


@pytest.mark.parametrize("case", list(REFUSED_CASES))
def test_bad_json_plan_is_refused_naming_entry_field_and_value(
    tmp_path: Path, scenario: Scenario, case: str
) -> None:
    purchases, staffing, (part, index), field, value, problem = REFUSED_CASES[case]
    if part == "staffing" and field == "quantity":
        field = "members"  # the JSON form's name for a team's size
    document = {"plan_id": "x", "purchases": purchases, "staffing": staffing}
    path = write_text(tmp_path / "plan.json", json.dumps(document))
    message = refused(path, scenario, f"{part}[{index}], field {field}", problem)
    assert f"(got {value!r})" in message, message


def test_csv_negative_quantity_message_is_exactly_one_readable_line(
    tmp_path: Path, scenario: Scenario
) -> None:
    row = {"part": "purchase", "item_id": "boat", "depot_id": "D_A", "quantity": -5}
    path = write_plan_csv(tmp_path / "plan.csv", [row])
    with pytest.raises(InputError) as caught:
        load_plan(path, scenario)
    assert str(caught.value) == f"{path}: row 2, field quantity: must not be negative (got '-5')"


@pytest.mark.parametrize("text", ["two", "", "inf", "nan", "1e400"])
def test_csv_quantity_that_is_not_a_finite_number_is_refused(
    tmp_path: Path, scenario: Scenario, text: str
) -> None:
    row = {"part": "purchase", "item_id": "boat", "depot_id": "D_A", "quantity": text}
    path = write_plan_csv(tmp_path / "plan.csv", [row])
    refused(path, scenario, "row 2, field quantity", "not a number", f"(got {text!r})")


@pytest.mark.parametrize(
    ("value", "shown_as"),
    [(True, "(got True)"), (None, "not a number"), ([3], "(got [3])"), ("three", "(got 'three')")],
    ids=["bool", "null", "list", "text"],
)
def test_json_quantity_that_is_not_a_number_is_refused(
    tmp_path: Path, scenario: Scenario, value: Any, shown_as: str
) -> None:
    document = {"purchases": [{"item_id": "boat", "depot_id": "D_A", "quantity": value}]}
    path = write_text(tmp_path / "plan.json", json.dumps(document))
    refused(path, scenario, "purchases[0], field quantity", "not a number", shown_as)


def test_csv_row_with_bad_part_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    bad = {"part": "buy", "item_id": "boat", "depot_id": "D_A", "quantity": 1}
    rows = [*csv_rows([GOOD_PURCHASE], []), bad]
    path = write_plan_csv(tmp_path / "plan.csv", rows)
    refused(path, scenario, "row 3, field part", "purchase or staffing", "(got 'buy')")


def test_csv_with_unknown_column_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    text = "part,item_id,depot,team_id,quantity\npurchase,boat,D_A,,1\n"
    path = write_text(tmp_path / "plan.csv", text)
    refused(path, scenario, "column 'depot'", "unknown column")


def test_csv_row_with_more_values_than_header_is_refused(
    tmp_path: Path, scenario: Scenario
) -> None:
    text = "part,item_id,depot_id,team_id,quantity\npurchase,boat,D_A,,1\npurchase,boat,D_A,,1,9\n"
    path = write_text(tmp_path / "plan.csv", text)
    refused(path, scenario, "row 3", "more values than header")


def test_gbk_csv_plan_is_read_and_its_chinese_values_shown(
    tmp_path: Path, scenario: Scenario
) -> None:
    """Chinese Excel saves CSV as GBK: read, and a bad cell is shown as written."""
    path = tmp_path / "plan.csv"
    path.write_bytes("part,item_id,depot_id,team_id,quantity\n购买,boat,D_A,,1\n".encode("gbk"))
    refused(path, scenario, "row 2, field part", "'购买'")
    path.write_bytes("part,item_id,depot_id,team_id,quantity\npurchase,boat,D_A,,1\n".encode("gbk"))
    assert load_plan(path, scenario).purchases == (Purchase("boat", "D_A", 1),)


def test_invalid_json_plan_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    path = write_text(tmp_path / "plan.json", '{"purchases": [}')
    refused(path, scenario, "not valid JSON", "line 1")


def test_json_plan_that_is_not_an_object_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    path = write_text(tmp_path / "plan.json", "[]")
    refused(path, scenario, "JSON object")


def test_json_plan_with_unknown_top_level_key_is_refused(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = write_text(tmp_path / "plan.json", json.dumps({"purchase": []}))
    refused(path, scenario, "purchase: unknown key")


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"purchases": [{"item": "boat", "depot_id": "D_A", "quantity": 1}]}, "purchases[0]"),
        ({"staffing": [GOOD_STAFFING, {"team_id": "town_A", "member": 5}]}, "staffing[1]"),
        ({"staffing": [{"team_id": "town_A", "quantity": 5}]}, "staffing[0]"),
    ],
    ids=["purchase-item", "staffing-member", "staffing-quantity"],
)
def test_json_entry_with_unknown_key_is_refused(
    tmp_path: Path, scenario: Scenario, document: dict, where: str
) -> None:
    path = write_text(tmp_path / "plan.json", json.dumps(document))
    refused(path, scenario, f"{where}, field", "unknown key")


def test_json_entry_missing_a_key_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    document = {"purchases": [GOOD_PURCHASE, {"depot_id": "D_A", "quantity": 1}]}
    path = write_text(tmp_path / "plan.json", json.dumps(document))
    refused(path, scenario, "purchases[1], field item_id", "missing")


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"purchases": {"boat": 1}}, "purchases"),
        ({"staffing": [GOOD_STAFFING, 7]}, "staffing[1]"),
    ],
    ids=["purchases-not-a-list", "entry-not-an-object"],
)
def test_json_plan_with_wrong_shape_is_refused(
    tmp_path: Path, scenario: Scenario, document: dict, where: str
) -> None:
    path = write_text(tmp_path / "plan.json", json.dumps(document))
    refused(path, scenario, f"{where}: must be")


@pytest.mark.parametrize("name", ["missing.csv", "missing.json"])
def test_missing_plan_file_is_refused(tmp_path: Path, scenario: Scenario, name: str) -> None:
    refused(tmp_path / name, scenario, "file not found")


# ---------------------------------------------------------------- the Excel form


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """All rows of one sheet as values, header first."""
    workbook = openpyxl.load_workbook(path)
    return list(workbook[sheet].iter_rows(values_only=True))


def by_title(titles: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(titles, row, strict=True))


@pytest.fixture
def workbook_path(tmp_path: Path, scenario: Scenario) -> Path:
    return PLAN.to_excel(tmp_path / "draft.xlsx", scenario)


def test_excel_has_a_sheet_per_part_and_an_about_sheet(workbook_path: Path) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    assert workbook.sheetnames == [OFFICE_SHEET, PURCHASE_SHEET, STAFFING_SHEET, ABOUT_SHEET]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert all(sheet.column_dimensions[cell.column_letter].width >= 8 for cell in sheet[1]), (
            sheet.title
        )


def test_excel_purchase_rows_are_bilingual_with_numeric_cells(workbook_path: Path) -> None:
    header, boat, sandbag, water, *_ = sheet_rows(workbook_path, PURCHASE_SHEET)
    assert header == PURCHASE_TITLES
    assert by_title(PURCHASE_TITLES, boat) == {
        ITEM_ID_TITLE: "boat",
        "物资 item (zh)": "橡皮艇",
        "英文名称 item (en)": "Rubber boat",
        "类别 category": "flood",
        "单位 unit": "艘",
        DEPOT_ID_TITLE: "D_A",
        "储备点 depot": "甲镇 乡镇储备",  # the tiny county's depots have no names of their own
        "层级 tier": "township",
        "数量 quantity": 2,
        "单价 unit price (yuan)": 30000,
        "金额 cost (yuan)": 60000,
    }
    assert (sandbag[1], water[1]) == ("编织袋", "瓶装水")
    assert water[6] == "丙乡 村级储备"
    assert all(isinstance(value, int | float) for value in (*boat[8:], *sandbag[8:], *water[8:]))


def test_excel_purchase_totals_row_holds_the_total_cost_and_subtotals_per_category(
    workbook_path: Path,
) -> None:
    rows = sheet_rows(workbook_path, PURCHASE_SHEET)
    summary = [by_title(PURCHASE_TITLES, row) for row in rows[4:]]
    totals = [(r[ITEM_ID_TITLE], r["类别 category"], r["金额 cost (yuan)"]) for r in summary]
    assert totals == [
        (TOTAL_LABEL, None, PLAN_PURCHASE_COST),
        ("小计 subtotal", "flood", 2 * 30000 + 500 * 2),
        ("小计 subtotal", "living", 10 * 30),
    ]
    assert sum(row[-1] for row in rows[1:4]) == PLAN_PURCHASE_COST


def test_excel_totals_read_by_pandas_are_numbers_summing_the_rows(workbook_path: Path) -> None:
    purchases = pd.read_excel(workbook_path, sheet_name=PURCHASE_SHEET)
    cost = purchases["金额 cost (yuan)"]
    is_total = purchases[ITEM_ID_TITLE] == TOTAL_LABEL
    data = purchases[ITEM_ID_TITLE].isin(["boat", "sandbag", "water"])
    assert cost[is_total].tolist() == [PLAN_PURCHASE_COST]
    assert cost[data].sum() == PLAN_PURCHASE_COST
    assert pd.api.types.is_numeric_dtype(cost)
    staffing = pd.read_excel(workbook_path, sheet_name=STAFFING_SHEET).set_index(TEAM_ID_TITLE)
    assert staffing.loc[TOTAL_LABEL, "年成本 annual cost (yuan)"] == 85000
    assert staffing.loc[TOTAL_LABEL, "计划 planned members"] == 85
    assert staffing.loc["town_A", "年成本 annual cost (yuan)"] == 60000


def test_excel_staffing_rows_show_current_planned_change_and_cost(workbook_path: Path) -> None:
    header, *rows = sheet_rows(workbook_path, STAFFING_SHEET)
    assert header == STAFFING_TITLES
    town_a, social, total = (by_title(STAFFING_TITLES, row) for row in rows)
    assert town_a["队伍 team (zh)"] == "town_A"  # the tiny county names teams by their ids
    assert (town_a["层级 tier"], social["层级 tier"]) == ("township", "social")
    numbers = [
        "现有 current members",
        "计划 planned members",
        "变化 change",
        "人均年成本 cost per member (yuan)",
        "年成本 annual cost (yuan)",
    ]
    assert [town_a[n] for n in numbers] == [50, 60, 10, 1000, 60000]
    assert [social[n] for n in numbers] == [20, 25, 5, 1000, 25000]
    assert [total[n] for n in numbers] == [70, 85, 15, None, 85000]
    assert total[TEAM_ID_TITLE] == TOTAL_LABEL


def test_excel_about_sheet_names_plan_scenario_units_and_how_it_is_read(
    workbook_path: Path,
) -> None:
    about = dict(sheet_rows(workbook_path, ABOUT_SHEET)[1:])
    assert about["方案 plan_id"] == "draft"
    assert about["情景 scenario_id"] == "tiny"
    assert about["情景名称 scenario"] == "小县 Tiny county"
    assert about["采购金额 purchase cost (yuan)"] == PLAN_PURCHASE_COST
    assert about["全部队伍年成本 annual cost of all teams (yuan)"] == PLAN_STAFFING_COST
    assert "元 yuan" in about["金额单位 money"]
    reading = about["读取 reading back"]
    assert "first column" in reading
    assert "ignored on reading" in reading
    assert "合计" in reading


def test_excel_chinese_names_of_real_depots_and_teams_are_shown(
    tmp_path: Path, scenario: Scenario
) -> None:
    depots = [
        dict(d, name_zh="甲镇储备点") if d["depot_id"] == "D_A" else d for d in builders.DEPOTS
    ]
    teams = [dict(t, name_zh="甲镇应急队", name_en="Town A team") for t in builders.TEAMS]
    tables = {"depots": depots, "teams": teams}
    named = load(builders.write_scenario(tmp_path / "named", tables=tables))
    path = PLAN.to_excel(tmp_path / "named.xlsx", named)
    assert sheet_rows(path, PURCHASE_SHEET)[1][6] == "甲镇储备点"
    assert sheet_rows(path, STAFFING_SHEET)[1][1:3] == ("甲镇应急队", "Town A team")


def write_workbook(
    path: Path,
    purchases: list[dict[str, Any]],
    staffing: list[dict[str, Any]],
    *,
    purchase_titles: tuple[str, ...] = ("数量 quantity", "note", "depot_id", "item_id"),
    staffing_titles: tuple[str, ...] = ("计划 planned members", "team_id"),
) -> Path:
    """A hand-made workbook: only the columns read, in an unusual order, and a totals row."""
    keys = {"数量 quantity": "quantity", "计划 planned members": "members"}
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, titles, entries in (
        (PURCHASE_SHEET, purchase_titles, purchases),
        (STAFFING_SHEET, staffing_titles, staffing),
    ):
        sheet = workbook.create_sheet(name)
        sheet.append(list(titles))
        for entry in entries:
            sheet.append([entry.get(keys.get(title, title)) for title in titles])
        sheet.append([TOTAL_LABEL if title.endswith("_id") else 9999 for title in titles])
    workbook.save(path)
    return path


def test_excel_columns_are_found_by_title_not_position(tmp_path: Path, scenario: Scenario) -> None:
    purchases = [{"item_id": "boat", "depot_id": "D_A", "quantity": 2, "note": "急需"}]
    path = write_workbook(tmp_path / "hand.xlsx", purchases, [GOOD_STAFFING])
    assert load_plan(path, scenario) == Plan(
        "hand", (Purchase("boat", "D_A", 2),), (Staffing("town_B", 40),)
    )


def test_excel_titles_and_sheet_names_match_ignoring_case_and_spacing(
    workbook_path: Path, scenario: Scenario
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    purchases, staffing = workbook[PURCHASE_SHEET], workbook[STAFFING_SHEET]
    purchases["A1"], purchases["F1"], purchases["I1"] = "ITEM_ID", " Depot_ID ", "数量  QUANTITY"
    staffing["A1"], staffing["F1"] = "Team_Id", "计划 Planned  Members"
    staffing.title = "人员  Staffing"
    workbook.save(workbook_path)
    assert load_plan(workbook_path, scenario) == PLAN


def test_edited_excel_reads_rows_below_the_totals_and_skips_blank_and_total_rows(
    workbook_path: Path, scenario: Scenario
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook[PURCHASE_SHEET]
    sheet.append([])
    sheet.append(["合计 again", None, None, None, None, None, None, None, 5])
    sheet.append(["  blower ", None, None, None, None, "D_COUNTY", None, None, "4"])
    sheet["B2"] = "edited by hand"  # columns that are not read may say anything
    workbook.save(workbook_path)
    loaded = load_plan(workbook_path, scenario)
    assert loaded.purchases == (*PLAN.purchases, Purchase("blower", "D_COUNTY", 4))
    assert loaded.staffing == PLAN.staffing


def test_excel_quantity_written_as_whole_float_or_text_is_accepted(
    tmp_path: Path, scenario: Scenario
) -> None:
    purchases = [
        {"item_id": "boat", "depot_id": "D_A", "quantity": 3.0},
        {"item_id": "water", "depot_id": "D_A", "quantity": "12"},
    ]
    path = write_workbook(tmp_path / "p.xlsx", purchases, [])
    assert load_plan(path, scenario).purchases == (
        Purchase("boat", "D_A", 3),
        Purchase("water", "D_A", 12),
    )


# ---------------------------------------------------------------- Excel refusals


@pytest.mark.parametrize("case", list(REFUSED_CASES))
def test_bad_excel_plan_is_refused_naming_sheet_row_field_and_value(
    tmp_path: Path, scenario: Scenario, case: str
) -> None:
    purchases, staffing, (part, index), field, value, problem = REFUSED_CASES[case]
    sheet = PURCHASE_SHEET if part == "purchases" else STAFFING_SHEET
    if part == "staffing" and field == "quantity":
        field = "planned members"  # the workbook's name for a team's size
    path = write_workbook(tmp_path / "plan.xlsx", purchases, staffing)
    message = refused(path, scenario, f"sheet {sheet}, row {index + 2}, field {field}", problem)
    assert f"(got {value!r})" in message, message


def test_excel_fractional_quantity_message_is_exactly_one_readable_line(
    workbook_path: Path, scenario: Scenario
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    workbook[PURCHASE_SHEET]["I3"] = 2.5
    workbook.save(workbook_path)
    with pytest.raises(InputError) as caught:
        load_plan(workbook_path, scenario)
    expected = "sheet 采购 purchases, row 3, field quantity: must be a whole number (got 2.5)"
    assert str(caught.value) == f"{workbook_path}: {expected}"


@pytest.mark.parametrize(
    ("purchase", "field"),
    [
        ({"depot_id": "D_A", "quantity": 1}, "item_id"),
        ({"item_id": "boat", "quantity": 1}, "depot_id"),
        ({"item_id": "boat", "depot_id": "D_A", "quantity": "  "}, "quantity"),
    ],
    ids=["item", "depot", "quantity"],
)
def test_excel_row_with_an_empty_cell_is_refused(
    tmp_path: Path, scenario: Scenario, purchase: dict[str, Any], field: str
) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", [GOOD_PURCHASE, purchase], [])
    refused(path, scenario, f"sheet {PURCHASE_SHEET}, row 3, field {field}", "empty cell")


@pytest.mark.parametrize("value", ["two", True], ids=["text", "bool"])
def test_excel_quantity_that_is_not_a_number_is_refused(
    tmp_path: Path, scenario: Scenario, value: object
) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", [], [{"team_id": "town_A", "members": value}])
    where = f"sheet {STAFFING_SHEET}, row 2, field planned members"
    refused(path, scenario, where, "not a number", f"(got {value!r})")


@pytest.mark.parametrize("sheet", [PURCHASE_SHEET, STAFFING_SHEET])
def test_excel_without_a_sheet_is_refused(
    workbook_path: Path, scenario: Scenario, sheet: str
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    del workbook[sheet]
    workbook.save(workbook_path)
    refused(workbook_path, scenario, f"sheet {sheet}: missing sheet", repr(ABOUT_SHEET))


@pytest.mark.parametrize(
    ("sheet", "column", "title"),
    [
        (PURCHASE_SHEET, "I", "数量 quantity"),
        (PURCHASE_SHEET, "F", DEPOT_ID_TITLE),
        (STAFFING_SHEET, "F", "计划 planned members"),
        (STAFFING_SHEET, "A", TEAM_ID_TITLE),
    ],
)
def test_excel_without_a_column_is_refused(
    workbook_path: Path, scenario: Scenario, sheet: str, column: str, title: str
) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    workbook[sheet][f"{column}1"] = "renamed"
    workbook.save(workbook_path)
    refused(workbook_path, scenario, f"sheet {sheet}, row 1: missing column {title!r}")


def test_excel_id_columns_are_read_by_their_key_as_lists_from_before_had_them(
    workbook_path: Path, scenario: Scenario
) -> None:
    """A list saved before the id columns had Chinese titles, or reworded, reads the same."""
    workbook = openpyxl.load_workbook(workbook_path)
    workbook[PURCHASE_SHEET]["A1"], workbook[PURCHASE_SHEET]["F1"] = "item_id", "编号 depot_id"
    workbook[STAFFING_SHEET]["A1"] = "team_id"
    workbook.save(workbook_path)
    read = load_plan(workbook_path, scenario)
    assert (read.purchases, read.staffing) == (PLAN.purchases, PLAN.staffing)


def test_excel_with_a_column_twice_is_refused(workbook_path: Path, scenario: Scenario) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    workbook[PURCHASE_SHEET]["J1"] = "数量 quantity"
    workbook.save(workbook_path)
    refused(workbook_path, scenario, f"sheet {PURCHASE_SHEET}, row 1", "listed twice")


def test_excel_with_an_empty_sheet_is_refused(workbook_path: Path, scenario: Scenario) -> None:
    workbook = openpyxl.load_workbook(workbook_path)
    workbook[STAFFING_SHEET].delete_rows(1, 10)
    workbook.save(workbook_path)
    missing = f"sheet {STAFFING_SHEET}, row 1: missing column {TEAM_ID_TITLE!r}"
    refused(workbook_path, scenario, missing)


def write_zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")


@pytest.mark.parametrize(
    "write",
    [
        lambda path: path.write_bytes(random.Random(7).randbytes(700)),
        lambda path: path.write_text("part,item_id\n", encoding="utf-8"),
        write_zip_without_workbook,
    ],  # 0 bytes: test_a_0_byte_plan_file_is_refused_as_empty_in_every_format
    ids=["random-bytes", "csv-text", "zip-without-workbook"],
)
def test_corrupt_excel_plan_is_refused_in_one_line(
    tmp_path: Path, scenario: Scenario, write: Any
) -> None:
    path = tmp_path / "plan.xlsx"
    write(path)
    refused(path, scenario, "cannot read the workbook")


def test_old_xls_workbook_is_refused_with_a_hint(tmp_path: Path, scenario: Scenario) -> None:
    path = tmp_path / "plan.xls"
    path.write_bytes(random.Random(7).randbytes(100))
    refused(path, scenario, "save it as .xlsx")


def test_missing_excel_plan_file_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    refused(tmp_path / "missing.xlsx", scenario, "file not found")


# ---------------------------------------------------------------- cost breakdown


def test_plan_costs_break_purchases_down_by_category_and_tier_and_staffing_by_tier(
    scenario: Scenario,
) -> None:
    costs = plan_costs(PLAN, scenario)
    assert tuple(costs.columns) == COST_COLUMNS
    assert costs.to_dict("records") == [
        {
            "part": "purchase",
            "category": "flood",
            "tier": "township",
            "cost_yuan": 2 * 30000 + 500 * 2,
            "change_cost_yuan": 2 * 30000 + 500 * 2,
        },
        {
            "part": "purchase",
            "category": "living",
            "tier": "village",
            "cost_yuan": 10 * 30,
            "change_cost_yuan": 10 * 30,
        },
        {
            "part": "staffing",
            "category": "social",
            "tier": "social",
            "cost_yuan": 25 * 1000,
            "change_cost_yuan": 5 * 1000,
        },
        {
            "part": "staffing",
            "category": "township",
            "tier": "township",
            "cost_yuan": 60 * 1000,
            "change_cost_yuan": 10 * 1000,
        },
    ]


def test_plan_costs_sum_to_the_plan_totals_and_the_workbook_totals(
    workbook_path: Path, scenario: Scenario
) -> None:
    costs = plan_costs(PLAN, scenario).groupby("part")[["cost_yuan", "change_cost_yuan"]].sum()
    assert costs.loc["purchase", "cost_yuan"] == pytest.approx(PLAN.purchase_cost_yuan(scenario))
    staffing_change = PLAN.staffing_cost_yuan(scenario) - Plan().staffing_cost_yuan(scenario)
    assert costs.loc["staffing", "change_cost_yuan"] == pytest.approx(staffing_change)
    staffing_total = by_title(STAFFING_TITLES, sheet_rows(workbook_path, STAFFING_SHEET)[-1])
    assert costs.loc["staffing", "cost_yuan"] == staffing_total["年成本 annual cost (yuan)"]
    purchase_total = by_title(PURCHASE_TITLES, sheet_rows(workbook_path, PURCHASE_SHEET)[4])
    assert costs.loc["purchase", "cost_yuan"] == purchase_total["金额 cost (yuan)"]


def test_plan_costs_group_purchases_of_one_category_and_tier_together(
    scenario: Scenario,
) -> None:
    plan = Plan(
        purchases=(
            Purchase("boat", "D_B", 1),
            Purchase("sandbag", "D_C", 10),
            Purchase("sandbag", "D_COUNTY", 5),
        )
    )
    costs = plan_costs(plan, scenario).set_index(["category", "tier"])["cost_yuan"]
    assert costs.to_dict() == {("flood", "county"): 10.0, ("flood", "township"): 30020.0}


def test_plan_costs_of_an_empty_plan_is_an_empty_frame_with_the_columns(
    scenario: Scenario,
) -> None:
    costs = plan_costs(Plan(), scenario)
    assert costs.empty
    assert tuple(costs.columns) == COST_COLUMNS
    assert pd.api.types.is_float_dtype(costs["cost_yuan"])


def test_plan_costs_is_pure(scenario: Scenario) -> None:
    before = dataclasses.replace(PLAN)
    first, second = plan_costs(PLAN, scenario), plan_costs(PLAN, scenario)
    pd.testing.assert_frame_equal(first, second)
    assert first is not second
    assert before == PLAN


FORMULAS = ('=HYPERLINK("http://example.invalid","click")', "=cmd|' /C calc'!A0", "=1+1")


def test_excel_writes_names_that_look_like_formulas_as_text(tmp_path: Path, scenario: Scenario):
    """A depot, item or team named like a formula is a string cell, never a live formula."""
    depots = [
        dict(d, name_zh=FORMULAS[0]) if d["depot_id"] == "D_A" else d for d in builders.DEPOTS
    ]
    items = [dict(i, name_en=FORMULAS[1]) for i in builders.ITEMS]
    teams = [dict(t, name_zh=FORMULAS[2]) for t in builders.TEAMS]
    tables = {"depots": depots, "items": items, "teams": teams}
    named = load(builders.write_scenario(tmp_path / "hostile", tables=tables))
    path = PLAN.to_excel(tmp_path / "hostile.xlsx", named)
    workbook = openpyxl.load_workbook(path)
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    live = [cell for cell in cells if cell.data_type == "f"]
    # the only live formulas: the office list's amounts and its total, ours
    assert {cell.parent.title for cell in live} == {OFFICE_SHEET}
    assert all(re.fullmatch(r"=D\d+\*E\d+|=SUM\(F2:F\d+\)", cell.value) for cell in live)
    shown = {cell.value for cell in cells}
    assert set(FORMULAS) <= shown  # each name kept as written, as text
    back = load_plan(path, named)  # and the plan still reads back
    assert (back.purchases, back.staffing) == (PLAN.purchases, PLAN.staffing)


def test_an_empty_plan_file_is_refused_but_a_header_alone_is_an_empty_plan(
    tmp_path: Path, scenario: Scenario
) -> None:
    empty = tmp_path / "lost.csv"
    empty.write_bytes(b"")
    refused(empty, scenario, "empty file", "no header row")
    header = tmp_path / "nothing.csv"
    header.write_text(",".join(PLAN_CSV_COLUMNS) + "\n", encoding="utf-8")
    plan = load_plan(header, scenario)
    assert (plan.purchases, plan.staffing) == ((), ())


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_a_0_byte_plan_file_is_refused_as_empty_in_every_format(
    tmp_path: Path, scenario: Scenario, suffix: str
) -> None:
    lost = tmp_path / f"lost{suffix}"
    lost.write_bytes(b"")  # JSON said "Expecting value", Excel "File is not a zip file"
    refused(lost, scenario, "empty file (0 bytes")


def test_a_plan_quantity_beyond_a_billion_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    """1e17 units would be summed in floats and served twice over: refused."""
    path = tmp_path / "plan.csv"
    path.write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,boat,D_A,,100000000000000000\n",
        encoding="utf-8",
    )
    refused(path, scenario, "row 2, field quantity", "at most 1,000,000,000")


def test_the_office_list_has_a_numbered_line_per_item_and_formulas_that_add_up(
    tmp_path: Path, scenario: Scenario
) -> None:
    """序号, item, unit, price, quantity, amount = price x quantity, the depot split; SUM total."""
    sandbag = next(i for i in scenario.items if i.item_id == "sandbag")
    named = scenario.model_copy(
        update={
            "items": tuple(
                i.model_copy(update={"name_zh": "=cmd|' /C calc'!A0"}) if i is sandbag else i
                for i in scenario.items
            )
        }
    )
    plan = dataclasses.replace(PLAN, purchases=(*PLAN.purchases, Purchase("sandbag", "D_A", 300)))
    path = plan.to_excel(tmp_path / "office.xlsx", named)
    sheet = openpyxl.load_workbook(path)[OFFICE_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == OFFICE_TITLES
    lines = {row[1]: row for row in rows[1:-1]}
    assert [row[0] for row in rows[1:-1]] == [1, 2, 3]  # one line per item, numbered
    bags = lines["=cmd|' /C calc'!A0"]
    assert bags[4] == 800 and bags[6].count("；") == 1  # two depots beside one line
    assert sheet.cell(row=rows.index(bags) + 1, column=2).data_type == "s"  # a name, not a formula
    total = 0.0
    for number, row in enumerate(rows[1:-1], start=2):
        assert row[5] == f"=D{number}*E{number}"
        total += row[3] * row[4]
    assert rows[-1][1] == "合计" and rows[-1][5] == f"=SUM(F2:F{len(rows) - 1})"
    assert total == plan.purchase_cost_yuan(named)
    assert load_plan(path, named).purchases == plan.purchases  # still read back as the plan
