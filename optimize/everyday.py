"""Everyday calls in the optimiser: the expected calls a team's duty crews cannot take.

The simulation answers each sampled call by the rule of :mod:`sim.dispatch`
("Everyday calls": a loss system of the team's duty crews). Calls arrive as a
Poisson stream and the crews do not queue them, so the expected share not
answered is Erlang's loss formula, whatever the distribution of the time out
(Erlang B is insensitive to it). The optimiser uses that expectation, the
same for every sampled year; ``tests/test_sim_queueing.py`` checks the
simulation against it.
"""

from __future__ import annotations

import numpy as np

from sim.dispatch import HOURS_PER_YEAR, duty_crews
from sim.network import CountyNetwork


def erlang_b(crews: int, load: float) -> float:
    """Erlang's loss formula: the share of calls that find all ``crews`` busy at ``load``.

    ``load`` is the offered load in erlangs (calls an hour x hours per call). The
    recursion ``B(k) = a B(k-1) / (k + a B(k-1))`` is the numerically stable form.
    """
    blocked = 1.0
    for k in range(1, crews + 1):
        blocked = load * blocked / (k + load * blocked)
    return blocked


def expected_unanswered(network: CountyNetwork, team: int, crews: int) -> float:
    """Calls a year the team's ``crews`` duty crews are expected to leave unanswered."""
    scenario = network.scenario
    per_year = float(network.team_calls_per_year[team])
    calls = per_year * scenario.horizon_h / HOURS_PER_YEAR
    load = per_year / HOURS_PER_YEAR * scenario.everyday.call_hours
    return calls * erlang_b(crews, load)


def crew_range(network: CountyNetwork, team: int) -> range:
    """The duty crews a team can have, from its fewest members to its most."""
    spec, everyday = network.scenario.teams[team], network.scenario.everyday
    return range(duty_crews(spec.min_members, everyday), duty_crews(spec.max_members, everyday) + 1)


def calling_teams(network: CountyNetwork) -> list[int]:
    """Teams with everyday calls to answer."""
    return np.flatnonzero(network.team_calls_per_year > 0).tolist()


def unanswered_cost(network: CountyNetwork, team: int) -> float:
    """Weighted shortfall of one unanswered call of the team (its township's priority)."""
    town = int(network.team_base[team])
    return float(network.township_priority[town]) * network.scenario.everyday.unanswered_yuan


def member_saving(network: CountyNetwork, team: int, members: int) -> float:
    """What one more member saves a year on everyday calls (a crew more, or nothing)."""
    if network.team_calls_per_year[team] <= 0:
        return 0.0
    everyday = network.scenario.everyday
    now, more = duty_crews(members, everyday), duty_crews(members + 1, everyday)
    if more == now:
        return 0.0
    gain = expected_unanswered(network, team, now) - expected_unanswered(network, team, more)
    return unanswered_cost(network, team) * gain
