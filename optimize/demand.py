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


def overlapping_groups(events: list[DemandEvent]) -> list[list[int]]:
    """Maximal sets of events of one year that are under way at the same time.

    Events are intervals [alarm, end); in an interval graph the maximal cliques
    are the sets active at some event's start, so equipment and teams held by
    one event cannot serve another in the same set.
    """
    starts = sorted(range(len(events)), key=lambda k: events[k].alarm_h)
    groups: list[set[int]] = []
    for k in starts:
        moment = events[k].alarm_h
        active = {j for j in starts if events[j].alarm_h <= moment < max(events[j].end_h, moment)}
        active.add(k)
        if not any(active <= group for group in groups):
            groups = [group for group in groups if not group <= active] + [active]
    return [sorted(group) for group in groups]
