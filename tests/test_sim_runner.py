"""Replications: the same seed gives the same frames for any number of processes; CRN plans."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.comparison import compare_results
from optimize.demand import sample_years
from planner.pipeline import judge
from scenarios.plan import Plan, Purchase
from scenarios.size import MAX_RUN_EVENTS, expected_events
from sim import build_network, simulate
from sim.hazards import draw_events, replication_weights
from sim.metrics import per_replication, summarize, weighted_unmet_per_year
from sim.runner import events_for, hazard_stream
from tests import builders


def _assert_same(first, second):
    for name in ("events", "items", "dispatches", "stock"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))


def test_reproducible_same_seed_same_frames(tiny_scenario):
    _assert_same(simulate(tiny_scenario, reps=8, seed=5), simulate(tiny_scenario, reps=8, seed=5))


def test_reproducible_across_jobs(tiny_scenario):
    serial = simulate(tiny_scenario, reps=12, seed=5, jobs=1)
    parallel = simulate(tiny_scenario, reps=12, seed=5, jobs=2)
    _assert_same(serial, parallel)


def test_different_seed_different_frames(tiny_scenario):
    first = simulate(tiny_scenario, reps=8, seed=5).events
    second = simulate(tiny_scenario, reps=8, seed=6).events
    assert not first.equals(second)


def test_replication_k_is_the_same_year_whatever_the_run_length(tiny_scenario):
    long = simulate(tiny_scenario, reps=6, seed=9)
    alone = simulate(tiny_scenario, reps=1, seed=9, first_replication=4)
    expected = long.events[long.events["replication"] == 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.events, expected)


def test_common_random_numbers_plans_see_the_same_events(tiny_scenario):
    plan = Plan("more", (Purchase("water", "V_C", 200), Purchase("boat", "D_COUNTY", 3)))
    base = simulate(tiny_scenario, reps=10, seed=2)
    more = simulate(tiny_scenario, plan, reps=10, seed=2)
    columns = ["replication", "event_id", "hazard", "township_id", "impact_h", "severity_people"]
    pd.testing.assert_frame_equal(base.events[columns], more.events[columns])


@pytest.mark.parametrize(
    ("item", "depot", "quantity"),
    [("water", "V_C", 300), ("sandbag", "D_B", 2000), ("water", "D_COUNTY", 50)],
)
def test_more_stock_never_more_unmet_of_that_item(tiny_scenario, item, depot, quantity):
    plan = Plan("more", (Purchase(item, depot, quantity),))
    base = simulate(tiny_scenario, reps=30, seed=4)
    more = simulate(tiny_scenario, plan, reps=30, seed=4)

    def unmet(result):
        rows = result.items[result.items["item_id"] == item]
        return per_replication(rows, "unmet", result.replications)

    assert (unmet(more) <= unmet(base) + 1e-9).all()
    assert unmet(more).sum() <= unmet(base).sum()


def test_rain_episode_hazards_keep_their_annual_rates(tiny_scenario):
    network = build_network(tiny_scenario)
    counts = {h.hazard_id: 0 for h in tiny_scenario.hazards}
    years = 2000
    for year in range(years):
        for event in draw_events(tiny_scenario, network, hazard_stream(1, year)):
            counts[tiny_scenario.hazards[event.hazard].hazard_id] += 1
    for hazard in tiny_scenario.hazards:
        rate = counts[hazard.hazard_id] / years
        # Negative binomial years are overdispersed; 10% is several standard errors here.
        assert rate == pytest.approx(hazard.annual_rate, rel=0.1), hazard.hazard_id


def test_rain_episodes_put_floods_and_landslides_in_the_same_storm(tiny_scenario):
    network = build_network(tiny_scenario)
    shared = 0
    for year in range(300):
        events = draw_events(tiny_scenario, network, hazard_stream(2, year))
        storms: dict[int, set[int]] = {}
        for event in events:
            if event.episode >= 0:
                storms.setdefault(event.episode, set()).add(event.hazard)
        shared += sum(1 for hazards in storms.values() if len(hazards) > 1)
    assert shared > 0


def test_events_fall_in_the_hazard_season(tiny_scenario):
    network = build_network(tiny_scenario)
    months = []
    for year in range(200):
        for event in draw_events(tiny_scenario, network, hazard_stream(3, year)):
            if tiny_scenario.hazards[event.hazard].hazard_id == "flood":
                months.append(
                    int(
                        np.searchsorted(
                            np.cumsum(builders.FLAT_MONTHS) * 24, event.impact_h, side="right"
                        )
                    )
                )
    assert set(months) <= {4, 5, 6, 7, 8}  # May-September, zero-based


def test_replay_runs_recorded_events_as_given(tmp_path):
    rows = [
        {
            "year": 2020,
            "time_h": 4500,
            "township_id": "A",
            "hazard": "flood",
            "severity_people": 1200,
            "demand.sandbag": 5000,
        },
        {
            "year": 2020,
            "time_h": 4510,
            "township_id": "B",
            "hazard": "landslide",
            "severity_people": 30,
        },
        {
            "year": 2021,
            "date": "",
            "time_h": 100,
            "township_id": "C",
            "hazard": "forest_fire",
            "severity_people": 0,
        },
    ]
    replay = tmp_path / "events_2020.csv"
    builders.write_csv(replay, rows)
    path = builders.write_scenario(tmp_path, extra_tables={"replay": "events_2020.csv"})
    scenario = scenarios.load(path)
    network = build_network(scenario)
    year0 = events_for(network, 1, 0)
    assert [(e.township, e.impact_h, e.severity_people) for e in year0] == [
        (0, 4500, 1200),
        (1, 4510, 30),
    ]
    assert year0[0].demand[network.item_ids.index("sandbag")] == 5000
    result = simulate(scenario, reps=4, seed=1)
    counts = result.events.groupby("replication").size()
    assert counts.to_dict() == {0: 2, 1: 1, 2: 2, 3: 1}
    sandbags = result.items[
        (result.items["item_id"] == "sandbag") & (result.items["replication"] == 0)
    ]
    assert sandbags["demand"].sum() == 5000


# ---------------------------------------------------------------- replayed years with probabilities

# Two recorded years: 2019 (one large flood) at probability 0.25, 2020 (a landslide and a
# flood) at 0.75. No rescue work, so every penalty is whole item penalties times 1 or
# late_fraction 0.5: sums of such numbers are exact in floating point.
WEIGHTED_ROWS = [
    {"year": 2019, "time_h": 4500, "township_id": "A", "hazard": "flood", "severity_people": 3000},
    {
        "year": 2020,
        "time_h": 4600,
        "township_id": "C",
        "hazard": "landslide",
        "severity_people": 400,
    },
    {"year": 2020, "time_h": 4601, "township_id": "B", "hazard": "flood", "severity_people": 2900},
]


def replayed(tmp_path, probabilities: dict[int, float] | None):
    hazards = copy.deepcopy(builders.HAZARDS)
    for hazard in hazards:
        hazard["rescue_person_hours_base"] = 0
        hazard["rescue_person_hours_per_person"] = 0.0
    rows = [
        row | ({"probability": probabilities[row["year"]]} if probabilities else {})
        for row in WEIGHTED_ROWS
    ]
    builders.write_csv(tmp_path / "replay.csv", rows)
    path = builders.write_scenario(tmp_path, hazards=hazards, extra_tables={"replay": "replay.csv"})
    return scenarios.load(path)


@pytest.fixture(scope="module")
def weighted_pair(tmp_path_factory):
    """The same two years with probabilities 0.25 and 0.75, and with none."""
    weighted = replayed(tmp_path_factory.mktemp("weighted"), {2019: 0.25, 2020: 0.75})
    plain = replayed(tmp_path_factory.mktemp("plain"), None)
    return weighted, plain


def test_replication_weights_split_a_years_probability_over_its_replications(weighted_pair):
    weighted, plain = weighted_pair
    weights = replication_weights(weighted, range(5))  # years 0, 1, 0, 1, 0
    assert weights is not None
    assert weights.index.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(weights, [0.25 / 3, 0.75 / 2, 0.25 / 3, 0.75 / 2, 0.25 / 3])
    assert weights.sum() == pytest.approx(1.0)
    assert replication_weights(plain, range(5)) is None


def test_sampled_and_unweighted_runs_carry_no_weights(weighted_pair, tiny_scenario):
    _, plain = weighted_pair
    assert simulate(plain, reps=2, seed=1).weights is None
    assert simulate(tiny_scenario, reps=2, seed=1).weights is None


def test_weighted_mean_is_the_probability_weighted_mean_of_the_years(weighted_pair):
    weighted, plain = weighted_pair
    a, b = weighted_unmet_per_year(simulate(plain, reps=2, seed=1)).tolist()
    assert 0 < a != b > 0, "the two years should cost something, and differently"
    result = simulate(weighted, reps=2, seed=1)
    assert weighted_unmet_per_year(result).tolist() == [a, b]  # weights change no year
    summary = summarize(result).set_index(["metric", "group"])
    headline = summary.loc[("weighted_unmet", "all")]
    assert headline["mean"] == 0.25 * a + 0.75 * b
    assert headline["ci_low"] < headline["mean"] < headline["ci_high"]
    plain_summary = summarize(simulate(plain, reps=2, seed=1)).set_index(["metric", "group"])
    assert plain_summary.loc[("weighted_unmet", "all"), "mean"] == (a + b) / 2
    # Events per year: 1 in 2019, 2 in 2020.
    assert summary.loc[("events", "all"), "mean"] == 0.25 * 1 + 0.75 * 2


def test_every_year_counts_by_its_probability_however_often_it_is_replayed(weighted_pair):
    weighted, _ = weighted_pair
    result = simulate(weighted, reps=5, seed=1)  # 2019 three times, 2020 twice
    yearly = weighted_unmet_per_year(result).to_numpy()
    expected = 0.25 * yearly[[0, 2, 4]].mean() + 0.75 * yearly[[1, 3]].mean()
    summary = summarize(result).set_index(["metric", "group"])
    assert summary.loc[("weighted_unmet", "all"), "mean"] == pytest.approx(expected, rel=1e-12)


def test_evaluation_and_comparison_use_the_weights(weighted_pair):
    weighted, plain = weighted_pair
    a, b = weighted_unmet_per_year(simulate(plain, reps=2, seed=1)).tolist()
    buy = Plan("sandbags", (Purchase("sandbag", "D_A", 5000),))
    evaluation = judge(weighted, [status_quo(), buy], reps=2, seed=1).evaluation
    assert evaluation.loc[0, "weighted_unmet_mean"] == 0.25 * a + 0.75 * b
    results = {p.plan_id: simulate(weighted, p, reps=2, seed=1) for p in (status_quo(), buy)}
    headline = compare_results(results, "status_quo").iloc[0]
    assert headline["reference_mean"] == 0.25 * a + 0.75 * b
    after = weighted_unmet_per_year(results["sandbags"]).to_numpy()
    assert headline["plan_mean"] == pytest.approx(0.25 * after[0] + 0.75 * after[1], rel=1e-12)


def test_a_hundred_thousand_replayed_years_can_be_sampled(tmp_path):
    years = 100_000
    lines = ["replication,time_h,township_id,hazard,severity_people"]
    lines += [f"{k},{k % 8000},{'ABC'[k % 3]},flood,{k % 50}" for k in range(years)]
    (tmp_path / "replay.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = builders.write_scenario(tmp_path, extra_tables={"replay": "replay.csv"})
    network = build_network(scenarios.load(path))
    sample = sample_years(network, seed=1, count=years, first=0)
    assert len(sample) == years
    for k in (0, 1, 54_321, years - 1):
        (event,) = sample[k]
        assert (event.event.impact_h, event.event.severity_people) == (k % 8000, k % 50)
        assert network.township_ids[event.event.township] == "ABC"[k % 3]


# ---------------------------------------------------------------- a run's size


def _busy_county(tmp_path) -> scenarios.Scenario:
    """The tiny county with 20,000 fires a year: about 20,005 events a simulated year."""
    hazards = copy.deepcopy(builders.HAZARDS)
    hazards[2]["annual_rate"] = 20_000.0
    return scenarios.load(builders.write_scenario(tmp_path, hazards=hazards))


def test_a_run_of_more_events_than_memory_holds_is_refused_before_it_starts(tmp_path):
    county = _busy_county(tmp_path)
    assert expected_events(county) == 20_005.125  # hazards 20,005 and 2.5 storm episodes
    with pytest.raises(scenarios.InputError) as caught:
        simulate(county, reps=1000)  # 20 million events: filled the memory for an hour
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{county.source_path}: reps: 1,000 simulated years")
    assert f"more than the {MAX_RUN_EVENTS:,}" in message
    assert f"run at most {int(MAX_RUN_EVENTS / 20_005.125):,} years at a time" in message


def test_the_optimisers_sample_is_sized_like_a_run(tmp_path):
    county = _busy_county(tmp_path)
    with pytest.raises(scenarios.InputError, match="sampled years: 5,000 simulated years"):
        sample_years(build_network(county), county.seed, 5000)


def test_everyday_calls_and_years_count_toward_a_run(tmp_path):
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["horizon_days"] = 730  # two years a replication
    teams = copy.deepcopy(builders.TEAMS)
    teams[0]["everyday_calls_per_year"] = 10_000  # ten events' worth
    county = scenarios.load(builders.write_scenario(tmp_path, toml=toml, tables={"teams": teams}))
    assert expected_events(county) == pytest.approx((2 + 3 + 3 + 2.5 / 20 + 10) * 2)


def test_the_bundled_countys_most_years_fit_in_a_run():
    county = scenarios.load()
    # a hundred times the default 200 judging years, in one run
    assert expected_events(county) * 20_000 < MAX_RUN_EVENTS
