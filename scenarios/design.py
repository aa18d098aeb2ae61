"""Design events: the event of each hazard a depot is stocked for.

A bureau stocks a township depot for the larger events its own township can
have (小灾不出乡) and the county depot for a few of the county's at once (a
rainstorm hits neighbouring townships together). A hazard's design event is
its event at the scenario's ``design_quantile`` of size and of duration, the
lognormals the simulation draws them from (``sim.hazards``), and it needs what
the demand table gives for that size and duration, by the one formula the
simulation's own demand uses (:func:`units_needed`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from statistics import NormalDist

import numpy as np

from scenarios.schema import Hazard, Scenario


def units_needed(per_person, per_event, per_hour, people, duration_h):
    """Whole units needed by an event of ``people`` affected lasting ``duration_h`` (or arrays)."""
    return np.ceil(per_person * people + per_event + per_hour * duration_h - 1e-9)


def exposure_shares(scenario: Scenario) -> np.ndarray:
    """(hazards, townships): where each hazard's events fall, rows summing to 1.

    Each township's share of the hazard's exposure field; a field that is zero
    everywhere spreads the hazard evenly.
    """
    rows = []
    for hazard in scenario.hazards:
        weight = np.array([float(getattr(t, hazard.exposure)) for t in scenario.townships])
        total = weight.sum()
        rows.append(weight / total if total > 0 else np.full(len(weight), 1.0 / len(weight)))
    return np.array(rows)


def design_event(hazard: Hazard, quantile: float) -> tuple[float, float]:
    """People affected and duration (h) of the hazard's event at ``quantile`` of both.

    The size is that of an event that affects anyone: a hazard whose events
    mostly affect nobody (``severity_zero_probability``) is stocked for those
    that do.
    """
    z = NormalDist().inv_cdf(quantile)
    people = hazard.severity_median_people * math.exp(hazard.severity_sigma * z)
    duration = hazard.duration_median_h * math.exp(hazard.duration_sigma * z)
    return people, duration


def design_need(scenario: Scenario) -> dict[str, dict[str, int]]:
    """Per hazard, the units of each item its design event needs (items needing none left out)."""
    quantile = scenario.rules.design_quantile
    sizes = {h.hazard_id: design_event(h, quantile) for h in scenario.hazards}
    need: dict[str, dict[str, int]] = defaultdict(dict)
    for row in scenario.demand:
        people, duration = sizes[row.hazard]
        units = int(units_needed(row.per_person, row.per_event, row.per_hour, people, duration))
        if units > 0:
            need[row.hazard][row.item_id] = units
    return dict(need)


def holding_ceilings(scenario: Scenario) -> dict[tuple[str, str], int]:
    """Per (item_id, depot_id) of a depot whose tier has a ceiling: the most it may hold.

    ``holding_events[tier]`` design events of the hazard needing most of the item
    among those that reach the depot's township (any township's, for a county
    depot); an item no hazard in reach needs has a ceiling of 0.
    """
    events = scenario.rules.holding_events
    if not events:
        return {}
    need = design_need(scenario)
    shares = exposure_shares(scenario)
    town = {t.township_id: k for k, t in enumerate(scenario.townships)}
    ceilings = {}
    for depot in scenario.depots:
        if depot.tier not in events:
            continue
        reach = [
            h.hazard_id
            for k, h in enumerate(scenario.hazards)
            if depot.tier == "county" or shares[k, town[depot.township_id]] > 0
        ]
        for item in scenario.items:
            most = max((need.get(h, {}).get(item.item_id, 0) for h in reach), default=0)
            ceilings[(item.item_id, depot.depot_id)] = events[depot.tier] * most
    return ceilings
