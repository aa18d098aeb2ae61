"""Reserve norms: read and refused at the edge, compliance by hand, kept by the optimiser."""

from __future__ import annotations

import copy

import pytest

import scenarios
from optimize.demand import sample_years
from optimize.model import Budgets, build_problem, extract_plan, solve
from scenarios.norms import compliance, units_to_reach
from scenarios.plan import Plan, Purchase
from scenarios.rules import breaches, least_units
from sim import build_network
from tests import builders
from tests.support import expect_input_error

# The tiny county (builders.STOCK) holds 360 cases of water (300 at the county depot, 20 in
# each village store) and 2,800 sandbags; an agreement below delivers 100 cases of water.
NORMS = [
    {"item_id": "water", "required_units": 1000, "physical_share": 0.5},
    {"item_id": "sandbag", "required_units": 2000, "physical_share": 0.5},
]
AGREEMENTS = [
    {
        "agreement_id": "AG1",
        "supplier_zh": "超市",
        "township_id": "A",
        "item_id": "water",
        "max_quantity": 100,
        "lead_time_h": 4,
    }
]


def _write(folder, as_constraints: bool, norms=None):
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["norm_rules"] = {"as_constraints": as_constraints}
    tables = {"norms": NORMS if norms is None else norms, "agreements": AGREEMENTS}
    return builders.write_scenario(folder, toml, tables)


@pytest.fixture(scope="module")
def normed(tmp_path_factory):
    return scenarios.load(_write(tmp_path_factory.mktemp("normed"), as_constraints=True))


def test_compliance_today_and_after_a_plan_by_hand(normed):
    # Water: 360 held, 100 agreed. Own stock must reach 50% of 1,000 = 500 (140 short) and
    # own plus agreed must reach 1,000 (540 short): 540 cases of 30 yuan = 16,200 yuan.
    # Sandbags: 2,800 held, no agreement: 2,800 >= 1,000 and >= 2,000: met.
    water, sandbag = compliance(normed, Plan())
    assert (water.held_today, water.agreed_units, water.meets_today) == (360, 100, False)
    assert (water.units_short_after, water.cost_to_meet_yuan) == (540, 16_200.0)
    assert (sandbag.held_today, sandbag.meets_today, sandbag.units_short_after) == (2800, True, 0)
    bought = Plan("p", (Purchase("water", "D_COUNTY", 500),))
    water, _ = compliance(normed, bought)
    assert (water.bought, water.held_after, water.meets_after) == (500, 860, False)
    assert (water.units_short_after, water.cost_to_meet_yuan) == (40, 1_200.0)
    water, _ = compliance(normed, bought.with_units("water", "D_A", 40))
    assert water.meets_after and water.units_short_after == 0


def test_norms_as_constraints_become_least_purchases(normed, tmp_path):
    assert units_to_reach(normed, "water") == 540
    assert least_units(normed, normed.item("water")) == 540
    reported = scenarios.load(_write(tmp_path, as_constraints=False))
    assert least_units(reported, reported.item("water")) == 0  # only reported


def test_the_optimiser_reaches_every_norm_when_they_are_constraints(normed):
    network = build_network(normed)
    years = sample_years(network, seed=2, count=20)
    saa = build_problem(network, years, Budgets(40_000))
    assert solve(saa, mip_gap=0.0).optimal
    plan = extract_plan(saa, network)
    assert all(row.meets_after for row in compliance(normed, plan))
    assert breaches(plan, normed) == []
    # Without the norm the same budget leaves water short of it: the test can fail.
    free = normed.model_copy(update={"norms": ()})
    network = build_network(free)
    saa = build_problem(network, years, Budgets(40_000))
    solve(saa, mip_gap=0.0)
    assert not compliance(normed, extract_plan(saa, network))[0].meets_after


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"item_id": "juice"}, ("row 2, field item_id", "unknown id")),
        ({"required_units": -5}, ("row 2, field required_units",)),
        ({"required_units": "1e12"}, ("row 2, field required_units",)),
        ({"physical_share": 1.5}, ("row 2, field physical_share",)),
        ({"physical_share": "nan"}, ("row 2, field physical_share", "finite")),
    ],
)
def test_bad_norms_are_refused_in_one_line(tmp_path, change, fragments):
    norms = copy.deepcopy(NORMS)
    norms[0].update(change)
    path = _write(tmp_path, True, norms)
    expect_input_error(lambda: scenarios.load(path), path.parent / "norms.csv", *fragments)


def test_a_norm_listed_twice_is_refused(tmp_path):
    path = _write(tmp_path, True, [NORMS[0], NORMS[0]])
    expect_input_error(
        lambda: scenarios.load(path), path.parent / "norms.csv", "item_id", "duplicate"
    )


def test_the_plan_workbook_carries_the_compliance_sheet_and_still_loads_back(normed, tmp_path):
    from openpyxl import load_workbook

    plan = Plan("p", (Purchase("water", "D_COUNTY", 500),))
    path = plan.to_excel(tmp_path / "plan.xlsx", normed)
    sheet = load_workbook(path)["达标 norms"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    # Water: 360 held + 500 bought = 860, 40 short of 1,000 less the 100 agreed: 1,200 yuan.
    water = rows["water"]
    assert water[4:] == (1000, 0.5, 100, 360, 500, 860, "否 no", 40, 1200.0)
    assert rows["sandbag"][10] == "是 yes"
    assert rows["合计 total"][12] == 1200.0
    assert scenarios.load_plan(path, normed).purchases == plan.purchases
