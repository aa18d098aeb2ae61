"""The stock ledger across the years: lives, failures, rotation, by hand and conserved."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scenarios
from scenarios.ledger import (
    Lot,
    assumed_purchase_year,
    carried_share,
    close_year,
    last_year,
    opening_lots,
    units_by_place,
    upkeep_yuan,
)
from tests import builders
from tests.support import expect_input_error

# Water keeps two years; a pump lasts three, fails 10% a year new and 5 points more a year.
AGEING = {
    "water": {"shelf_life_years": 2, "upkeep_yuan_per_year": 0},
    "boat": {
        "service_life_years": 3,
        "failure_rate_per_year": 0.1,
        "failure_rate_growth": 0.05,
        "upkeep_yuan_per_year": 1500,
    },
}


def _items(changes=AGEING):
    items = copy.deepcopy(builders.ITEMS)
    for item in items:
        item.update(changes.get(item["item_id"], {}))
    return items


def _county(folder, stock=None, ledger=None, items=None):
    toml = builders.TOML_BASE | {"ledger": {"plan_year": 2027} | (ledger or {})}
    tables = {"items": _items() if items is None else items}
    if stock is not None:
        tables["stock"] = stock
    path = builders.write_scenario(folder, toml=toml, tables=tables)
    return path, scenarios.load(path)


STOCK = [
    {"depot_id": "D_COUNTY", "item_id": "water", "quantity": 100, "purchase_year": 2026},
    {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 20, "purchase_year": 2026},
    {"depot_id": "D_A", "item_id": "sandbag", "quantity": 500, "purchase_year": 2010},
]


def test_a_consumable_and_a_failing_machine_through_the_years_by_hand(tmp_path):
    _, scenario = _county(tmp_path, STOCK)
    lots = opening_lots(scenario)
    assert {(lot.item_id, lot.purchase_year) for lot in lots} == {
        ("water", 2026), ("boat", 2026), ("sandbag", 2010),
    }  # fmt: skip
    items = {item.item_id: item for item in scenario.items}
    assert last_year(items["water"], 2026) == 2027 and last_year(items["boat"], 2026) == 2028
    assert last_year(items["sandbag"], 2010) is None  # no shelf life given: it keeps
    # 2027: the boats are a year old, 15% fail: 3 of 20; the water's last year ends
    year = close_year(scenario, lots, 2027)
    assert _units(year.failed) == {("D_COUNTY", "boat"): 3}
    assert _units(year.scrapped) == {("D_COUNTY", "water"): 100}
    assert _units(year.kept) == {("D_COUNTY", "boat"): 17, ("D_A", "sandbag"): 500}
    assert upkeep_yuan(scenario, lots) == 20 * 1500
    # 2028: two years old, 20% of 17 = 3.4: 3 fail; the 14 left reach their last year
    year = close_year(scenario, year.kept, 2028)
    assert _units(year.failed) == {("D_COUNTY", "boat"): 3}
    assert _units(year.scrapped) == {("D_COUNTY", "boat"): 14}
    assert _units(year.kept) == {("D_A", "sandbag"): 500}
    assert year.recovery_yuan == 0


def test_consumables_are_rotated_before_they_expire_at_a_recovered_value(tmp_path):
    ledger = {"rotate_before_years": 1, "rotation_recovery_share": 0.4}
    stock = [{"depot_id": "D_COUNTY", "item_id": "water", "quantity": 100, "purchase_year": 2027}]
    _, scenario = _county(tmp_path, stock, ledger)
    # bought 2027, lasts through 2028, rotated a year early: at the end of 2027
    year = close_year(scenario, opening_lots(scenario), 2027)
    assert _units(year.rotated) == {("D_COUNTY", "water"): 100} and not year.scrapped
    assert year.recovery_yuan == pytest.approx(0.4 * 30 * 100)


def test_what_a_purchase_carries_out_of_its_year_by_hand(tmp_path):
    """Straight line over the years held, net of first-year failures and of rotation's return.

    The boat: held 3 years, 10% fail new, so 0.9 x (1 - 1/3) = 0.6 of its price.
    The water: held 2 years and scrapped, 1 - 1/2; rotated a year early at 40%,
    it leaves in its first year and carries the recovery alone. The sandbags keep.
    """
    _, scenario = _county(tmp_path / "scrap")
    _, rotating = _county(
        tmp_path / "rotate", ledger={"rotate_before_years": 1, "rotation_recovery_share": 0.4}
    )
    items = {item.item_id: item for item in scenario.items}
    assert carried_share(scenario, items["boat"]) == pytest.approx(0.9 * 2 / 3)
    assert carried_share(scenario, items["water"]) == pytest.approx(0.5)
    assert carried_share(rotating, items["water"]) == pytest.approx(0.4)
    assert carried_share(scenario, items["sandbag"]) == 1.0
    assert carried_share(rotating, items["boat"]) == pytest.approx(0.6)  # equipment is scrapped


def test_a_stock_line_without_a_year_is_assumed_and_says_so(tmp_path):
    stock = [{"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 5}]
    _, half = _county(tmp_path / "half", stock)
    _, new = _county(tmp_path / "new", stock, {"unknown_age": "new"})
    boat = next(item for item in half.items if item.item_id == "boat")
    assert assumed_purchase_year(half, boat) == 2026  # 3-year life: floor(1.5) = 1 year ago
    assert assumed_purchase_year(new, boat) == 2026
    (lot,) = opening_lots(half)
    assert lot.assumed_year and lot.purchase_year == 2026


def test_the_ledger_keeps_every_unit_year_after_year(tmp_path):
    """Conservation: each year's lots = kept + failed + rotated + scrapped, by place and year."""
    _, scenario = _county(tmp_path, ledger={"rotate_before_years": 1})
    rng = np.random.default_rng(4)
    names = [item.item_id for item in scenario.items]
    lots = [
        Lot("D_COUNTY", str(rng.choice(names)), int(rng.integers(2024, 2028)),
            int(rng.integers(1, 500)))
        for _ in range(60)
    ]  # fmt: skip
    for year in range(2027, 2035):
        closed = close_year(scenario, lots, year)
        out = [*closed.kept, *closed.failed, *closed.rotated, *closed.scrapped]
        assert _units(out, by_year=True) == _units(lots, by_year=True)
        lots = list(closed.kept)
    lasting = {item.item_id for item in scenario.items if item.life_years is None}
    assert {lot.item_id for lot in lots} <= lasting  # after eight years only they are left


def _units(lots, by_year=False):
    if not by_year:
        return units_by_place(lots)
    totals = {}
    for lot in lots:
        key = (lot.depot_id, lot.item_id, lot.purchase_year)
        totals[key] = totals.get(key, 0) + lot.quantity
    return totals


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        ({"purchase_year": 2030}, ("row 2, field purchase_year", "after the plan year 2027")),
        ({"item_id": "water", "purchase_year": 2024}, ("row 2, field purchase_year", "2025")),
        ({"purchase_year": 1200}, ("row 2, field purchase_year",)),
        ({"purchase_year": "2026.5"}, ("row 2, field purchase_year",)),
    ],
)
def test_bad_purchase_years_are_refused_in_one_line(tmp_path, row, fragments):
    stock = [{"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 5} | row]
    path = builders.write_scenario(
        tmp_path,
        toml=builders.TOML_BASE | {"ledger": {"plan_year": 2027}},
        tables={"items": _items(), "stock": stock},
    )
    expect_input_error(lambda: scenarios.load(path), path.parent / "stock.csv", *fragments)


@pytest.mark.parametrize(
    ("item", "change", "fragment"),
    [
        ("boat", {"shelf_life_years": 2}, "equipment has a service_life_years"),
        ("water", {"service_life_years": 2}, "a consumable has a shelf_life_years"),
        ("water", {"failure_rate_per_year": 0.1}, "only equipment fails"),
        ("boat", {"service_life_years": 0}, "service_life_years"),
        ("boat", {"service_life_years": "inf"}, "service_life_years"),
        ("boat", {"failure_rate_per_year": 1.5}, "failure_rate_per_year"),
        ("boat", {"upkeep_yuan_per_year": -1}, "upkeep_yuan_per_year"),
    ],
)
def test_bad_lives_and_failures_are_refused_in_one_line(tmp_path, item, change, fragment):
    path = builders.write_scenario(tmp_path, tables={"items": _items({item: change})})
    expect_input_error(lambda: scenarios.load(path), path.parent / "items.csv", fragment)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"plan_year": 10_000}, "ledger.plan_year"),
        ({"unknown_age": "old"}, "ledger.unknown_age"),
        ({"rotate_before_years": -1}, "ledger.rotate_before_years"),
        ({"rotation_recovery_share": 2}, "ledger.rotation_recovery_share"),
        ({"rotate_every": 2}, "ledger.rotate_every"),
    ],
)
def test_bad_ledger_section_is_refused_in_one_line(tmp_path, values, fragment):
    path = builders.write_scenario(tmp_path, toml=builders.TOML_BASE | {"ledger": values})
    expect_input_error(lambda: scenarios.load(path), path, fragment)


def test_the_default_county_gives_every_item_a_life_and_keeps_its_units(default_scenario):
    assert all(item.life_years for item in default_scenario.items)
    lots = opening_lots(default_scenario)
    assert all(lot.assumed_year for lot in lots)  # its stock table gives no purchase years
    closed = close_year(default_scenario, lots, default_scenario.ledger.plan_year)
    out = [*closed.kept, *closed.failed, *closed.rotated, *closed.scrapped]
    assert _units(out, by_year=True) == _units(lots, by_year=True)
    water = {lot.purchase_year for lot in closed.scrapped if lot.item_id == "bottled_water"}
    assert water == {2026}  # two years' shelf life, assumed bought a year before 2027
    assert upkeep_yuan(default_scenario, lots) > 0


def test_a_depot_holds_an_item_bought_in_several_years_as_several_lots(tmp_path):
    stock = [
        {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 2, "purchase_year": 2025},
        {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 3, "purchase_year": 2027},
    ]
    _, scenario = _county(tmp_path, stock)
    assert units_by_place(opening_lots(scenario)) == {("D_COUNTY", "boat"): 5}
    # the 2025 boats reach the end of their three years in 2027, the 2027 ones keep
    closed = close_year(scenario, opening_lots(scenario), 2027)
    assert {lot.purchase_year for lot in closed.scrapped} == {2025}
    twice = [*stock, stock[0]]
    path = builders.write_scenario(
        tmp_path / "twice",
        toml=builders.TOML_BASE | {"ledger": {"plan_year": 2027}},
        tables={"items": _items(), "stock": twice},
    )
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "stock.csv",
        "depot_id/item_id/purchase_year",
        "duplicate",
    )
