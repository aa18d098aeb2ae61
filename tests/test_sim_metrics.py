"""Metrics are pure functions of the frames: checked on small frames computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scenarios.schema import Outcomes
from sim import metrics
from sim.records import SimulationResult


def test_mean_ci_matches_student_t_by_hand():
    mean, low, high = metrics.mean_ci([1.0, 2.0, 3.0, 4.0])
    # sd = 1.29099, se = 0.645497, t(0.975, 3) = 3.182446
    assert mean == pytest.approx(2.5)
    assert high - mean == pytest.approx(3.182446 * 0.645497, rel=1e-5)
    assert mean - low == pytest.approx(high - mean)


def test_mean_ci_of_one_value_has_no_interval():
    mean, low, high = metrics.mean_ci([5.0])
    assert mean == 5.0
    assert np.isnan(low)
    assert np.isnan(high)


def test_ratio_ci_is_the_ratio_of_sums():
    ratio, low, high = metrics.ratio_ci([1, 2, 3], [2, 4, 6])
    assert ratio == pytest.approx(0.5)
    assert low == pytest.approx(0.5)  # every year has the same ratio: no spread
    assert high == pytest.approx(0.5)


def test_quantile_ci_brackets_the_median():
    values = np.arange(1, 101, dtype=float)
    median, low, high = metrics.quantile_ci(values, 0.5)
    assert median == pytest.approx(50.5)
    assert low < median < high
    # n p -/+ 1.96 sqrt(n p (1 - p)) = 50 -/+ 9.8: ranks 40 and 60 (0-based).
    assert (low, high) == (41.0, 61.0)


def _result() -> SimulationResult:
    events = pd.DataFrame(
        {
            "replication": [0, 0, 2],
            "event_id": [0, 1, 0],
            "hazard": pd.Categorical(["flood", "fire", "flood"], categories=["flood", "fire"]),
            "township_id": pd.Categorical(["A", "B", "A"], categories=["A", "B"]),
            "item_shortfall_yuan": [100.0, 10.0, 40.0],
            "rescue_shortfall_yuan": [5.0, 0.0, 1.0],
            "response_h": [1.0, 2.0, 3.0],
            "handled_level": pd.Categorical(
                ["township", "county", "outside"], categories=["township", "county", "outside"]
            ),
            "trapped_lost": [0.5, 0.0, 1.5],
            "kit_saved_h": [30.0, 0.0, 60.0],
            "evacuated_before_impact": [10.0, 0.0, 0.0],
            "to_evacuate": [20.0, 0.0, 5.0],
            "severity_people": [100.0, 500.0, 50.0],
        }
    )
    items = pd.DataFrame(
        {
            "replication": [0, 0, 2],
            "event_id": [0, 1, 0],
            "category": pd.Categorical(["flood", "living", "flood"]),
            "shortfall_yuan": [100.0, 10.0, 40.0],
            "demand": [10.0, 5.0, 4.0],
            "served_in_time": [8.0, 5.0, 0.0],
        }
    )
    empty = pd.DataFrame()
    return SimulationResult(events, items, empty, empty, np.array([0, 1, 2]))


def test_yearly_totals_count_quiet_years_as_zero():
    yearly = metrics.weighted_unmet_per_year(_result())
    assert yearly.tolist() == [115.0, 0.0, 41.0]


def test_breakdowns_add_up_to_the_headline():
    result = _result()
    total = metrics.weighted_unmet_per_year(result)
    for table in (
        metrics.weighted_unmet_by_hazard(result),
        metrics.weighted_unmet_by_township(result),
        metrics.weighted_unmet_by_category(result),
    ):
        np.testing.assert_allclose(table.sum(axis=1), total)
    by_hazard = metrics.weighted_unmet_by_hazard(result)
    assert by_hazard["flood"].tolist() == [105.0, 0.0, 41.0]
    assert metrics.weighted_unmet_by_category(result)["rescue_work"].tolist() == [5.0, 0.0, 1.0]


def test_summary_rows_by_hand():
    summary = metrics.summarize(_result()).set_index(["metric", "group"])
    assert summary.loc[("weighted_unmet", "all"), "mean"] == pytest.approx(52.0)
    assert summary.loc[("events", "all"), "mean"] == pytest.approx(1.0)
    assert summary.loc[("share_in_township", "all"), "mean"] == pytest.approx(1 / 3)
    assert summary.loc[("share_needing_outside_help", "all"), "mean"] == pytest.approx(1 / 3)
    # Small events (under 300 people): the first of year 0, in the township; year 2's, not.
    assert summary.loc[("share_in_township", "size=small"), "mean"] == pytest.approx(1 / 2)
    assert summary.loc[("share_in_township", "size=large"), "mean"] == pytest.approx(0.0)
    assert summary.loc[("trapped_lost", "all"), "mean"] == pytest.approx(2 / 3)
    assert summary.loc[("kit_saved_h", "all"), "mean"] == pytest.approx(30.0)  # 90 h / 3 years
    assert summary.loc[("kit_saved_h", "all"), "unit"] == "person-hours / year"
    assert summary.loc[("evacuated_before_impact", "all"), "mean"] == pytest.approx(10 / 25)
    assert summary.loc[("items_in_time", "all"), "mean"] == pytest.approx(13 / 19)
    assert summary.loc[("response_p50", "all"), "mean"] == pytest.approx(2.0)
    assert list(summary.columns) == ["unit", "mean", "ci_low", "ci_high", "n"]


def test_people_without_relief_at_the_first_relief_hour_by_hand():
    result = _result()
    items = pd.DataFrame(
        {
            "replication": [0, 0, 0, 0, 2],
            "event_id": [0, 0, 0, 1, 0],
            "item_id": pd.Categorical(["water", "tent", "quilt", "water", "quilt"]),
            "demand": [20.0, 2.0, 15.0, 100.0, 5.0],
            "served_by_first_relief": [10.0, 2.0, 0.0, 100.0, 4.0],
            "category": pd.Categorical(["living"] * 5),
            "served_in_time": [10.0, 2.0, 0.0, 100.0, 4.0],
            "shortfall_yuan": [0.0] * 5,
        }
    )
    needs = {"water": ("water",), "shelter": ("tent", "quilt")}
    ruled = SimulationResult(
        result.events,
        items,
        result.dispatches,
        result.stock,
        result.replications,
        outcomes=Outcomes(relief_items=needs),
    )
    table = metrics.people_without_relief(ruled)
    # Year 0: 100 people x half their water short; shelter: the quilt wholly short (the
    # most-short item), 100 people; the 500-people event got all its water. Year 2: 50
    # people x a fifth of their quilts. "any" takes the need most short per event.
    assert table["water"].tolist() == [50.0, 0.0, 0.0]
    assert table["shelter"].tolist() == pytest.approx([100.0, 0.0, 10.0])
    assert table["any"].tolist() == pytest.approx([100.0, 0.0, 10.0])
    summary = metrics.summarize(ruled).set_index(["metric", "group"])
    row = summary.loc[("people_without_relief", "need=any")]
    assert row["mean"] == pytest.approx(110 / 3)
    assert row["unit"] == "people / year at 12 h"


def test_an_event_needs_outside_help_only_past_the_scenarios_share(tiny_scenario):
    """With outside_help_share 0 any unmet unit counts; with 1 nothing can."""
    from sim import simulate

    events = simulate(tiny_scenario, reps=30, seed=4).events
    assert (events["handled_level"] == "outside").any()
    lenient = tiny_scenario.model_copy(update={"outcomes": Outcomes(outside_help_share=1.0)})
    levels = simulate(lenient, reps=30, seed=4).events["handled_level"]
    assert not (levels == "outside").any()
    # The same events, so those that left their township still did.
    assert (levels == "township").sum() == (events["handled_level"] == "township").sum()


# ---------------------------------------------------------------- weighted replications


def test_weighted_mean_ci_by_hand_with_kish_effective_size():
    x, w = [1.0, 2.0, 4.0], [1.0, 1.0, 2.0]  # scaled to 0.25, 0.25, 0.5
    mean, low, high = metrics.mean_ci(x, weights=w)
    assert mean == pytest.approx(2.75)
    # n_eff = 1 / (0.25^2 + 0.25^2 + 0.5^2) = 8/3; weighted variance 1.6875, unbiased for
    # n_eff: 1.6875 * n_eff / (n_eff - 1) = 2.7; se = sqrt(2.7 / n_eff); t with n_eff - 1 dof.
    assert metrics.effective_size(np.array(w)) == pytest.approx(8 / 3)
    half = stats.t.ppf(0.975, 5 / 3) * np.sqrt(2.7 / (8 / 3))
    assert high - mean == pytest.approx(half)
    assert mean - low == pytest.approx(half)


def test_equal_weights_give_the_unweighted_interval():
    x = [3.0, 1.0, 4.0, 1.0, 5.0]
    np.testing.assert_allclose(metrics.mean_ci(x, weights=[0.2] * 5), metrics.mean_ci(x))
    y = [6.0, 2.0, 9.0, 3.0, 8.0]
    np.testing.assert_allclose(metrics.ratio_ci(x, y, weights=[7.0] * 5), metrics.ratio_ci(x, y))


def test_weighted_ratio_is_the_ratio_of_weighted_sums():
    ratio, low, high = metrics.ratio_ci([1.0, 3.0], [2.0, 4.0], weights=[0.75, 0.25])
    assert ratio == pytest.approx((0.75 * 1 + 0.25 * 3) / (0.75 * 2 + 0.25 * 4))
    assert low < ratio < high


def test_weighted_quantile_is_where_the_share_of_weight_reaches_q():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    median, _, _ = metrics.quantile_ci(values, 0.5, weights=np.array([0.1, 0.1, 0.1, 0.7]))
    assert median == 4.0
    median, _, _ = metrics.quantile_ci(values, 0.5, weights=np.array([0.6, 0.0, 0.0, 0.4]))
    assert median == 1.0


def test_one_year_of_positive_weight_has_no_interval():
    mean, low, high = metrics.mean_ci([2.0, 9.0], weights=[1.0, 0.0])
    assert mean == 2.0
    assert np.isnan(low)
    assert np.isnan(high)


def test_weights_are_matched_on_replication_and_must_cover_every_one():
    yearly = pd.Series([10.0, 20.0], index=[4, 7])
    weights = pd.Series([0.75, 0.25], index=[7, 4])
    assert metrics.mean_ci(yearly, weights=weights)[0] == pytest.approx(0.25 * 10 + 0.75 * 20)
    with pytest.raises(ValueError, match="one per value"):
        metrics.mean_ci(yearly, weights=pd.Series([1.0], index=[4]))


def test_weighted_summary_rows_by_hand():
    result = _result()
    weights = pd.Series([0.5, 0.25, 0.25], index=[0, 1, 2])
    weighted = SimulationResult(
        result.events, result.items, result.dispatches, result.stock, result.replications, weights
    )
    summary = metrics.summarize(weighted).set_index(["metric", "group"])
    # Yearly headline 115, 0, 41; events 2, 0, 1; trapped lost 0.5, 0, 1.5.
    assert summary.loc[("weighted_unmet", "all"), "mean"] == pytest.approx(0.5 * 115 + 0.25 * 41)
    assert summary.loc[("events", "all"), "mean"] == pytest.approx(0.5 * 2 + 0.25 * 1)
    assert summary.loc[("trapped_lost", "all"), "mean"] == pytest.approx(0.5 * 0.5 + 0.25 * 1.5)
    # Items in time: (0.5 * 13 + 0.25 * 0) / (0.5 * 15 + 0.25 * 4).
    assert summary.loc[("items_in_time", "all"), "mean"] == pytest.approx(6.5 / 8.5)
    # Responses 1 h, 2 h (weight 0.5 each) and 3 h (0.25): the weighted median is 2 h.
    assert summary.loc[("response_p50", "all"), "mean"] == 2.0
    assert summary.loc[("response_p90", "all"), "mean"] == 3.0


def test_summary_intervals_never_reach_below_zero():
    """One rare large year among quiet ones: the t interval's low end is cut at 0."""
    events = _result().events.iloc[:1].copy()
    events["item_shortfall_yuan"] = 1e6
    items = _result().items.iloc[:1].copy()
    rare = SimulationResult(events, items, pd.DataFrame(), pd.DataFrame(), np.arange(40))
    assert metrics.mean_ci(metrics.weighted_unmet_per_year(rare))[1] < 0  # t would go below
    summary = metrics.summarize(rare)
    assert (summary["ci_low"].dropna() >= 0).all()
