"""The SimPy county model: alarms, team dispatch and waiting, supplies, returns.

SimPy carries time and waiting (alarms, teams busy until they return, events
queued for a free team, equipment coming back); stock is plain numbers in a
numpy array, drawn down and returned by vector operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy

from scenarios.schema import Hazard
from sim.hazards import Event, base_demand
from sim.network import SOURCE_TIERS, CountyNetwork

HANDLED_LEVELS = ("township", "county", "outside")
LOCAL_TEAM_TIERS = ("village", "township", "fire_station")


class TeamPool:
    """Which teams are free; events that found none wait here, first come first served."""

    def __init__(self, env: simpy.Environment, n_teams: int) -> None:
        self.env = env
        self.free = np.ones(n_teams, dtype=bool)
        self.waiting: list[tuple[frozenset[int], simpy.Event]] = []

    def request(self, allowed: frozenset[int]) -> simpy.Event:
        """An event that fires with a team index once one of ``allowed`` is free."""
        granted = self.env.event()
        self.waiting.append((allowed, granted))
        return granted

    def release(self, team: int, _: object = None) -> None:
        """A team is back at base: hand it to the first waiting event that can use it."""
        for position, (allowed, granted) in enumerate(self.waiting):
            if team in allowed:
                del self.waiting[position]
                granted.succeed(team)
                return
        self.free[team] = True


@dataclass(slots=True)
class Crew:
    """Teams sent to one event: index, arrival time and effective member count."""

    teams: list[int] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    travel_h: list[float] = field(default_factory=list)


def finish_time(arrivals: list[float], rates: list[float], work: float) -> float:
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


def work_done_by(arrivals: list[float], rates: list[float], until: float) -> float:
    """Person-hours delivered by ``until``."""
    return float(sum(r * max(0.0, until - a) for a, r in zip(arrivals, rates, strict=True)))


@dataclass(slots=True)
class Supply:
    """What one event got of each item it needed (arrays over the needed items)."""

    items: np.ndarray
    demand: np.ndarray
    in_time: np.ndarray
    late: np.ndarray
    by_tier: np.ndarray  # (len(SOURCE_TIERS), items)
    loans: list[tuple[int, np.ndarray, np.ndarray, float]]  # depot, items, quantity, travel


class CountyModel:
    """One replication of a county year. The constructor only wires; :meth:`run` runs."""

    def __init__(
        self,
        network: CountyNetwork,
        events: list[Event],
        seed: int = 0,
        replication: int = 0,
        environment: simpy.Environment | None = None,
    ) -> None:
        self.network = network
        self.scenario = network.scenario
        self.seed = seed
        self.replication = replication
        self._streams: dict[int, np.random.Generator] = {}
        self.env = simpy.Environment() if environment is None else environment
        self.stock = network.initial_stock.copy()
        self.agreement_left = network.agreement_quantity.copy()
        self.pool = TeamPool(self.env, len(network.team_ids))
        self.cut_until = np.full(len(network.township_ids), -np.inf)
        self.event_rows: list[tuple] = []
        self.item_rows: list[np.ndarray] = []  # one block of rows per event
        self.dispatch_rows: list[tuple] = []
        self.returned = np.zeros_like(self.stock)
        self.lost = np.zeros_like(self.stock)
        self.on_loan = np.zeros_like(self.stock)
        for event in events:
            self.env.process(self._incident(event))

    def run(self) -> CountyModel:
        """Run to the end of the horizon."""
        self.env.run(until=self.scenario.horizon_h)
        return self

    def rng(self, event: Event) -> np.random.Generator:
        """The event's own service stream (mobilisation delays, equipment losses).

        One stream per event keeps common random numbers across plans: a plan
        that changes what one event draws does not shift any other event's draws.
        """
        stream = self._streams.get(event.event_id)
        if stream is None:
            key = (self.replication, 1, event.event_id)
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
            self._streams[event.event_id] = stream
        return stream

    # -- time and travel ------------------------------------------------------

    def _slowdown(self, town: int, other: int | np.ndarray) -> float | np.ndarray:
        now = self.env.now
        cut = (self.cut_until[other] > now) | (self.cut_until[town] > now)
        return np.where(cut, self.scenario.travel.road_cut_slowdown, 1.0)

    def _cut_road(self, event: Event, hazard: Hazard) -> Callable[[object], None]:
        def cut(_: object) -> None:
            end = event.impact_h + hazard.road_cut_duration_h
            self.cut_until[event.township] = max(self.cut_until[event.township], end)

        return cut

    def _after(self, delay: float, callback: Callable[[object], None]) -> None:
        self.env.timeout(max(0.0, delay)).callbacks.append(callback)

    # -- the event ------------------------------------------------------------

    def _incident(self, event: Event):
        hazard = self.scenario.hazards[event.hazard]
        alarm = max(0.0, event.impact_h + hazard.alarm_delay_h - hazard.warning_lead_h)
        if event.road_cut:
            self._after(event.impact_h, self._cut_road(event, hazard))
        yield self.env.timeout(alarm)
        demand = base_demand(self.network, event)
        supply = self._supply(event, hazard, demand)
        candidates = self.network.candidates[event.hazard][event.township]
        crew = self._select(event, hazard, candidates, Crew())
        wait_h = 0.0
        if (
            not crew.teams
            and len(candidates.teams)
            and self.scenario.dispatch.when_no_team == "queue"
        ):
            team = yield self.pool.request(frozenset(candidates.teams.tolist()))
            wait_h = self.env.now - alarm
            crew = self._select(event, hazard, candidates, self._forced(event, candidates, team))
        growth = self._growth(event, hazard, crew)
        if growth > 1.0:
            extra = np.ceil(demand * (growth - 1.0) - 1e-9)
            supply = _merge(supply, self._supply(event, hazard, extra))
        self._finish(event, hazard, alarm, wait_h, crew, growth, supply)

    def _growth(self, event: Event, hazard: Hazard, crew: Crew) -> float:
        if hazard.growth_per_hour_late <= 0 or not crew.teams:
            return 1.0
        late_h = min(crew.arrivals) - event.impact_h - hazard.growth_grace_h
        return float(np.exp(hazard.growth_per_hour_late * max(0.0, late_h)))

    # -- teams ----------------------------------------------------------------

    def _arrival(self, event: Event, team: int, travel_h: float) -> float:
        network = self.network
        delay = network.team_mobilisation_h[team]
        sigma = network.team_mobilisation_sigma[team]
        if sigma > 0:
            delay *= np.exp(sigma * self.rng(event).normal())
        slow = self._slowdown(event.township, network.team_base[team])
        return self.env.now + delay + travel_h * float(slow)

    def _forced(self, event: Event, candidates, team: int) -> Crew:
        position = int(np.flatnonzero(candidates.teams == team)[0])
        travel = float(candidates.travel_h[position])
        rate = self.network.team_members[team] * candidates.efficiency[position]
        return Crew([team], [self._arrival(event, team, travel)], [rate], [travel])

    def _select(self, event: Event, hazard: Hazard, candidates, crew: Crew) -> Crew:
        """Send free teams in escalation order until the work would be done by its deadline."""
        deadline = event.impact_h + hazard.rescue_deadline_h
        free = self.pool.free
        for position, team in enumerate(candidates.teams):
            if not free[team]:
                continue
            if crew.teams and (
                len(crew.teams) >= hazard.max_teams
                or finish_time(crew.arrivals, crew.rates, self._work(event, hazard, crew))
                <= deadline
            ):
                break
            free[team] = False
            travel = float(candidates.travel_h[position])
            crew.teams.append(int(team))
            crew.arrivals.append(self._arrival(event, int(team), travel))
            crew.rates.append(self.network.team_members[team] * candidates.efficiency[position])
            crew.travel_h.append(travel)
        return crew

    def _work(self, event: Event, hazard: Hazard, crew: Crew) -> float:
        return event.rescue_person_hours * self._growth(event, hazard, crew)

    # -- supplies -------------------------------------------------------------

    def _supply(self, event: Event, hazard: Hazard, demand: np.ndarray) -> Supply:
        """Draw stock through the tiers in order, then agreements; record what came in time."""
        network = self.network
        items = np.flatnonzero(demand > 0)
        need = demand[items]
        by_tier = np.zeros((len(SOURCE_TIERS), len(items)))
        in_time, late = np.zeros(len(items)), np.zeros(len(items))
        supply = Supply(items, need.copy(), in_time, late, by_tier, [])
        if not len(items):
            return supply
        sources = network.sources[event.township]
        deadline = event.impact_h + network.demand_deadline_h[event.hazard, items]
        available = self.stock[sources.depots[:, None], items[None, :]]
        before = np.cumsum(available, axis=0) - available
        take = np.clip(need[None, :] - before, 0.0, available)
        self.stock[sources.depots[:, None], items[None, :]] -= take
        slow = self._slowdown(event.township, sources.towns)
        arrival = self.env.now + sources.issue_h + sources.travel_h * slow
        on_time = arrival[:, None] <= deadline[None, :]
        in_time += (take * on_time).sum(axis=0)
        late += (take * ~on_time).sum(axis=0)
        np.add.at(by_tier, sources.tiers, take)
        equipment = network.item_is_equipment[items]
        for row in np.flatnonzero(take[:, equipment].sum(axis=1) > 0):
            quantity = take[row, equipment]
            used = quantity > 0
            supply.loans.append(
                (
                    int(sources.depots[row]),
                    items[equipment][used],
                    quantity[used],
                    float(sources.travel_h[row]),
                )
            )
        remaining = need - take.sum(axis=0)
        if "agreement" in self.scenario.dispatch.supply_order:
            self._from_agreements(event, items, remaining, deadline, supply)
        return supply

    def _from_agreements(
        self,
        event: Event,
        items: np.ndarray,
        remaining: np.ndarray,
        deadline: np.ndarray,
        supply: Supply,
    ) -> None:
        network = self.network
        tier = SOURCE_TIERS.index("agreement")
        for column in np.flatnonzero(remaining > 0):
            for agreement in network.agreements_by_item[items[column]]:
                quantity = min(remaining[column], self.agreement_left[agreement])
                if quantity <= 0:
                    continue
                self.agreement_left[agreement] -= quantity
                remaining[column] -= quantity
                town = network.agreement_town[agreement]
                travel = network.travel_h[town, event.township] * self._slowdown(
                    event.township, town
                )
                arrival = self.env.now + network.agreement_lead_h[agreement] + float(travel)
                if arrival <= deadline[column]:
                    supply.in_time[column] += quantity
                else:
                    supply.late[column] += quantity
                supply.by_tier[tier, column] += quantity
                if remaining[column] <= 0:
                    break

    def _lend(self, event: Event, supply: Supply, end: float) -> np.ndarray:
        """Equipment goes back to its depot after the event; some is lost. Returns lost per item."""
        lost_per_item = np.zeros(len(supply.items))
        if not supply.loans:
            return lost_per_item
        items = np.concatenate([loan[1] for loan in supply.loans])
        quantity = np.concatenate([loan[2] for loan in supply.loans])
        lost = self.rng(event).binomial(
            quantity.astype(np.int64), self.network.item_loss_rate[items]
        )
        np.add.at(lost_per_item, np.searchsorted(supply.items, items), lost)
        start = 0
        for depot, depot_items, _, travel in supply.loans:
            stop = start + len(depot_items)
            back = quantity[start:stop] - lost[start:stop]
            self.on_loan[depot, depot_items] += back
            self.lost[depot, depot_items] += lost[start:stop]
            when = end + travel - self.env.now
            self._after(when, partial(self._return_equipment, depot, depot_items, back))
            start = stop
        return lost_per_item

    def _return_equipment(self, depot: int, items: np.ndarray, back: np.ndarray, _=None) -> None:
        self.stock[depot, items] += back
        self.returned[depot, items] += back
        self.on_loan[depot, items] -= back

    # -- the record -----------------------------------------------------------

    def _finish(
        self,
        event: Event,
        hazard: Hazard,
        alarm: float,
        wait_h: float,
        crew: Crew,
        growth: float,
        supply: Supply,
    ) -> None:
        network, now = self.network, self.env.now
        work = event.rescue_person_hours * growth
        deadline = event.impact_h + hazard.rescue_deadline_h
        if crew.teams:
            done_at = finish_time(crew.arrivals, crew.rates, work)
            first = min(crew.arrivals)
            in_time = min(work, work_done_by(crew.arrivals, crew.rates, deadline))
            late, unmet = work - in_time, 0.0
        else:
            done_at, first, in_time, late, unmet = now, np.nan, 0.0, 0.0, work
        end = max(event.impact_h + event.duration_h, done_at)
        for team, arrival, travel in zip(crew.teams, crew.arrivals, crew.travel_h, strict=True):
            back = done_at + travel
            self._after(back - now, partial(self.pool.release, team))
            members = network.team_members[team]
            self.dispatch_rows.append(
                (self.replication, event.event_id, team, now, arrival, done_at, back, members)
            )
        lost = self._lend(event, supply, end)
        trapped_lost = self._trapped_lost(event, hazard, crew, first, done_at)
        evacuated = self._evacuated(event, hazard, crew)
        item_penalty = self._record_items(event, supply, lost)
        penalties = self.scenario.penalties
        rescue_penalty = penalties.rescue_work_yuan_per_person_hour * (
            unmet + penalties.late_fraction * late
        )
        # 小灾不出乡 is about forces: an event stays in the township when only its own
        # village forces, township team and fire station worked it and nothing went unmet
        # (county depots restocking it do not count as leaving the township).
        local_teams = all(
            network.team_base[t] == event.township and network.team_tier[t] in LOCAL_TEAM_TIERS
            for t in crew.teams
        )
        item_unmet = (supply.demand - supply.in_time - supply.late).sum() > 0
        if unmet > 0 or item_unmet:
            level = 2
        elif local_teams:
            level = 0
        else:
            level = 1
        self.event_rows.append(
            (
                self.replication,
                event.event_id,
                event.hazard,
                event.township,
                event.episode,
                event.impact_h,
                alarm,
                event.duration_h,
                event.severity_people,
                event.road_cut,
                growth,
                first,
                first - alarm,
                wait_h,
                len(crew.teams),
                float(sum(network.team_members[t] for t in crew.teams)),
                work,
                in_time,
                late,
                unmet,
                rescue_penalty,
                item_penalty,
                event.trapped,
                trapped_lost,
                float(round(event.severity_people * hazard.evacuate_fraction)),
                evacuated,
                end,
                level,
            )
        )

    def _trapped_lost(
        self, event: Event, hazard: Hazard, crew: Crew, first: float, done_at: float
    ) -> float:
        """Expected trapped people who die waiting: survival halves every half-life."""
        if event.trapped == 0:
            return 0.0
        if not crew.teams:
            return float(event.trapped)
        share = (np.arange(event.trapped) + 0.5) / event.trapped
        reached = first + share * (done_at - first) - event.impact_h
        survive = np.power(0.5, np.maximum(reached, 0.0) / hazard.survival_half_life_h)
        return float(event.trapped - survive.sum())

    def _evacuated(self, event: Event, hazard: Hazard, crew: Crew) -> float:
        people = round(event.severity_people * hazard.evacuate_fraction)
        if people <= 0 or not crew.teams:
            return 0.0
        rate = self.scenario.dispatch.evacuation_people_per_member_hour
        effort = work_done_by(crew.arrivals, crew.rates, event.impact_h)
        return float(min(people, rate * effort))

    def _record_items(self, event: Event, supply: Supply, lost: np.ndarray) -> float:
        network = self.network
        late_fraction = self.scenario.penalties.late_fraction
        unmet = supply.demand - supply.in_time - supply.late
        penalty = network.item_penalty_yuan[supply.items] * (unmet + late_fraction * supply.late)
        if len(supply.items):
            block = np.empty((len(supply.items), 11 + len(SOURCE_TIERS)))
            block[:, :4] = (self.replication, event.event_id, event.hazard, event.township)
            block[:, 4] = supply.items
            block[:, 5] = supply.demand
            block[:, 6] = supply.in_time
            block[:, 7] = supply.late
            block[:, 8] = unmet
            block[:, 9 : 9 + len(SOURCE_TIERS)] = supply.by_tier.T
            block[:, -2] = lost
            block[:, -1] = penalty
            self.item_rows.append(block)
        return float(penalty.sum())


def _merge(first: Supply, second: Supply) -> Supply:
    """Combine two allocations for the same event (a fire that grew asks again)."""
    items = np.union1d(first.items, second.items)
    merged = Supply(
        items,
        np.zeros(len(items)),
        np.zeros(len(items)),
        np.zeros(len(items)),
        np.zeros((len(SOURCE_TIERS), len(items))),
        first.loans + second.loans,
    )
    for part in (first, second):
        at = np.searchsorted(items, part.items)
        merged.demand[at] += part.demand
        merged.in_time[at] += part.in_time
        merged.late[at] += part.late
        merged.by_tier[:, at] += part.by_tier
    return merged
