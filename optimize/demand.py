"""Demand scenarios for the optimizer, drawn by the simulation's own hazard code.

A demand scenario is one sampled year: the same :func:`sim.runner.events_for`
the simulation uses, so the optimizer and the simulation see the same kind of
years (and, for a replayed event table, the recorded years themselves).
The optimizer samples replications far from the ones used to judge plans, so
that its plan is judged out of sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.hazards import Event, base_demand
from sim.network import CountyNetwork
from sim.runner import events_for

IN_SAMPLE_OFFSET = 1_000_000  # optimizer years start here; judging uses 0, 1, 2, ...


@dataclass(frozen=True, slots=True)
class DemandEvent:
    """One event as the optimizer sees it: when, where, what it needs and by when."""

    year: int
    event: Event
    alarm_h: float
    end_h: float
    items: np.ndarray  # item indices with positive demand
    quantity: np.ndarray  # units demanded
    deadline_h: np.ndarray  # absolute hours, per item
    slowdown: float  # travel multiplier for supplies and teams (road cut at dispatch)


def _as_demand(network: CountyNetwork, year: int, event: Event) -> DemandEvent:
    scenario = network.scenario
    hazard = scenario.hazards[event.hazard]
    alarm = max(0.0, event.impact_h + hazard.alarm_delay_h - hazard.warning_lead_h)
    demand = base_demand(network, event)
    items = np.flatnonzero(demand > 0)
    cut = event.road_cut and alarm >= event.impact_h
    return DemandEvent(
        year=year,
        event=event,
        alarm_h=alarm,
        end_h=event.impact_h + event.duration_h,
        items=items,
        quantity=demand[items],
        deadline_h=event.impact_h + network.demand_deadline_h[event.hazard, items],
        slowdown=scenario.travel.road_cut_slowdown if cut else 1.0,
    )


def sample_years(
    network: CountyNetwork, seed: int, count: int, first: int = IN_SAMPLE_OFFSET
) -> list[list[DemandEvent]]:
    """``count`` demand scenarios: replications ``first .. first + count - 1`` of the sampler."""
    return [
        [_as_demand(network, k, event) for event in events_for(network, seed, first + k)]
        for k in range(count)
    ]


def recorded_years(
    network: CountyNetwork, seed: int, first: int = IN_SAMPLE_OFFSET
) -> tuple[list[list[DemandEvent]], list[float]]:
    """Every recorded year of a replay table with probabilities, once, and its probability.

    The natural sample average for a risk assessment's scenario set: each year
    weighs its own probability rather than each weighing alike. Year *i* is
    replayed from the first replication at or after ``first`` that replays it
    (replication *k* replays year ``k mod years``), so what is random in its
    events (rescue work, road cuts) is drawn as :func:`sample_years` would. Years
    of probability 0 are left out: they cannot change the expected penalty.

    Returns
    -------
    years, weights
        The demand scenarios (as :func:`sample_years` returns them) and their
        probabilities, in the order of the recorded years.
    """
    index = network.scenario.replay_index
    if index is None or index.probabilities is None:
        raise ValueError("the scenario's replay table gives no probabilities for its years")
    count = len(index.years)
    years: list[list[DemandEvent]] = []
    weights: list[float] = []
    for position, probability in enumerate(index.probabilities):
        if probability <= 0:
            continue
        replication = first + (position - first) % count
        events = events_for(network, seed, replication)
        years.append([_as_demand(network, len(years), event) for event in events])
        weights.append(probability)
    return years, weights


def overlapping_groups(events: list[DemandEvent]) -> list[list[int]]:
    """Maximal sets of events of one year that are under way at the same time.

    Events are intervals [alarm, end); in an interval graph the maximal cliques
    are the sets active at some event's start, so equipment and teams held by
    one event cannot serve another in the same set. An event that ends by its
    own alarm is under way only at that moment.

    One sweep over the alarms and the ends, each sorted once: the set active at
    a start is kept if an event of it ends before the next start (otherwise the
    next set holds it), so the work is n log n plus the size of the sets
    returned. Sets come in the order of the alarms they are found at (events
    with the same alarm in list order), each sorted.
    """
    alarm = [event.alarm_h for event in events]
    end = [event.end_h for event in events]
    starts = sorted(range(len(events)), key=alarm.__getitem__)
    ends = sorted(range(len(events)), key=end.__getitem__)
    groups: list[list[int]] = []
    active: set[int] = set()
    pending = False  # whether ``active`` as it stands is a set still to be kept
    first, gone = 0, 0
    while first < len(starts):
        moment = alarm[starts[first]]
        while gone < len(ends) and end[ends[gone]] <= moment:
            if ends[gone] in active:
                if pending:
                    groups.append(sorted(active))
                    pending = False
                active.remove(ends[gone])
            gone += 1
        here = []
        while first < len(starts) and alarm[starts[first]] == moment:
            here.append(starts[first])
            first += 1
        active.update(k for k in here if end[k] > moment)
        instant = [k for k in here if end[k] <= moment]
        groups.extend(sorted(active | {k}) for k in instant)
        pending = not instant  # with an instant event, the bare set is inside its set
    if pending:
        groups.append(sorted(active))
    return groups
