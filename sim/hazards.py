"""Hazard sampling: a whole year's events drawn up front with numpy.

Kept apart from the SimPy model so that the optimizer draws its demand
scenarios from exactly this code, and so that two plans run on the same
seed face the same events (common random numbers).

Rain-triggered hazards (floods, landslides, debris flows) come in rainstorm
episodes: an episode picks a centre township and hits every township within
``radius_km`` of it. The expected count of hazard *h* in a hit township *i*
is ``rate_h * w_hi / (episode_rate * p_i)``, where ``w_hi`` is the township's
share of the hazard's exposure and ``p_i`` the chance an episode hits it, so
each hazard keeps its stated annual rate and exposure pattern while floods
and landslides cluster in the same storms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scenarios import schema
from scenarios.design import units_needed
from scenarios.schema import Hazard, Scenario
from sim.network import CountyNetwork

HOURS_PER_YEAR = 8760.0
MONTH_DAYS = np.array(schema.MONTH_DAYS, dtype=float)  # the one calendar, as [delivery] reads it
MONTH_START_H = np.concatenate([[0.0], np.cumsum(MONTH_DAYS)[:-1]]) * 24.0
EPISODE_SPREAD_H = 12.0  # events of one storm start within this many hours of its onset


@dataclass(frozen=True, slots=True)
class Event:
    """One hazard event at one township, as drawn before the simulation starts."""

    event_id: int
    hazard: int  # index into scenario.hazards
    township: int
    impact_h: float
    severity_people: float
    duration_h: float
    rescue_person_hours: float  # before any growth from a late response
    road_cut: bool
    trapped: int
    episode: int = -1
    demand: np.ndarray | None = None  # replayed item demand, overrides the profile


def draw_count(rng: np.random.Generator, mean: float, dispersion: float | None) -> int:
    """Poisson count, or negative binomial with shape ``dispersion`` (same mean)."""
    if mean <= 0:
        return 0
    if dispersion is None:
        return int(rng.poisson(mean))
    return int(rng.negative_binomial(dispersion, dispersion / (dispersion + mean)))


def draw_times(
    rng: np.random.Generator, count: int, month_weights: tuple[float, ...], years: int
) -> np.ndarray:
    """Event times in hours: a year drawn uniformly, a month by weight, uniform inside it."""
    weights = np.asarray(month_weights, dtype=float)
    months = rng.choice(12, size=count, p=weights / weights.sum())
    year = rng.integers(0, years, size=count)
    inside = rng.random(count) * MONTH_DAYS[months] * 24.0
    return year * HOURS_PER_YEAR + MONTH_START_H[months] + inside


def _hit_probability(network: CountyNetwork, centre_p: np.ndarray, radius_km: float) -> np.ndarray:
    within = network.distance_km <= radius_km
    return within.T.astype(float) @ centre_p


def _severity(rng: np.random.Generator, hazard: Hazard) -> float:
    if hazard.severity_zero_probability > 0 and rng.random() < hazard.severity_zero_probability:
        return 0.0
    if hazard.severity_median_people <= 0:
        return 0.0
    drawn = hazard.severity_median_people * np.exp(hazard.severity_sigma * rng.normal())
    # The lognormal's far tail is numbers, not people: past a billion its trapped count
    # overflowed numpy's Poisson and its demand lost whole units.
    return float(min(drawn, schema.MAX_COUNT))


def _work(rng: np.random.Generator, hazard: Hazard, mean: float) -> float:
    """Rescue person-hours with the given mean."""
    if mean <= 0:
        return 0.0
    if hazard.rescue_work_distribution == "exponential":
        return float(rng.exponential(mean))
    if hazard.rescue_work_distribution == "fixed" or hazard.rescue_work_sigma == 0:
        return mean
    sigma = hazard.rescue_work_sigma
    return float(mean * np.exp(sigma * rng.normal() - 0.5 * sigma**2))


def make_event(
    rng: np.random.Generator,
    scenario: Scenario,
    hazard_index: int,
    township: int,
    impact_h: float,
    episode: int = -1,
    severity: float | None = None,
    duration_h: float | None = None,
    demand: np.ndarray | None = None,
) -> Event:
    """Draw what is random about one event (severity, duration, work, road cut, trapped)."""
    hazard = scenario.hazards[hazard_index]
    people = _severity(rng, hazard) if severity is None else severity
    if duration_h is None:
        duration_h = float(hazard.duration_median_h * np.exp(hazard.duration_sigma * rng.normal()))
    mean_work = hazard.rescue_person_hours_base + hazard.rescue_person_hours_per_person * people
    work = _work(rng, hazard, mean_work)
    road_cut = bool(rng.random() < hazard.road_cut_probability)
    trapped = _trapped(rng, hazard, people)
    return Event(
        -1, hazard_index, township, impact_h, people, duration_h, work, road_cut, trapped, episode
    )


def _trapped(rng: np.random.Generator, hazard, people: float) -> int:
    """People buried or cut off: none in most events, a Poisson share of those affected else.

    The chance draw is made only when the hazard sets one below 1, so scenarios
    without it keep their random streams.
    """
    if hazard.trap_probability < 1.0 and rng.random() >= hazard.trap_probability:
        return 0
    return int(rng.poisson(people * hazard.trapped_per_person))


def draw_events(
    scenario: Scenario, network: CountyNetwork, rng: np.random.Generator
) -> list[Event]:
    """Sample every event of one simulated horizon, sorted by impact time."""
    horizon_h = scenario.horizon_h
    years = int(np.ceil(horizon_h / HOURS_PER_YEAR - 1e-9))
    drawn: list[Event] = []
    rain = [k for k, h in enumerate(scenario.hazards) if h.trigger == "rain"]
    episodes = scenario.rain_episodes
    if rain and episodes is not None and episodes.annual_rate > 0:
        drawn += _rain_events(scenario, network, rng, rain, years)
    for k, hazard in enumerate(scenario.hazards):
        if hazard.trigger == "rain" and episodes is not None:
            continue
        count = draw_count(rng, hazard.annual_rate * years, hazard.dispersion)
        times = draw_times(rng, count, hazard.month_weights, years)
        towns = rng.choice(len(network.township_ids), size=count, p=network.exposure[k])
        drawn += [
            make_event(rng, scenario, k, int(town), float(t))
            for t, town in zip(times, towns, strict=True)
        ]
    kept = sorted((e for e in drawn if e.impact_h < horizon_h), key=lambda e: e.impact_h)
    return [replace(e, event_id=n) for n, e in enumerate(kept)]


def _rain_events(
    scenario: Scenario,
    network: CountyNetwork,
    rng: np.random.Generator,
    rain: list[int],
    years: int,
) -> list[Event]:
    episodes = scenario.rain_episodes
    assert episodes is not None
    rates = np.array([scenario.hazards[k].annual_rate for k in rain])
    centre_weight = rates @ network.exposure[rain] + 1e-9
    centre_p = centre_weight / centre_weight.sum()
    hit_p = _hit_probability(network, centre_p, episodes.radius_km)
    count = draw_count(rng, episodes.annual_rate * years, episodes.dispersion)
    starts = draw_times(rng, count, episodes.month_weights, years)
    centres = rng.choice(len(centre_p), size=count, p=centre_p)
    within = network.distance_km <= episodes.radius_km
    expected = (
        rates[:, None] * network.exposure[rain] / (episodes.annual_rate * np.maximum(hit_p, 1e-12))
    )
    events = []
    for episode, (start, centre) in enumerate(zip(starts, centres, strict=True)):
        hit = np.flatnonzero(within[centre])
        counts = rng.poisson(expected[:, hit])
        for row, col in zip(*np.nonzero(counts), strict=True):
            for _ in range(counts[row, col]):
                impact = float(start + rng.random() * EPISODE_SPREAD_H)
                events.append(make_event(rng, scenario, rain[row], int(hit[col]), impact, episode))
    return events


def replay_events(
    scenario: Scenario, network: CountyNetwork, replication: int, rng: np.random.Generator
) -> list[Event]:
    """Events of a replayed year: the recorded table's year ``replication mod years``.

    Reads only that year's rows, from the scenario's index of the table by year.
    """
    index = scenario.replay_index
    assert index is not None
    rows = index.events[index.position(replication)]
    hazards = {h.hazard_id: k for k, h in enumerate(scenario.hazards)}
    townships = {township: k for k, township in enumerate(network.township_ids)}
    events = []
    for n, row in enumerate(rows):
        demand = None
        if row.demand:
            demand = np.zeros(network.n_items)
            for item_id, quantity in row.demand.items():
                demand[network.item_ids.index(item_id)] = quantity
        drawn = make_event(
            rng,
            scenario,
            hazards[row.hazard],
            townships[row.township_id],
            row.time_h,
            severity=row.severity_people,
            duration_h=row.duration_h,
        )
        events.append(replace(drawn, event_id=n, demand=demand))
    return events


def replication_weights(scenario: Scenario, replications: Sequence[int]) -> pd.Series | None:
    """Each replication's weight, when the replay table gives its years' probabilities.

    Replication *k* replays year ``k mod years``; each weighs its year's
    probability divided by how many of ``replications`` replay that year, so
    every year counts by its probability however often it was run. A year no
    replication replays counts nothing (weights then sum to less than 1).

    Returns
    -------
    pandas.Series or None
        Weights indexed by replication; ``None`` when every replication weighs
        alike (sampled years, or a replay table without probabilities).
    """
    index = scenario.replay_index
    if index is None or index.probabilities is None:
        return None
    positions = np.array([index.position(k) for k in replications], dtype=int)
    runs = np.bincount(positions, minlength=len(index.years))
    weights = np.asarray(index.probabilities)[positions] / runs[positions]
    return pd.Series(weights, index=pd.Index(replications, name="replication"), name="weight")


def base_demand(network: CountyNetwork, event: Event) -> np.ndarray:
    """Item demand of an event before growth, in each item's unit (whole units)."""
    if event.demand is not None:
        return np.ceil(event.demand)
    k = event.hazard
    return units_needed(
        network.demand_per_person[k],
        network.demand_per_event[k],
        network.demand_per_hour[k],
        event.severity_people,
        event.duration_h,
    )
