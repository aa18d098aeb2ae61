"""The county model: conservation of stock and work, one place per team, growth, survival."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.dispatch import finish_time, work_done_by
from sim.model import CountyModel
from sim.network import SOURCE_TIERS
from sim.rows import ITEM_COLUMNS
from sim.runner import events_for, simulate

DEPOT_COLUMNS = [f"from_{tier}" for tier in SOURCE_TIERS if tier != "agreement"]


def test_finish_time_solves_staggered_arrivals_by_hand():
    # 10 people from t=1, 20 more from t=3: 20 person-hours by t=3, then 30 per hour.
    assert finish_time([1.0, 3.0], [10.0, 20.0], 20.0) == pytest.approx(3.0)
    assert finish_time([1.0, 3.0], [10.0, 20.0], 80.0) == pytest.approx(5.0)
    assert finish_time([3.0, 1.0], [20.0, 10.0], 5.0) == pytest.approx(1.5)
    assert work_done_by([1.0, 3.0], [10.0, 20.0], 4.0) == pytest.approx(50.0)


def test_conservation_served_plus_unmet_equals_demand(tiny_result):
    items = tiny_result.items
    total = items["served_in_time"] + items["served_late"] + items["unmet"]
    np.testing.assert_allclose(total, items["demand"])
    by_source = items[[f"from_{tier}" for tier in SOURCE_TIERS]].sum(axis=1)
    np.testing.assert_allclose(by_source, items["served_in_time"] + items["served_late"])
    assert (items[["demand", "served_in_time", "served_late", "unmet", "lost"]] >= 0).all().all()


def test_conservation_rescue_work_in_time_late_unmet(tiny_result):
    events = tiny_result.events
    total = events["rescue_in_time"] + events["rescue_late"] + events["rescue_unmet"]
    np.testing.assert_allclose(total, events["rescue_person_hours"])


def _stepped(network, seed, replication):
    """Run a replication one SimPy event at a time, checking stock never goes negative."""
    events = events_for(network, seed, replication)
    model = CountyModel(network, events, seed, replication)
    horizon = network.scenario.horizon_h
    while model.env.peek() < horizon:
        model.env.step()
        assert (model.stock >= -1e-9).all(), f"negative stock at t={model.env.now}"
    return model


@pytest.mark.parametrize("replication", range(6))
def test_conservation_stock_never_negative_and_balances(tiny_network, replication):
    model = _stepped(tiny_network, 3, replication)
    # The raw rows, in the record's column order (codes, not labels, in the id columns).
    frame = pd.DataFrame(np.vstack(model.item_rows), columns=list(ITEM_COLUMNS))
    frame = frame.rename(columns={"item_id": "item"})
    drawn = frame.groupby("item")[DEPOT_COLUMNS].sum().sum(axis=1)
    drawn = drawn.reindex(range(tiny_network.n_items), fill_value=0.0).to_numpy()
    initial = tiny_network.initial_stock
    equipment = tiny_network.item_is_equipment
    # Consumables: what left the depots is exactly what the events drew.
    used = (initial - model.stock).sum(axis=0)
    np.testing.assert_allclose(used[~equipment], drawn[~equipment])
    # Equipment: everything is in a depot, on its way back, or lost.
    balance = model.stock + model.on_loan + model.lost
    np.testing.assert_allclose(balance[:, equipment], initial[:, equipment])
    lost = frame.groupby("item")["lost"].sum().reindex(range(tiny_network.n_items), fill_value=0)
    np.testing.assert_allclose(model.lost.sum(axis=0), lost.to_numpy())


def test_equipment_returns_to_its_own_depot_after_the_event(tiny_network):
    for replication in range(10):
        model = _stepped(tiny_network, 5, replication)
        model.env.run()  # let every return trip finish
        equipment = tiny_network.item_is_equipment
        np.testing.assert_allclose(model.on_loan, 0.0, atol=1e-9)
        np.testing.assert_allclose(
            (model.stock + model.lost)[:, equipment], tiny_network.initial_stock[:, equipment]
        )


def test_a_team_is_never_in_two_places(tiny_result):
    dispatches = tiny_result.dispatches.sort_values(["replication", "team_id", "dispatched_h"])
    for _, group in dispatches.groupby(["replication", "team_id"], observed=True):
        starts = group["dispatched_h"].to_numpy()
        ends = group["back_at_base_h"].to_numpy()
        assert (starts[1:] >= ends[:-1] - 1e-9).all()
        assert (group["arrival_h"] >= group["dispatched_h"]).all()
        assert (group["leave_scene_h"] >= group["arrival_h"] - 1e-9).all()


def test_forest_fires_grow_when_reached_late(tiny_result):
    fires = tiny_result.events[tiny_result.events["hazard"] == "forest_fire"]
    late = fires["first_arrival_h"] - fires["impact_h"] - 1.0  # grace 1 h in the tiny county
    expected = np.exp(0.2 * np.maximum(late, 0.0))
    np.testing.assert_allclose(fires["growth_factor"], expected)
    assert (fires.loc[late > 0, "growth_factor"] > 1).all()


def test_trapped_survival_falls_with_time(tiny_result):
    slides = tiny_result.events[tiny_result.events["trapped"] > 0]
    assert len(slides) > 0
    assert (slides["trapped_lost"] >= 0).all()
    assert (slides["trapped_lost"] <= slides["trapped"]).all()
    slow = slides["first_arrival_h"] - slides["impact_h"]
    share_lost = slides["trapped_lost"] / slides["trapped"]
    assert np.corrcoef(slow, share_lost)[0, 1] > 0


def test_handled_level_agrees_with_what_was_sent(tiny_result):
    events = tiny_result.events
    items = tiny_result.items
    unmet = items.groupby(["replication", "event_id"])["unmet"].sum()
    key = pd.MultiIndex.from_frame(events[["replication", "event_id"]])
    event_unmet = unmet.reindex(key, fill_value=0.0).to_numpy()
    outside = (event_unmet > 0) | (events["rescue_unmet"].to_numpy() > 0)
    assert ((events["handled_level"] == "outside").to_numpy() == outside).all()


def test_default_county_smoke(default_scenario):
    result = simulate(default_scenario, reps=3, seed=1)
    assert len(result.events) > 0
    assert result.items["demand"].sum() > 0
    assert set(result.events["hazard"].cat.categories) == {
        h.hazard_id for h in default_scenario.hazards
    }
