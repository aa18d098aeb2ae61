"""Plans: JSON and CSV round trips, hand-computed costs, and one-line refusals."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from scenarios import InputError, Plan, Scenario, load, load_plan
from scenarios.plan import PLAN_CSV_COLUMNS, Purchase, Staffing
from tests import builders

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
    with pytest.raises(InputError) as caught:
        load_plan(path, scenario)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    assert caught.value.file == str(path)
    rest = message.removeprefix(f"{path}: ")  # the tmp_path itself may contain any word
    for fragment in fragments:
        assert fragment in rest, (fragment, message)
    return message


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


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_empty_plan_round_trips(tmp_path: Path, scenario: Scenario, suffix: str) -> None:
    empty = Plan(plan_id="nothing")
    path = tmp_path / f"nothing{suffix}"
    if suffix == ".json":
        write_text(path, empty.to_json())
    else:
        write_plan_csv(path, empty.to_csv_rows())
    assert load_plan(path, scenario) == empty


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


def test_non_utf8_csv_plan_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes("part,item_id,depot_id,team_id,quantity\n购买,boat,D_A,,1\n".encode("gbk"))
    refused(path, scenario, "cannot read")


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
