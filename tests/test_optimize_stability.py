"""Plan stability: shared money by hand, and small real solves on the tiny county."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimize import stability
from optimize.demand import IN_SAMPLE_OFFSET, sample_years
from optimize.model import Budgets
from optimize.saa import OUT_OF_SAMPLE_OFFSET
from optimize.stability import (
    STABILITY_OFFSET,
    Stability,
    UnsolvedSampleError,
    half_sample_stability,
    plan_stability,
    shared_money,
)
from scenarios.plan import Plan, Purchase

# The tiny county's unit prices: sandbag 2, boat 30,000, water 30, blower 3,500 yuan.
BUDGETS = Budgets(20_000)  # small enough that the plans mix items and depots


def _plan(*purchases: tuple[str, str, int]) -> Plan:
    return Plan("hand", tuple(Purchase(*p) for p in purchases))


def test_identical_plans_share_all_their_money(tiny_network):
    plan = _plan(("sandbag", "D_A", 1000), ("water", "D_B", 20))
    for by in ("item", "item_depot"):
        assert shared_money(plan, plan, tiny_network, by) == 1.0


def test_plans_buying_different_items_share_nothing(tiny_network):
    first = _plan(("sandbag", "D_A", 1000))
    second = _plan(("water", "D_A", 10), ("blower", "D_C", 1))
    for by in ("item", "item_depot"):
        assert shared_money(first, second, tiny_network, by) == 0.0


def test_a_partial_overlap_is_the_common_money_over_the_larger_total(tiny_network):
    # first: sandbag 2,000 yuan at D_A, water 3,000 at D_A; 5,000 in all.
    first = _plan(("sandbag", "D_A", 1000), ("water", "D_A", 100))
    # second: sandbag 1,000 at D_A, water 6,000 at D_B, a blower 3,500 at D_C; 10,500.
    second = _plan(("sandbag", "D_A", 500), ("water", "D_B", 200), ("blower", "D_C", 1))
    # By item: min(2,000, 1,000) + min(3,000, 6,000) + min(0, 3,500) = 4,000.
    assert shared_money(first, second, tiny_network) == pytest.approx(4000 / 10500)
    # By item and depot the water is at different depots: only the 1,000 of sandbags.
    assert shared_money(first, second, tiny_network, "item_depot") == pytest.approx(1000 / 10500)
    assert shared_money(second, first, tiny_network) == shared_money(first, second, tiny_network)


def test_the_same_item_at_different_depots_is_shared_by_item_only(tiny_network):
    first = _plan(("water", "D_A", 100))
    second = _plan(("water", "D_B", 100))
    assert shared_money(first, second, tiny_network, "item") == 1.0
    assert shared_money(first, second, tiny_network, "item_depot") == 0.0


def test_purchases_of_one_key_are_added_up(tiny_network):
    split = _plan(("water", "D_A", 40), ("water", "D_A", 60))
    whole = _plan(("water", "D_A", 100))
    assert shared_money(split, whole, tiny_network, "item_depot") == 1.0


def test_empty_plans_share_everything_and_share_nothing_with_a_purchase(tiny_network):
    empty = Plan("empty")
    assert shared_money(empty, empty, tiny_network) == 1.0
    assert shared_money(empty, empty, tiny_network, "item_depot") == 1.0
    assert shared_money(empty, _plan(("boat", "D_B", 1)), tiny_network) == 0.0


def test_unknown_items_and_groupings_are_refused(tiny_network):
    plan = _plan(("water", "D_A", 1))
    with pytest.raises(ValueError, match="not in the network"):
        shared_money(plan, _plan(("tent", "D_A", 1)), tiny_network)
    with pytest.raises(ValueError, match="unknown grouping"):
        shared_money(plan, plan, tiny_network, by="depot")


def test_stable_needs_both_the_mean_and_the_worst_pair():
    def by_item(*shares: float) -> Stability:
        return Stability(50, len(shares), shares, shares)

    assert by_item(0.86, 0.86, 0.86).stable
    assert not by_item(0.95, 0.95, 0.74).stable  # mean 0.88, but one pair below 0.75
    assert not by_item(0.80, 0.80, 0.80).stable  # every pair above 0.75, mean below 0.85
    assert by_item(0.95, 0.95, 0.74).worst_by_item == 0.74


def test_stability_samples_are_clear_of_the_other_blocks():
    assert IN_SAMPLE_OFFSET < OUT_OF_SAMPLE_OFFSET < STABILITY_OFFSET
    assert STABILITY_OFFSET - OUT_OF_SAMPLE_OFFSET >= 1_000_000


@pytest.fixture(scope="module")
def tiny_stability(tiny_network):
    return plan_stability(tiny_network, BUDGETS, seed=3, years=6, pairs=2)


def test_plan_stability_gives_one_share_per_pair_in_the_unit_interval(tiny_stability):
    assert tiny_stability.years == 6
    assert tiny_stability.pairs == 2
    assert len(tiny_stability.by_item) == len(tiny_stability.by_item_depot) == 2
    assert len(tiny_stability.solve_s) == 4
    for share in (*tiny_stability.by_item, *tiny_stability.by_item_depot):
        assert 0.0 <= share <= 1.0
    # Where the units are kept can only add disagreement.
    for item, item_depot in zip(tiny_stability.by_item, tiny_stability.by_item_depot, strict=True):
        assert item_depot <= item + 1e-12
    assert tiny_stability.worst_by_item <= tiny_stability.mean_by_item


def test_plan_stability_is_reproducible(tiny_stability, tiny_network):
    again = plan_stability(tiny_network, BUDGETS, seed=3, years=6, pairs=2)
    assert again == tiny_stability


def test_identical_halves_give_identical_plans(tiny_network):
    years = sample_years(tiny_network, seed=3, count=6)
    result = half_sample_stability(tiny_network, years + years, BUDGETS)
    assert result.years == 6
    assert result.pairs == 1
    assert result.by_item == (1.0,)
    assert result.by_item_depot == (1.0,)


def test_half_samples_of_an_odd_sample_leave_the_last_year_out(tiny_network):
    years = sample_years(tiny_network, seed=3, count=6)
    odd = half_sample_stability(tiny_network, [*years, years[0]], BUDGETS)
    even = half_sample_stability(tiny_network, years, BUDGETS)
    assert odd == even
    with pytest.raises(ValueError, match="at least two"):
        half_sample_stability(tiny_network, years[:1], BUDGETS)


def test_a_solve_without_a_solution_is_refused(tiny_network, monkeypatch):
    real_solve = stability.solve

    def no_solution(*args, **kwargs):
        return replace(real_solve(*args, **kwargs), solution="No Solution Found")

    monkeypatch.setattr(stability, "solve", no_solution)
    with pytest.raises(UnsolvedSampleError, match="found no plan"):
        plan_stability(tiny_network, BUDGETS, seed=3, years=2, pairs=1)
