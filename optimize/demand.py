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

from scenarios.schema import Scenario
from scenarios.size import check_run_size
from sim.dispatch import Kit, RoadCuts, agreement_arrivals, extra_demand, source_arrivals
from sim.hazards import Event, base_demand
from sim.model import CountyModel, Incident
from sim.network import CountyNetwork
from sim.runner import events_for

IN_SAMPLE_OFFSET = 1_000_000  # optimizer years start here; judging uses 0, 1, 2, ...


@dataclass(frozen=True, slots=True)
class DemandEvent:
    """One event as the optimizer sees it: when, where, what it needs, by when, who arrives when.

    Every time here comes from the simulation itself. Supplies follow the
    dispatch rules of :mod:`sim.dispatch` applied at the alarm (road cuts of the
    whole year, other events' cuts included; each source's and agreement's
    arrival). Teams are what the simulation sent to the event when it ran the
    year: which teams, when each arrived, how much the event grew by its first
    team's arrival and when it ended, and the kit its first crew could use.
    Who is sent and how the event grows do not depend on what is bought. What
    does is how soon kit on scene lets the teams finish and go home: the year
    here is the year without kit, so a later event may find a team busy here
    that kit would have freed (:mod:`sim.dispatch`, rule "Kit").
    """

    year: int
    event: Event
    alarm_h: float
    end_h: float  # when the event ended in the simulation (equipment held until then)
    items: np.ndarray  # item indices with positive demand
    quantity: np.ndarray  # units demanded, grown as the simulation grew them
    deadline_h: np.ndarray  # absolute hours, per item
    source_arrival_h: np.ndarray  # per row of network.sources[township], sent at the alarm
    agreement_arrival_h: np.ndarray  # per supplier agreement, called at the alarm
    teams: np.ndarray  # team indices the simulation sent, in the order sent
    team_arrival_h: np.ndarray  # when each of them arrived
    work_h: float  # rescue person-hours, grown
    kit: Kit  # the items that would shorten the work, as the first crew can use them


def _as_demand(
    network: CountyNetwork, year: int, event: Event, cuts: RoadCuts, ran: Incident
) -> DemandEvent:
    """The event as the simulation ran it (``ran``), its supplies dispatched at the alarm."""
    alarm = ran.alarm
    town = event.township
    demand = base_demand(network, event)
    demand = demand + extra_demand(demand, ran.growth)  # what the grown event asked again for
    items = np.flatnonzero(demand > 0)
    return DemandEvent(
        year=year,
        event=event,
        alarm_h=alarm,
        end_h=ran.end_h,
        items=items,
        quantity=demand[items],
        deadline_h=event.impact_h + network.demand_deadline_h[event.hazard, items],
        source_arrival_h=source_arrivals(network, town, alarm, cuts),
        agreement_arrival_h=agreement_arrivals(network, town, alarm, cuts),
        teams=np.array(ran.crew.teams, dtype=int),
        team_arrival_h=np.array(ran.crew.arrivals, dtype=float),
        work_h=ran.work,
        kit=ran.kit,
    )


def demand_year(
    network: CountyNetwork, seed: int, replication: int, year: int
) -> list[DemandEvent]:
    """Replication ``replication`` of the simulation as the optimizer's demand scenario ``year``.

    The year's teams are simulated once (supplies left out: teams never depend
    on them), on the same seeds the judging simulation uses, to read what
    happened to each event's teams.
    """
    events = events_for(network, seed, replication)
    ran = CountyModel(network, events, seed, replication, supplies=False).run().finished
    cuts = RoadCuts.of(network.scenario, len(network.township_ids), events)
    return [_as_demand(network, year, event, cuts, ran[event.event_id]) for event in events]


def sample_years(
    network: CountyNetwork, seed: int, count: int, first: int = IN_SAMPLE_OFFSET
) -> list[list[DemandEvent]]:
    """``count`` demand scenarios: replications ``first .. first + count - 1`` of the sampler."""
    check_run_size(network.scenario, count, "sampled years")
    return [demand_year(network, seed, first + k, k) for k in range(count)]


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
        years.append(demand_year(network, seed, replication, len(years)))
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


def has_year_probabilities(scenario: Scenario) -> bool:
    """Whether the scenario replays a table that gives its years' probabilities."""
    index = scenario.replay_index
    return index is not None and index.probabilities is not None


def optimiser_years(
    network: CountyNetwork, seed: int, count: int
) -> tuple[list[list[DemandEvent]], list[float] | None]:
    """The years the SAA solves on, and their weights (``None``: all alike).

    ``count`` sampled years; or, when the replay table gives its years'
    probabilities, every recorded year once with its probability (``count`` unused).
    """
    if has_year_probabilities(network.scenario):
        return recorded_years(network, seed)
    return sample_years(network, seed, count), None
