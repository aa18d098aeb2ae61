"""Replications: the same seed gives the same frames for any number of processes; CRN plans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scenarios
from scenarios.plan import Plan, Purchase
from sim import build_network, simulate
from sim.hazards import draw_events
from sim.metrics import per_replication
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
