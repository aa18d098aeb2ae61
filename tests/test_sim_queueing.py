"""The queueing core against theory: Erlang C (events wait) and Erlang B (events lost).

A county of one township and ``c`` identical one-person teams with no travel
or mobilisation time, Poisson calls and exponential work is an M/M/c queue.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

import scenarios
from optimize.everyday import erlang_b as everyday_erlang_b
from scenarios.schema import EverydayCalls
from sim import simulate
from sim.dispatch import HOURS_PER_YEAR as HOURS
from sim.dispatch import duty_crews, everyday_calls, unanswered_calls
from sim.metrics import mean_ci, ratio_ci
from tests import builders

SERVERS = 3
MEAN_WORK_H = 2.0
CALLS_PER_HOUR = 1.05  # offered load a = 2.1 Erlang, utilisation 0.7
# Several theory checks share one run; a 99% interval keeps the family's false alarms rare.
CONFIDENCE = 0.99


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (recursive form)."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that a call waits in M/M/c."""
    blocking = erlang_b(servers, load)
    rho = load / servers
    return blocking / (1 - rho + rho * blocking)


def queue_scenario(tmp_path, when_no_team: str) -> scenarios.Scenario:
    toml = copy.deepcopy(builders.TOML_BASE)
    del toml["rain_episodes"]
    toml["scenario"]["horizon_days"] = 180
    toml["travel"]["local_travel_h"] = {"plain": 0.0, "hill": 0.0, "mountain": 0.0}
    toml["dispatch"]["when_no_team"] = when_no_team
    toml["dispatch"]["issue_delay_h"] = {"village": 0.0, "township": 0.0, "county": 0.0}
    town = copy.deepcopy(builders.TOWNSHIPS[0])
    teams = []
    for k in range(SERVERS):
        team = builders._team(f"t{k}", "county", "A", 1, "water_rescue", 1e-9)
        team["mobilisation_sigma"] = 0.0
        teams.append(team)
    hazard = {
        "hazard_id": "call",
        "name_zh": "求助",
        "trigger": "independent",
        "annual_rate": CALLS_PER_HOUR * 8760,
        "exposure": "population",
        "month_weights": builders.FLAT_MONTHS,
        "severity_median_people": 0,
        "severity_sigma": 0,
        "duration_median_h": 0.001,
        "rescue_skill": "water_rescue",
        "rescue_person_hours_base": MEAN_WORK_H,
        "rescue_work_distribution": "exponential",
        "rescue_deadline_h": 8784,  # a year: no call is ever late
        "max_teams": 1,
    }
    path = builders.write_scenario(
        tmp_path,
        toml=toml,
        tables={
            "townships": [town],
            "depots": [builders.DEPOTS[0], builders.DEPOTS[1], builders.DEPOTS[4]],
            "stock": None,
            "agreements": None,
            "teams": teams,
            "demand": [
                {"hazard": "call", "item_id": "water", "per_event": 0, "deadline_h": 1},
            ],
        },
        hazards=[hazard],
    )
    return scenarios.load(path)


@pytest.fixture(scope="module")
def load() -> float:
    return CALLS_PER_HOUR * MEAN_WORK_H


def test_erlang_c_probability_of_waiting_and_mean_wait(tmp_path, load):
    scenario = queue_scenario(tmp_path, "queue")
    result = simulate(scenario, reps=12, seed=11, jobs=2)
    events = result.events
    waited = events.assign(w=(events["wait_for_team_h"] > 0).astype(float))
    p_wait = waited.groupby("replication")["w"].mean()
    mean_wait = events.groupby("replication")["wait_for_team_h"].mean()
    theory_p = erlang_c(SERVERS, load)
    theory_wait = theory_p * MEAN_WORK_H / (SERVERS - load)
    _, low, high = mean_ci(p_wait, CONFIDENCE)
    assert low <= theory_p <= high, (low, theory_p, high)
    _, low, high = mean_ci(mean_wait, CONFIDENCE)
    assert low <= theory_wait <= high, (low, theory_wait, high)
    # Every call was eventually served, and never by two teams.
    assert (events["teams_dispatched"] == 1).all()
    assert events["rescue_unmet"].sum() == 0


def test_erlang_b_share_of_calls_lost_when_no_team_is_free(tmp_path, load):
    scenario = queue_scenario(tmp_path, "lost")
    result = simulate(scenario, reps=12, seed=12, jobs=2)
    events = result.events
    lost = events.assign(lost=(events["teams_dispatched"] == 0).astype(float))
    share = lost.groupby("replication")["lost"].mean()
    theory = erlang_b(SERVERS, load)
    _, low, high = mean_ci(share, CONFIDENCE)
    assert low <= theory <= high, (low, theory, high)
    assert math.isclose(
        events.loc[events["teams_dispatched"] == 0, "rescue_unmet"].sum(),
        events.loc[events["teams_dispatched"] == 0, "rescue_person_hours"].sum(),
    )


def test_poisson_call_count_matches_rate(tmp_path):
    scenario = queue_scenario(tmp_path, "lost")
    result = simulate(scenario, reps=8, seed=13)
    counts = result.events.groupby("replication").size()
    expected = CALLS_PER_HOUR * scenario.horizon_h
    _, low, high = mean_ci(counts, CONFIDENCE)
    assert low <= expected <= high


# --- everyday calls: a station's duty crews as a loss system (Erlang B) -----------------------


def test_unanswered_everyday_calls_match_erlang_b():
    """Poisson calls, exponential time out, no queue: the share missed is Erlang B."""
    everyday = EverydayCalls(crew_members=5, on_duty_share=0.5, call_hours=3.0)
    per_year, crews = 2000.0, duty_crews(20, everyday)  # 20 members: 10 on duty, 2 crews
    assert crews == 2
    missed, calls = [], []
    for replication in range(300):
        arrivals, durations = everyday_calls(7, replication, 0, per_year, HOURS, everyday)
        missed.append(unanswered_calls(arrivals, durations, crews))
        calls.append(len(arrivals))
    load = per_year / HOURS * everyday.call_hours
    share, low, high = ratio_ci(pd.Series(missed, dtype=float), pd.Series(calls, dtype=float))
    assert low <= erlang_b(crews, load) <= high
    assert share > 0.05  # the check bites: about 12% of calls are missed
    assert everyday_erlang_b(crews, load) == pytest.approx(erlang_b(crews, load), rel=1e-12)


def test_unanswered_calls_by_hand():
    arrivals = np.array([0.0, 1.0, 1.5, 2.0, 5.0])
    durations = np.array([2.0, 2.0, 1.0, 1.0, 1.0])
    # one crew: out 0-2, so the calls at 1 and 1.5 are missed; 2.0 finds it back; 5.0 too
    assert unanswered_calls(arrivals, durations, 1) == 2
    # two crews: 0-2 and 1-3 out, so 1.5 is missed; 2.0 takes the first crew back
    assert unanswered_calls(arrivals, durations, 2) == 1
    assert unanswered_calls(arrivals, durations, 0) == 5  # no crew on duty: none answered
