"""A run's size foreseen from its inputs, and refused in one line before it cannot fit.

A simulated year's time and memory grow with the events it draws: about half a
millisecond and 20 KB of rows an event (measured on the bundled county: 5,000
years, 60,000 events, 1.4 GB at the peak). So a run is sized by its expected
events, ``sum of the hazards' annual_rate x simulated years x replications``
(a storm episode counted as a twentieth of an event and an everyday call as a
thousandth: each is a step of a loop, measured at 13 and 0.25 microseconds, not
a process with rows), and refused above :data:`MAX_RUN_EVENTS`.
The loader checks one replication (a scenario that cannot run at all); the
simulation and the optimiser's sampling check their own count of years.
"""

from __future__ import annotations

import math
from pathlib import Path

from scenarios.errors import InputError
from scenarios.schema import Scenario

# 400,000 events is about 9 GB at the peak and three and a half minutes of one core (by the
# measure above, extrapolated, not measured at the cap): what a
# planner's 16 GB machine holds beside its other work. The bundled county fits 31,000 years
# at once (its 12.9 events a year); more years are several runs of other seeds.
MAX_RUN_EVENTS = 400_000
EPISODES_PER_EVENT = 20  # storm episodes that cost what one event costs
CALLS_PER_EVENT = 1000  # everyday calls that cost what one event costs
DAYS_PER_YEAR = 365.0  # as the sampler counts the years a horizon spans


def simulated_years(scenario: Scenario) -> int:
    """Whole years the hazard sampler draws for one replication's horizon."""
    return math.ceil(scenario.horizon_days / DAYS_PER_YEAR - 1e-9)


def expected_events(scenario: Scenario) -> float:
    """Events one replication draws on average (episodes and everyday calls weighed in)."""
    index = scenario.replay_index
    if index is not None:
        return len(index.table) / max(1, len(index.years))
    rate = sum(hazard.annual_rate for hazard in scenario.hazards)
    if scenario.rain_episodes is not None:
        rate += scenario.rain_episodes.annual_rate / EPISODES_PER_EVENT
    rate += sum(team.everyday_calls_per_year for team in scenario.teams) / CALLS_PER_EVENT
    return rate * simulated_years(scenario)


def too_busy(scenario: Scenario) -> str | None:
    """Why one replication alone cannot fit in a run, or ``None`` when it can."""
    each = expected_events(scenario)
    if each <= MAX_RUN_EVENTS:
        return None
    return (
        f"about {each:,.0f} events in one simulated horizon ({simulated_years(scenario)} "
        f"year(s)), more than the {MAX_RUN_EVENTS:,} a run holds in memory: lower the hazards' "
        "annual_rate, rain_episodes.annual_rate, the teams' everyday_calls_per_year or "
        "horizon_days"
    )


def check_run_size(scenario: Scenario, years: int, field: str = "reps") -> None:
    """Refuse ``years`` replications whose expected events exceed :data:`MAX_RUN_EVENTS`."""
    file = Path(scenario.source_path or "scenario")
    problem = too_busy(scenario)
    if problem is not None:
        raise InputError(file, "hazards.annual_rate", problem)
    each = expected_events(scenario)
    if each * years <= MAX_RUN_EVENTS:
        return
    most = math.floor(MAX_RUN_EVENTS / each)
    problem = (
        f"{years:,} simulated years of about {each:,.1f} events each would draw about "
        f"{each * years:,.0f} events, more than the {MAX_RUN_EVENTS:,} a run holds in memory: "
        f"run at most {most:,} years at a time (several seeds for more)"
    )
    raise InputError(file, field, problem, years)
