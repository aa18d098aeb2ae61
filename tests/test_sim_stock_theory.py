"""Stock against theory: a year's shortage of a stock that is never replenished.

One township, one consumable held at the village store, events arriving as a
Poisson process (rate lambda per year) each needing d units. Stock S is drawn
down and never restocked, so the year's unmet demand is exactly (d N - S)+ with
N ~ Poisson(lambda), and its mean is sum_n P(N = n) (d n - S)+ — the expected
shortage of the newsvendor with Poisson demand.
"""

from __future__ import annotations

import copy
import math

import pytest

import scenarios
from sim import simulate
from sim.metrics import mean_ci, per_replication
from tests import builders

RATE_PER_YEAR = 6.0
UNITS_PER_EVENT = 10
CONFIDENCE = 0.99


def expected_shortage(rate: float, units: int, stock: int) -> float:
    """E[(units N - stock)+] for N ~ Poisson(rate), summed until the tail is negligible."""
    total, probability, n = 0.0, math.exp(-rate), 0
    while n < 200:
        total += probability * max(units * n - stock, 0)
        n += 1
        probability *= rate / n
    return total


def depletion_scenario(tmp_path, stock: int) -> scenarios.Scenario:
    toml = copy.deepcopy(builders.TOML_BASE)
    del toml["rain_episodes"]
    hazard = {
        "hazard_id": "call",
        "name_zh": "求助",
        "trigger": "independent",
        "annual_rate": RATE_PER_YEAR,
        "exposure": "population",
        "month_weights": builders.FLAT_MONTHS,
        "severity_median_people": 0,
        "severity_sigma": 0,
        "duration_median_h": 1,
        "rescue_skill": "water_rescue",
        "rescue_person_hours_base": 0,
        "rescue_deadline_h": 1,
    }
    path = builders.write_scenario(
        tmp_path,
        toml=toml,
        tables={
            "townships": [builders.TOWNSHIPS[0]],
            "depots": [builders.DEPOTS[0], builders.DEPOTS[1], builders.DEPOTS[4]],
            "stock": [{"depot_id": "V_A", "item_id": "water", "quantity": stock}],
            "agreements": None,
            "teams": [builders._team("t", "county", "A", 1, "water_rescue", 1)],
            "demand": [
                {
                    "hazard": "call",
                    "item_id": "water",
                    "per_event": UNITS_PER_EVENT,
                    "deadline_h": 1,
                }
            ],
        },
        hazards=[hazard],
    )
    return scenarios.load(path)


@pytest.mark.parametrize("stock", [0, 30, 60, 100])
def test_yearly_shortage_matches_poisson_expected_shortage(tmp_path, stock):
    result = simulate(depletion_scenario(tmp_path, stock), reps=1000, seed=21, jobs=2)
    unmet = per_replication(result.items, "unmet", result.replications)
    theory = expected_shortage(RATE_PER_YEAR, UNITS_PER_EVENT, stock)
    _, low, high = mean_ci(unmet, CONFIDENCE)
    assert low <= theory <= high, (low, theory, high)
    # Conservation, year by year: what was served never exceeds the stock.
    served = per_replication(result.items, "served_in_time", result.replications)
    served += per_replication(result.items, "served_late", result.replications)
    assert (served <= stock).all()
