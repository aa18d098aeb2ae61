"""When purchases arrive ([delivery], items' lead_time_days): read, defaulted, refused.

The money is approved on a day of the year and the purchases reach their depots a
lead time later. Every refusal is one line naming the file, the field and the
value, and the CLI exits 2 without writing anything.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from scenarios import load
from scenarios.ledger import opening_lots
from scenarios.schema import day_of_year
from sim import build_network
from tests import builders
from tests.support import expect_input_error, run_main


def _write(folder: Path, delivery: dict[str, Any] | None = None, **columns: Any) -> Path:
    """The tiny county with a [delivery] section and item columns (item_id -> {column: value})."""
    toml = copy.deepcopy(builders.TOML_BASE)
    if delivery is not None:
        toml["delivery"] = delivery
    items = copy.deepcopy(builders.ITEMS)
    for item in items:
        item.update(columns.get(item["item_id"], {}))
    return builders.write_scenario(folder, toml=toml, tables={"items": items})


def test_without_a_delivery_section_purchases_are_there_from_the_start(tmp_path):
    scenario = load(_write(tmp_path))
    assert [scenario.delivery_h(item) for item in scenario.items] == [0.0] * 4
    assert not build_network(scenario).item_delivery_h.any()


def test_approval_as_month_and_day_plus_lead_time_hand_computed(tmp_path):
    """1 March is day 60 of a common year, its start hour 59 x 24; 60 days later is 30 April."""
    path = _write(
        tmp_path, {"approval_day": "03-01", "lead_time_days": 60}, boat={"lead_time_days": 120}
    )
    scenario = load(path)
    assert scenario.delivery.approval_day == 60
    network = build_network(scenario)
    delivery = dict(zip(network.item_ids, network.item_delivery_h.tolist(), strict=True))
    assert delivery["sandbag"] == (59 + 60) * 24.0  # 2,856 h
    assert delivery["boat"] == (59 + 120) * 24.0  # its own lead time overrides


def test_approval_as_a_day_of_the_year_equals_its_month_and_day(tmp_path):
    by_day = load(_write(tmp_path / "day", {"approval_day": 60, "lead_time_days": 0.5}))
    by_date = load(_write(tmp_path / "date", {"approval_day": "03-01", "lead_time_days": 0.5}))
    assert by_day.delivery == by_date.delivery
    assert day_of_year(1, 1) == 1 and day_of_year(12, 31) == 365


def test_stock_on_order_arrives_with_the_purchases_and_counts_in_the_ledger(tmp_path):
    toml = copy.deepcopy(builders.TOML_BASE) | {"delivery": {"lead_time_days": 30}}
    stock = [
        {"depot_id": "D_A", "item_id": "boat", "quantity": 2},
        {"depot_id": "D_A", "item_id": "boat", "quantity": 3, "on_order": "true"},
    ]
    scenario = load(builders.write_scenario(tmp_path, toml=toml, tables={"stock": stock}))
    network = build_network(scenario)
    at = network.depot_ids.index("D_A"), network.item_ids.index("boat")
    assert (network.initial_stock[at], network.arriving_stock[at], network.year_stock[at]) == (
        2.0,
        3.0,
        5.0,
    )
    lots = {lot.quantity: lot for lot in opening_lots(scenario)}
    assert lots[3].purchase_year == scenario.ledger.plan_year and not lots[3].assumed_year


# --- refusals ---------------------------------------------------------------------------------


def _stock_on_order_of_another_year(folder: Path) -> tuple[Path, str, tuple[str, ...]]:
    stock = [{"depot_id": "D_A", "item_id": "boat", "quantity": 1, "on_order": "true",
              "purchase_year": 2020}]  # fmt: skip
    path = builders.write_scenario(folder, tables={"stock": stock})
    return path, "stock.csv", ("row 2, field purchase_year", "on order", "2020")


REFUSED = {
    "negative-lead": ({"lead_time_days": -1}, {}, "scenario", ("delivery.lead_time_days", "-1")),
    "lead-past-a-year": ({"lead_time_days": 400}, {}, "scenario", ("lead_time_days", "400")),
    "nan-lead": ({"lead_time_days": "nan"}, {}, "scenario", ("delivery.lead_time_days", "nan")),
    "approval-day-0": ({"approval_day": 0}, {}, "scenario", ("delivery.approval_day", "0")),
    "approval-day-367": ({"approval_day": 367}, {}, "scenario", ("delivery.approval_day", "367")),
    "approval-30-february": (
        {"approval_day": "02-30"}, {}, "scenario", ("delivery.approval_day", "02-30"),
    ),
    "approval-true": ({"approval_day": True}, {}, "scenario", ("delivery.approval_day", "True")),
    "approval-half-day": ({"approval_day": 60.5}, {}, "scenario", ("approval_day", "60.5")),
    "unknown-key": ({"lead_days": 5}, {}, "scenario", ("delivery.lead_days", "unknown key")),
    "delivery-after-the-year": (
        {"approval_day": "11-01", "lead_time_days": 90}, {}, "scenario",
        ("delivery.lead_time_days", "after the year's end", "90"),
    ),
    "item-lead-after-the-year": (
        {"approval_day": "11-01"}, {"boat": {"lead_time_days": 70}}, "items",
        ("row 3, field lead_time_days", "boat", "after the year's end", "70"),
    ),
    "item-lead-negative": (
        None, {"water": {"lead_time_days": -3}}, "items", ("row 4, field lead_time_days", "-3"),
    ),
    "item-lead-not-a-number": (
        None, {"water": {"lead_time_days": "soon"}}, "items",
        ("row 4, field lead_time_days", "soon"),
    ),
}  # fmt: skip


def _bad(name: str, folder: Path) -> tuple[Path, Path, tuple[str, ...]]:
    """The scenario path, the file the refusal must name, and what its line must hold."""
    if name == "on-order-of-another-year":
        path, table, fragments = _stock_on_order_of_another_year(folder)
        return path, folder / table, fragments
    delivery, columns, where, fragments = REFUSED[name]
    if delivery is not None and delivery.get("lead_time_days") == "nan":
        path = _write(folder, {"approval_day": 1})
        text = path.read_text(encoding="utf-8").replace("approval_day = 1", "lead_time_days = nan")
        path.write_text(text, encoding="utf-8")
    else:
        path = _write(folder, delivery, **columns)
    return path, path if where == "scenario" else folder / f"{where}.csv", fragments


CASES = [*REFUSED, "on-order-of-another-year"]


@pytest.mark.parametrize("name", CASES)
def test_bad_timing_is_refused_in_one_line_naming_file_field_and_value(name, tmp_path):
    path, file, fragments = _bad(name, tmp_path)
    expect_input_error(lambda: load(path), file, *fragments)


@pytest.mark.parametrize("command", ["simulate", "optimize"])
@pytest.mark.parametrize("name", ["delivery-after-the-year", "item-lead-after-the-year"])
def test_the_cli_refuses_bad_timing_exits_2_and_writes_nothing(
    name, command, tmp_path, monkeypatch
):
    path, file, fragments = _bad(name, tmp_path / "inputs")
    out = tmp_path / "out"
    code, stdout, stderr = run_main(command, path, "--reps", "5", "--out", out,
                                    monkeypatch=monkeypatch)  # fmt: skip
    assert code == 2 and stdout == ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(file) in lines[0]
    assert all(fragment in lines[0] for fragment in fragments)
    assert not out.exists()
