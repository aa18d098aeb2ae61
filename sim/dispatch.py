"""The county's dispatch rules, in one place: the simulation and the optimiser both call them.

The simulation (:mod:`sim.model`) applies these rules as a year unfolds; the
optimiser (:mod:`optimize.demand`, :mod:`optimize.model`) applies the same
functions to each sampled year up front. A change to a rule here changes both
engines, so they cannot drift apart. The rules:

* **Jurisdiction.** A township answers to one county (``townships.county``;
  one county when no township names one). A county-tier depot, a county or
  social team and a supplier agreement serve the townships of their own county;
  township depots and teams help near neighbours, and fire stations answer
  within the neighbour radius, across county lines too
  (:func:`sim.network.agreements_for` and the network's sources and candidates).
* **Alarm.** The duty system hears of an event ``alarm_delay_h`` after impact,
  less the hazard's warning lead, and never before the year starts.
* **Road cuts.** An event with a cut road cuts its township's roads from its
  impact for ``road_cut_duration_h``. A trip into or out of a cut township is
  ``road_cut_slowdown`` times slower (one factor, however many ends are cut);
  the cut is read when the trip starts.
* **Arrival.** A supply source arrives after its issue delay and the trip; a
  supplier agreement after its lead time and the trip; a team after its
  mobilisation delay (median, times a lognormal factor drawn from the event's
  own stream) and the trip.
* **Routing.** An event draws each item from the sources that arrive by the
  item's deadline first, in tier order (``supply_order``: village, township,
  county, neighbours, then supplier agreements, fastest first), and only then
  from the late ones, in the same order. A dispatcher sends what makes the
  deadline first; of a relief item (``[outcomes] relief_items``), what reaches
  the people by the first-relief hour before the rest.
* **Teams.** Free teams are sent in escalation order (``team_order``) until the
  rescue work would be done by its deadline, or the hazard's ``max_teams`` are
  on their way.
* **Kit.** Items on scene by their deadline shorten an event's rescue work
  (``capabilities``): each unit saves its person-hours, an item at most its
  share of the work, and only where a team sent before the work began
  operates it. Teams are still sent by the event's size, not by the kit
  drawn for it; reinforcements are sent by the work left.
* **Lives.** The trapped are reached one by one, evenly over the time from
  the first team's arrival to the end of the work; each survives the wait
  from impact with a chance that halves every ``survival_half_life_h``.
* **Everyday calls.** A team's everyday calls (``everyday_calls_per_year``:
  structural fires, traffic and other rescue) arrive at random over the year,
  each taking one duty crew for an exponential time (``[everyday] call_hours``).
  Its duty crews are ``members x on_duty_share // crew_members``; a call that
  finds them all out is not answered by the team (it waits for the next station
  or a recall). Duty crews answer calls; disasters draw on the whole roster.
* **Growth.** Work and item demand of a hazard that grows (forest fires) are
  multiplied by ``exp(growth_per_hour_late x hours late)``, where hours late is
  the first team's arrival after impact beyond the hazard's grace period, at
  most a million-fold.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scenarios.schema import EverydayCalls, Hazard, Scenario
from sim.hazards import Event
from sim.network import Candidates, CountyNetwork

HOURS_PER_YEAR = 8760.0
SERVICE_STREAM = 1  # spawn-key tag of an event's service stream (hazards use their own)
EVERYDAY_STREAM = 2  # spawn-key tag of a team's everyday calls
# An event grows at most a million-fold however late its first team: the demand stays a
# number (a team queued for months made it infinite).
MAX_GROWTH_LOG = float(np.log(1e6))
TRAPPED_POINTS = 10_000  # people of a buried group each timed apart, at most


def alarm_h(hazard: Hazard, impact_h: float) -> float:
    """When the duty system raises the alarm for an event striking at ``impact_h``."""
    return max(0.0, impact_h + hazard.alarm_delay_h - hazard.warning_lead_h)


def service_stream(seed: int, replication: int, event_id: int) -> np.random.Generator:
    """The event's own stream of service draws (mobilisation delays, equipment losses).

    One stream per event keeps common random numbers across plans, and lets the
    optimiser draw an event's first mobilisation delays exactly as the simulation does.
    """
    key = (replication, SERVICE_STREAM, event_id)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def duty_crews(members: float, everyday: EverydayCalls) -> int:
    """Crews on duty at any hour: whole crews of the members on duty."""
    on_duty = members * everyday.on_duty_share
    return int(np.floor(on_duty / everyday.crew_members + 1e-9))


def everyday_calls(
    seed: int,
    replication: int,
    team: int,
    per_year: float,
    horizon_h: float,
    everyday: EverydayCalls,
) -> tuple[np.ndarray, np.ndarray]:
    """A team's everyday calls in one replication: when each arrives and how long it takes.

    Their own stream per team, so that the calls are common to every plan.
    """
    key = (replication, EVERYDAY_STREAM, team)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
    count = rng.poisson(per_year * horizon_h / HOURS_PER_YEAR)
    arrivals = np.sort(rng.uniform(0.0, horizon_h, size=count))
    return arrivals, rng.exponential(everyday.call_hours, size=count)


def unanswered_calls(arrivals: np.ndarray, durations: np.ndarray, crews: int) -> int:
    """Calls that find every duty crew out (a loss system: they are not queued)."""
    if crews <= 0:
        return len(arrivals)
    out: list[float] = []  # when each crew now out comes back
    missed = 0
    for arrival, duration in zip(arrivals.tolist(), durations.tolist(), strict=True):
        while out and out[0] <= arrival:
            heapq.heappop(out)
        if len(out) >= crews:
            missed += 1
        else:
            heapq.heappush(out, arrival + duration)
    return missed


@dataclass(frozen=True, slots=True)
class RoadCuts:
    """When each township's roads are cut in one year, from the year's events."""

    townships: int
    town: np.ndarray  # per cut: the township cut
    start_h: np.ndarray  # per cut: the impact of the event that cut it
    end_h: np.ndarray  # per cut: when it clears
    factor: float  # road_cut_slowdown

    @classmethod
    def of(cls, scenario: Scenario, townships: int, events: Sequence[Event]) -> RoadCuts:
        """The cuts of a year whose events are ``events``."""
        cutting = [e for e in events if e.road_cut]
        duration = [scenario.hazards[e.hazard].road_cut_duration_h for e in cutting]
        start = np.array([e.impact_h for e in cutting], dtype=float)
        return cls(
            townships=townships,
            town=np.array([e.township for e in cutting], dtype=int),
            start_h=start,
            end_h=start + np.array(duration, dtype=float),
            factor=scenario.travel.road_cut_slowdown,
        )

    def cut_at(self, at_h: float) -> np.ndarray:
        """Which townships' roads are cut at ``at_h`` (from a cut's impact, until it clears)."""
        cut = np.zeros(self.townships, dtype=bool)
        if len(self.town):
            cut[self.town[(self.start_h <= at_h) & (at_h < self.end_h)]] = True
        return cut

    def is_cut(self, town: int, at_h: float) -> bool:
        """Whether ``town``'s roads are cut at ``at_h``."""
        return bool(self.cut_at(at_h)[town])

    def slowdown(self, town: int, others: int | np.ndarray, at_h: float) -> np.ndarray:
        """Travel multiplier of trips between ``town`` and each of ``others`` begun at ``at_h``."""
        others = np.atleast_1d(np.asarray(others, dtype=int))
        active = (self.start_h <= at_h) & (at_h < self.end_h)
        if not active.any():  # no road cut now: most of the year, kept cheap
            return np.ones(len(others))
        cut = np.zeros(self.townships, dtype=bool)
        cut[self.town[active]] = True
        return np.where(cut[town] | cut[others], self.factor, 1.0)


def source_arrivals(network: CountyNetwork, town: int, at_h: float, cuts: RoadCuts) -> np.ndarray:
    """When each supply source of ``town`` (``network.sources[town]``) sent at ``at_h`` arrives."""
    sources = network.sources[town]
    slow = cuts.slowdown(town, sources.towns, at_h)
    return at_h + sources.issue_h + sources.travel_h * slow


def agreement_arrivals(
    network: CountyNetwork, town: int, at_h: float, cuts: RoadCuts
) -> np.ndarray:
    """When each supplier agreement called at ``at_h`` delivers to ``town`` (all agreements)."""
    slow = cuts.slowdown(town, network.agreement_town, at_h)
    return at_h + network.agreement_lead_h + network.travel_h[network.agreement_town, town] * slow


def routing_rank(
    arrival: np.ndarray, deadline: np.ndarray, relief_h: float, relief: np.ndarray
) -> np.ndarray:
    """Each source's turn for each item, (sources, items): lower goes first (:func:`route`).

    A source late for the item's deadline waits one turn more; of a relief item
    (``relief``, per item), one arriving after the first-relief hour too.
    """
    late = arrival[:, None] > deadline[None, :]
    after_relief = (arrival[:, None] > relief_h) & relief[None, :]
    return late.astype(int) + after_relief


def route(available: np.ndarray, need: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """What each source gives: lowest rank first, in tier order within a rank.

    Parameters
    ----------
    available
        Units each source holds of each item, (sources, items), sources in tier order.
    need
        Units wanted of each item.
    rank
        Each source's turn for each item, (sources, items) (:func:`routing_rank`).

    Returns
    -------
    numpy.ndarray
        Units taken from each source of each item, (sources, items).
    """
    order = np.argsort(rank, axis=0, kind="stable")  # lowest rank first, tier order kept
    held = np.take_along_axis(available, order, axis=0)
    before = np.cumsum(held, axis=0) - held
    taken = np.clip(need[None, :] - before, 0.0, held)
    take = np.empty_like(taken)
    np.put_along_axis(take, order, taken, axis=0)
    return take


def mobilisation_h(network: CountyNetwork, team: int, rng: np.random.Generator) -> float:
    """A team's mobilisation delay: its median, times a lognormal factor drawn from ``rng``."""
    delay = float(network.team_mobilisation_h[team])
    sigma = network.team_mobilisation_sigma[team]
    if sigma > 0:
        delay *= float(np.exp(sigma * rng.normal()))
    return delay


def team_arrival(
    network: CountyNetwork,
    candidates: Candidates,
    town: int,
    team: int,
    at_h: float,
    cuts: RoadCuts,
    rng: np.random.Generator,
) -> float:
    """When a team sent at ``at_h`` to an event in ``town`` arrives: mobilisation, then travel."""
    travel = float(candidates.travel_h[candidates.position[team]])
    slow = float(cuts.slowdown(town, int(network.team_base[team]), at_h)[0])
    return at_h + mobilisation_h(network, team, rng) + travel * slow


def finish_time(arrivals: Sequence[float], rates: Sequence[float], work: float) -> float:
    """When ``work`` person-hours are done by teams arriving at ``arrivals`` with ``rates``."""
    order = sorted(range(len(arrivals)), key=arrivals.__getitem__)
    done, rate, previous = 0.0, 0.0, arrivals[order[0]]
    for j in order:
        if rate > 0 and done + rate * (arrivals[j] - previous) >= work:
            return previous + (work - done) / rate
        done += rate * (arrivals[j] - previous)
        rate += rates[j]
        previous = arrivals[j]
    return previous + (work - done) / rate if rate > 0 else np.inf


def work_done_by(arrivals: Sequence[float], rates: Sequence[float], until: float) -> float:
    """Person-hours delivered by ``until``."""
    return float(sum(r * max(0.0, until - a) for a, r in zip(arrivals, rates, strict=True)))


def trapped_lost(
    hazard: Hazard, trapped: int, impact_h: float, first_h: float, done_h: float
) -> float:
    """Expected trapped people who die waiting; all of them when nobody comes (``first_h`` NaN)."""
    if trapped == 0:
        return 0.0
    if not np.isfinite(first_h):
        return float(trapped)
    # Reached evenly from the first arrival to the work's end; past TRAPPED_POINTS people the
    # same spacing is sampled, not one array slot each (a billion buried filled the memory).
    points = min(trapped, TRAPPED_POINTS)
    share = (np.arange(points) + 0.5) / points
    reached = first_h + share * (done_h - first_h) - impact_h
    survive = np.power(0.5, np.maximum(reached, 0.0) / hazard.survival_half_life_h)
    saved = survive.sum() if points == trapped else trapped * survive.mean()
    return float(trapped - saved)


def growth(hazard: Hazard, impact_h: float, first_arrival_h: float | None) -> float:
    """How much an event has grown by the time its first team arrives (1 without a team)."""
    if hazard.growth_per_hour_late <= 0 or first_arrival_h is None:
        return 1.0
    late_h = first_arrival_h - impact_h - hazard.growth_grace_h
    # Capped: a team months late (queued) made exp() overflow to an infinite demand.
    return float(np.exp(min(hazard.growth_per_hour_late * max(0.0, late_h), MAX_GROWTH_LOG)))


def extra_demand(demand: np.ndarray, grown: float) -> np.ndarray:
    """Whole units more that an event grown by ``grown`` asks for, beyond ``demand``."""
    return np.ceil(demand * (grown - 1.0) - 1e-9) if grown > 1.0 else np.zeros_like(demand)


def needs_more_teams(
    hazard: Hazard, arrivals: Sequence[float], rates: Sequence[float], work: float, deadline: float
) -> bool:
    """Whether another team should be sent: none yet, or the work would miss its deadline."""
    if not arrivals:
        return True
    if len(arrivals) >= hazard.max_teams:
        return False
    return finish_time(arrivals, rates, work) > deadline


@dataclass(frozen=True, slots=True)
class Kit:
    """The items that shorten an event's rescue work, as its crew can use them."""

    items: np.ndarray  # item indices
    saves_h: np.ndarray  # person-hours one unit on scene in time saves
    share: np.ndarray  # the most of the event's work each item saves

    @classmethod
    def none(cls) -> Kit:
        """No kit: nobody on scene, or a hazard no item helps with."""
        return cls(np.zeros(0, dtype=int), np.zeros(0), np.zeros(0))


def usable_kit(network: CountyNetwork, hazard: int, teams: Sequence[int]) -> Kit:
    """The hazard's kit that some team in ``teams`` operates (none without a team)."""
    if not len(teams):
        return Kit.none()
    usable = network.team_operates[np.asarray(teams, dtype=int)].any(axis=0)
    items = np.flatnonzero((network.kit_saves_h[hazard] > 0) & usable)
    return Kit(items, network.kit_saves_h[hazard, items], network.kit_share[hazard, items])


def kit_saving(kit: Kit, in_time: np.ndarray, work: float) -> np.ndarray:
    """Person-hours each kit item saves: units in time x saving, at most its share of ``work``."""
    return np.minimum(kit.saves_h * in_time, kit.share * work)


@dataclass(frozen=True, slots=True)
class Sent:
    """A team sent to an event: which, when it arrives, its rate (effective members)."""

    team: int
    arrival_h: float
    rate: float


def select_teams(
    network: CountyNetwork,
    event: Event,
    candidates: Candidates,
    free: np.ndarray,
    at_h: float,
    cuts: RoadCuts,
    rng: np.random.Generator,
    sent: Sequence[Sent] = (),
) -> list[Sent]:
    """Free teams to send now, in escalation order, until the work would be done in time.

    ``sent`` are the teams already on their way; the work is the event's rescue
    work grown by the first arrival so far. Each team chosen draws its
    mobilisation delay from ``rng`` in the order chosen.
    """
    hazard = network.scenario.hazards[event.hazard]
    deadline = event.impact_h + hazard.rescue_deadline_h
    arrivals = [s.arrival_h for s in sent]
    rates = [s.rate for s in sent]
    chosen: list[Sent] = []
    for position, candidate in enumerate(candidates.teams.tolist()):
        if not free[candidate]:
            continue
        grown = growth(hazard, event.impact_h, min(arrivals) if arrivals else None)
        if not needs_more_teams(
            hazard, arrivals, rates, event.rescue_person_hours * grown, deadline
        ):
            break
        arrival = team_arrival(network, candidates, event.township, candidate, at_h, cuts, rng)
        rate = float(network.team_members[candidate] * candidates.efficiency[position])
        chosen.append(Sent(candidate, arrival, rate))
        arrivals.append(arrival)
        rates.append(rate)
    return chosen
