"""The SimPy county model: alarms, team dispatch and waiting, supplies, returns.

SimPy carries time and waiting (alarms, teams busy until they return, events
queued for a free team, reinforcements, equipment coming back and being sent
on to events still short of it, the year's purchases reaching their depots);
stock is plain numbers in a numpy array, drawn down and returned by vector
operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy

from scenarios.schema import Hazard
from sim.dispatch import (
    Kit,
    RoadCuts,
    Sent,
    agreement_arrivals,
    alarm_h,
    duty_crews,
    everyday_calls,
    extra_demand,
    finish_time,
    growth,
    kit_saving,
    needs_more_teams,
    route,
    routing_rank,
    select_teams,
    service_stream,
    source_arrivals,
    team_arrival,
    trapped_lost,
    unanswered_calls,
    usable_kit,
    work_done_by,
)
from sim.hazards import Event, base_demand
from sim.network import SOURCE_TIERS, Candidates, CountyNetwork, agreements_for, deliveries
from sim.rows import FROM_TIERS, ITEM_AT, ITEM_COLUMNS, CallRow, DispatchRow, EventRow

HANDLED_LEVELS = ("township", "county", "outside")
LOCAL_TEAM_TIERS = ("village", "township", "fire_station")
COUNTY = SOURCE_TIERS.index("county")


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

    def give_to_waiter(self, team: int) -> bool:
        """Hand a team that is back at base to the first waiting event that can use it."""
        for position, (allowed, granted) in enumerate(self.waiting):
            if team in allowed:
                del self.waiting[position]
                granted.succeed(team)
                return True
        return False


@dataclass(slots=True)
class Crew:
    """Teams sent to one event: index, arrival time and effective member count."""

    teams: list[int] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    travel_h: list[float] = field(default_factory=list)
    dispatched: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Supply:
    """What one event got of each item it needed (arrays over the needed items)."""

    items: np.ndarray
    demand: np.ndarray
    in_time: np.ndarray
    late: np.ndarray
    by_tier: np.ndarray  # (len(SOURCE_TIERS), items)
    by_relief: np.ndarray  # units there by the first-relief hour (``[outcomes] first_relief_h``)
    county_arrival: float  # when the first units from a county depot arrive (inf: none drawn)
    loans: list[tuple[int, np.ndarray, np.ndarray, float]]  # depot, items, quantity, travel


@dataclass(slots=True)
class Incident:
    """An event in progress: who was sent, what it got, what it still waits for."""

    event: Event
    hazard: Hazard
    alarm: float
    candidates: Candidates
    deadline: float  # rescue work deadline (absolute hours)
    crew: Crew = field(default_factory=Crew)
    supply: Supply | None = None
    work: float = 0.0  # rescue person-hours, grown, less what the kit saves
    growth: float = 1.0
    kit: Kit = field(default_factory=Kit.none)  # the kit its first crew can use
    kit_saved_h: float = 0.0
    wait_h: float = 0.0
    end_h: float = np.inf
    wake: simpy.Event | None = None


class CountyModel:
    """One replication of a county year. The constructor only wires; :meth:`run` runs."""

    def __init__(
        self,
        network: CountyNetwork,
        events: list[Event],
        seed: int = 0,
        replication: int = 0,
        environment: simpy.Environment | None = None,
        supplies: bool = True,
    ) -> None:
        self.network = network
        self.scenario = network.scenario
        self.supplies = supplies  # False: teams only (they never depend on supplies)
        self.seed = seed
        self.replication = replication
        self._streams: dict[int, np.random.Generator] = {}
        self.env = simpy.Environment() if environment is None else environment
        self.stock = network.initial_stock.copy()
        self.agreement_left = network.agreement_quantity.copy()
        self.pool = TeamPool(self.env, len(network.team_ids))
        self.cuts = RoadCuts.of(self.scenario, len(network.township_ids), events)
        self.event_rows: list[EventRow] = []
        self.item_rows: list[np.ndarray] = []  # one block of rows per event
        self.dispatch_rows: list[DispatchRow] = []
        self.call_rows: list[CallRow] = []  # per team with everyday calls
        self.lost = np.zeros_like(self.stock)
        self.on_loan = np.zeros_like(self.stock)
        self.stock_at_horizon = self.stock.copy()
        self.active: list[Incident] = []  # events being worked, oldest first
        self.finished: dict[int, Incident] = {}  # event id -> the event as it ended
        self.backorders: dict[int, list[tuple[Incident, int]]] = {}  # item -> (event, column)
        # Scheduled before the events: one alarmed at a delivery's hour finds it in the depot.
        for hour, items in deliveries(network):
            self._after(hour, partial(self._deliver, items))
        for event in events:
            self.env.process(self._incident(event))

    def run(self) -> CountyModel:
        """Run the year, note the stock at its end, then let the year's events finish.

        Events that strike before the end of the horizon are followed to their end
        (a late-December flood still counts), but no new event starts after it.
        """
        self.env.run(until=self.scenario.horizon_h)
        self.stock_at_horizon = self.stock.copy()
        self.env.run()
        if self.supplies:
            self._answer_everyday_calls()
        return self

    def _answer_everyday_calls(self) -> None:
        """Each team's everyday calls, answered by its duty crews (:mod:`sim.dispatch`).

        Counted apart from the year's events: duty crews answer calls, disasters
        draw on the whole roster, so neither delays the other in this model.
        """
        network, everyday = self.network, self.scenario.everyday
        for team in np.flatnonzero(network.team_calls_per_year > 0).tolist():
            arrivals, durations = everyday_calls(
                self.seed, self.replication, team, float(network.team_calls_per_year[team]),
                self.scenario.horizon_h, everyday,
            )  # fmt: skip
            crews = duty_crews(float(network.team_members[team]), everyday)
            missed = unanswered_calls(arrivals, durations, crews)
            town = int(network.team_base[team])
            penalty = float(network.township_priority[town]) * everyday.unanswered_yuan * missed
            self.call_rows.append(
                CallRow(self.replication, team, town, len(arrivals), missed, penalty)
            )

    def rng(self, event: Event) -> np.random.Generator:
        """The event's own service stream (:func:`sim.dispatch.service_stream`)."""
        stream = self._streams.get(event.event_id)
        if stream is None:
            stream = service_stream(self.seed, self.replication, event.event_id)
            self._streams[event.event_id] = stream
        return stream

    # -- time and travel ------------------------------------------------------

    def _slowdown(self, town: int, other: int | np.ndarray) -> np.ndarray:
        return self.cuts.slowdown(town, other, self.env.now)

    def _after(self, delay: float, callback: Callable[[object], None]) -> None:
        self.env.timeout(max(0.0, delay)).callbacks.append(callback)

    # -- the event ------------------------------------------------------------

    def _incident(self, event: Event):
        hazard = self.scenario.hazards[event.hazard]
        alarm = alarm_h(hazard, event.impact_h)
        yield self.env.timeout(alarm)
        candidates = self.network.candidates[event.hazard][event.township]
        deadline = event.impact_h + hazard.rescue_deadline_h
        incident = Incident(event, hazard, alarm, candidates, deadline)
        demand = base_demand(self.network, event)
        incident.supply = self._supply(event, demand)
        self._select(incident)
        if (
            not incident.crew.teams
            and len(candidates.teams)
            and self.scenario.dispatch.when_no_team == "queue"
        ):
            team = yield self.pool.request(frozenset(candidates.position))
            incident.wait_h = self.env.now - alarm
            self._add_team(incident, team)
            self._select(incident)
        incident.growth = self._growth(incident)
        incident.work = event.rescue_person_hours * incident.growth
        if incident.growth > 1.0:
            extra = extra_demand(demand, incident.growth)
            incident.supply = _merge(incident.supply, self._supply(event, extra))
        self._use_kit(incident)
        done_at = self.env.now
        incident.end_h = max(event.impact_h + event.duration_h, done_at)
        self._register_backorders(incident)
        if incident.crew.teams:
            done_at = yield from self._work_until_done(incident)
        incident.end_h = max(event.impact_h + event.duration_h, done_at)
        if incident.end_h > self.env.now:
            yield self.env.timeout(incident.end_h - self.env.now)
        self._cancel_backorders(incident)
        lost = self._lend(event, incident.supply, incident.end_h)
        self._record(incident, done_at, lost)

    def _work_until_done(self, incident: Incident):
        """Work until done; reinforcements that arrive meanwhile bring the finish forward."""
        crew = incident.crew
        self.active.append(incident)
        while True:
            done_at = finish_time(crew.arrivals, crew.rates, incident.work)
            incident.end_h = max(incident.event.impact_h + incident.event.duration_h, done_at)
            wake = self.env.event()
            incident.wake = wake
            self._after(done_at - self.env.now, partial(_wake, wake, "done"))
            if (yield wake) == "done":
                break
        self.active.remove(incident)
        for team, travel in zip(crew.teams, crew.travel_h, strict=True):
            self._after(done_at + travel - self.env.now, partial(self._team_back, team))
        return done_at

    def _use_kit(self, incident: Incident) -> None:
        """The kit on scene in time shortens the work (:func:`sim.dispatch.kit_saving`)."""
        kit = usable_kit(self.network, incident.event.hazard, incident.crew.teams)
        if not len(kit.items):
            return
        in_time = np.zeros(self.network.n_items)
        in_time[incident.supply.items] = incident.supply.in_time
        incident.kit = kit
        incident.kit_saved_h = float(kit_saving(kit, in_time[kit.items], incident.work).sum())
        incident.work -= incident.kit_saved_h

    def _growth(self, incident: Incident) -> float:
        arrivals = incident.crew.arrivals
        return growth(incident.hazard, incident.event.impact_h, min(arrivals) if arrivals else None)

    # -- teams ----------------------------------------------------------------

    def _team_arrival(self, incident: Incident, team: int) -> float:
        """When a team sent now would arrive (:func:`sim.dispatch.team_arrival`)."""
        event = incident.event
        return team_arrival(
            self.network, incident.candidates, event.township, team, self.env.now, self.cuts,
            self.rng(event),
        )  # fmt: skip

    def _add_team(self, incident: Incident, team: int, arrival: float | None = None) -> None:
        """Send a team to the event; it works from its arrival until the work is done."""
        if arrival is None:
            arrival = self._team_arrival(incident, team)
        position = incident.candidates.position[team]
        crew = incident.crew
        self.pool.free[team] = False
        crew.teams.append(team)
        crew.arrivals.append(arrival)
        crew.rates.append(
            self.network.team_members[team] * incident.candidates.efficiency[position]
        )
        crew.travel_h.append(float(incident.candidates.travel_h[position]))
        crew.dispatched.append(self.env.now)

    def _behind(self, incident: Incident, work: float) -> bool:
        crew = incident.crew
        return needs_more_teams(incident.hazard, crew.arrivals, crew.rates, work, incident.deadline)

    def _select(self, incident: Incident) -> None:
        """Send free teams in escalation order until the work would be done by its deadline."""
        crew = incident.crew
        on_the_way = [
            Sent(*entry) for entry in zip(crew.teams, crew.arrivals, crew.rates, strict=True)
        ]
        for sent in select_teams(
            self.network, incident.event, incident.candidates, self.pool.free, self.env.now,
            self.cuts, self.rng(incident.event), on_the_way,
        ):  # fmt: skip
            self._add_team(incident, sent.team, sent.arrival_h)

    def _team_back(self, team: int, _: object = None) -> None:
        """A team is back at base: to a waiting event, to an event running late, or free."""
        if self.pool.give_to_waiter(team):
            return
        for incident in self.active:
            if team not in incident.candidates.position or not self._behind(
                incident, incident.work
            ):
                continue
            arrival = self._team_arrival(incident, team)
            if arrival >= finish_time(incident.crew.arrivals, incident.crew.rates, incident.work):
                continue  # it would arrive after the work is done
            self._add_team(incident, team, arrival)
            _wake(incident.wake, "reinforced")
            return
        self.pool.free[team] = True

    # -- supplies -------------------------------------------------------------

    def _supply(self, event: Event, demand: np.ndarray) -> Supply:
        """Draw stock and agreements by the routing rule (:func:`sim.dispatch.route`)."""
        network = self.network
        items = np.flatnonzero(demand > 0) if self.supplies else np.zeros(0, dtype=int)
        need = demand[items]
        by_tier = np.zeros((len(SOURCE_TIERS), len(items)))
        in_time, late = np.zeros(len(items)), np.zeros(len(items))
        by_relief = np.zeros(len(items))
        supply = Supply(items, need.copy(), in_time, late, by_tier, by_relief, np.inf, [])
        if not len(items):
            return supply
        sources = network.sources[event.township]
        deadline = event.impact_h + network.demand_deadline_h[event.hazard, items]
        held = self.stock[sources.depots[:, None], items[None, :]]
        arrival = source_arrivals(network, event.township, self.env.now, self.cuts)
        agreements = self._agreements(event.township, items)
        if len(agreements):
            matches = network.agreement_item[agreements][:, None] == items[None, :]
            held = np.vstack([held, np.where(matches, self.agreement_left[agreements, None], 0.0)])
            called = agreement_arrivals(network, event.township, self.env.now, self.cuts)
            arrival = np.concatenate([arrival, called[agreements]])
        on_time = arrival[:, None] <= deadline[None, :]
        relief_h = event.impact_h + self.scenario.outcomes.first_relief_h
        rank = routing_rank(arrival, deadline, relief_h, network.item_is_relief[items])
        take = route(held, need, rank)
        in_time += (take * on_time).sum(axis=0)
        late += (take * ~on_time).sum(axis=0)
        by_relief += take[arrival <= relief_h].sum(axis=0)
        depots = len(sources.depots)  # the rows after them are supplier agreements
        take, take_agreed = take[:depots], take[depots:]
        self.stock[sources.depots[:, None], items[None, :]] -= take
        np.add.at(by_tier, sources.tiers, take)
        from_county = (sources.tiers == COUNTY) & (take.sum(axis=1) > 0)
        if from_county.any():
            supply.county_arrival = float(arrival[:depots][from_county].min())
        if len(agreements):
            self.agreement_left[agreements] -= take_agreed.sum(axis=1)
            by_tier[SOURCE_TIERS.index("agreement")] += take_agreed.sum(axis=0)
        self._loan_equipment(sources, items, take, supply)
        return supply

    def _deliver(self, items: np.ndarray, _: object = None) -> None:
        """The year's purchases of ``items`` reach their depots (:func:`sim.network.arrived`)."""
        self.stock[:, items] += self.network.arriving_stock[:, items]

    def _agreements(self, town: int, items: np.ndarray) -> np.ndarray:
        """Supplier agreements that deliver any of ``items`` to ``town``, fastest first per item."""
        if "agreement" not in self.scenario.dispatch.supply_order:
            return np.zeros(0, dtype=int)
        found = [agreements_for(self.network, town, item) for item in items]
        return np.concatenate(found) if found else np.zeros(0, dtype=int)

    def _loan_equipment(self, sources, items: np.ndarray, take: np.ndarray, supply: Supply) -> None:
        """Equipment drawn from depots is on loan to the event until it comes back."""
        equipment = self.network.item_is_equipment[items]
        if not equipment.any():
            return
        lent, lent_items = take[:, equipment], items[equipment]
        for row in np.flatnonzero(lent.sum(axis=1) > 0).tolist():
            quantity = lent[row]
            used = quantity > 0
            depot = int(sources.depots[row])
            self.on_loan[depot, lent_items[used]] += quantity[used]
            loan = (depot, lent_items[used], quantity[used], float(sources.travel_h[row]))
            supply.loans.append(loan)

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
        if lost.any():
            depots = np.repeat(
                [loan[0] for loan in supply.loans], [len(loan[1]) for loan in supply.loans]
            )
            np.subtract.at(self.on_loan, (depots, items), lost)
            np.add.at(self.lost, (depots, items), lost)
        back = quantity - lost
        start = 0
        for depot, depot_items, _, travel in supply.loans:
            stop = start + len(depot_items)
            when = end + travel - self.env.now
            self._after(when, partial(self._return_equipment, depot, depot_items, back[start:stop]))
            start = stop
        return lost_per_item

    def _return_equipment(self, depot: int, items: np.ndarray, back: np.ndarray, _=None) -> None:
        self.stock[depot, items] += back
        self.on_loan[depot, items] -= back
        if not any(self.backorders.values()):  # nobody waits: the common case, kept cheap
            return
        for item in items[back > 0]:
            if self.backorders.get(int(item)):
                self._fill_backorders(depot, int(item))

    def _register_backorders(self, incident: Incident) -> None:
        """Equipment still missing waits for units coming back from other events."""
        supply = incident.supply
        missing = supply.demand - supply.in_time - supply.late
        short = self.network.item_is_equipment[supply.items] & (missing > 0)
        for column in np.flatnonzero(short):
            self.backorders.setdefault(int(supply.items[column]), []).append(
                (incident, int(column))
            )

    def _cancel_backorders(self, incident: Incident) -> None:
        for waiting in self.backorders.values():
            waiting[:] = [entry for entry in waiting if entry[0] is not incident]

    def _fill_backorders(self, depot: int, item: int) -> None:
        """Send returned equipment on to events still short of it, oldest first."""
        waiting = self.backorders[item]
        for entry in list(waiting):
            available = self.stock[depot, item]
            if available <= 0:
                return
            incident, column = entry
            sources = self.network.sources[incident.event.township]
            row = sources.position.get(depot)
            if row is None:
                continue
            slow = float(self._slowdown(incident.event.township, sources.towns[row])[0])
            arrival = self.env.now + sources.issue_h[row] + sources.travel_h[row] * slow
            if arrival >= incident.end_h:
                continue
            supply = incident.supply
            missing = supply.demand[column] - supply.in_time[column] - supply.late[column]
            quantity = min(missing, available)
            self.stock[depot, item] -= quantity
            self.on_loan[depot, item] += quantity
            deadline = (
                incident.event.impact_h
                + self.network.demand_deadline_h[incident.event.hazard, item]
            )
            if arrival <= deadline:
                supply.in_time[column] += quantity
            else:
                supply.late[column] += quantity
            if arrival <= incident.event.impact_h + self.scenario.outcomes.first_relief_h:
                supply.by_relief[column] += quantity
            supply.by_tier[sources.tiers[row], column] += quantity
            if sources.tiers[row] == COUNTY:
                supply.county_arrival = min(supply.county_arrival, arrival)
            loan = (depot, np.array([item]), np.array([quantity]), float(sources.travel_h[row]))
            supply.loans.append(loan)
            if quantity >= missing:
                waiting.remove(entry)

    # -- the record -----------------------------------------------------------

    def _record(self, incident: Incident, done_at: float, lost: np.ndarray) -> None:
        network, event, hazard = self.network, incident.event, incident.hazard
        self.finished[event.event_id] = incident
        crew, supply, work = incident.crew, incident.supply, incident.work
        if crew.teams:
            first = min(crew.arrivals)
            in_time = min(work, work_done_by(crew.arrivals, crew.rates, incident.deadline))
            late, unmet = work - in_time, 0.0
        else:
            first, in_time, late, unmet = np.nan, 0.0, 0.0, work
        for team, arrival, travel, sent in zip(
            crew.teams, crew.arrivals, crew.travel_h, crew.dispatched, strict=True
        ):
            members = network.team_members[team]
            self.dispatch_rows.append(
                DispatchRow(
                    replication=self.replication,
                    event_id=event.event_id,
                    team_id=team,
                    dispatched_h=sent,
                    arrival_h=arrival,
                    leave_scene_h=done_at,
                    back_at_base_h=done_at + travel,
                    members=members,
                )
            )
        item_penalty = self._record_items(event, supply, lost)
        penalties = self.scenario.penalties
        priority = float(self.network.township_priority[event.township])
        rescue_penalty = (
            priority
            * penalties.rescue_work_yuan_per_person_hour
            * (unmet + penalties.late_fraction * late)
        )
        self.event_rows.append(
            EventRow(
                replication=self.replication,
                event_id=event.event_id,
                hazard=event.hazard,
                township_id=event.township,
                episode=event.episode,
                impact_h=event.impact_h,
                alarm_h=incident.alarm,
                duration_h=event.duration_h,
                severity_people=event.severity_people,
                road_cut=event.road_cut,
                growth_factor=incident.growth,
                first_arrival_h=first,
                response_h=first - incident.alarm,
                wait_for_team_h=incident.wait_h,
                teams_dispatched=len(crew.teams),
                members_dispatched=float(sum(network.team_members[t] for t in crew.teams)),
                rescue_person_hours=work,
                kit_saved_h=incident.kit_saved_h,
                rescue_in_time=in_time,
                rescue_late=late,
                rescue_unmet=unmet,
                rescue_shortfall_yuan=rescue_penalty,
                item_shortfall_yuan=item_penalty,
                trapped=event.trapped,
                trapped_lost=trapped_lost(hazard, event.trapped, event.impact_h, first, done_at),
                to_evacuate=float(round(event.severity_people * hazard.evacuate_fraction)),
                evacuated_before_impact=self._evacuated(event, hazard, crew),
                work_done_h=done_at,
                end_h=incident.end_h,
                handled_level=self._handled_level(incident, unmet),
                # NaN: nothing came from a county depot
                county_first_batch_h=supply.county_arrival - incident.alarm
                if supply.county_arrival < np.inf
                else np.nan,
            )
        )

    def _handled_level(self, incident: Incident, rescue_unmet: float) -> int:
        """0 township, 1 county, 2 outside (see :data:`HANDLED_LEVELS`).

        小灾不出乡 is about forces: an event stays in the township when only its own
        village forces, township team and fire station worked it and nothing went
        unmet (county depots restocking it do not count as leaving the township).
        It needs help from outside the county when more than ``outside_help_share``
        of its rescue work, or of its weighted item demand, went unmet.
        """
        network, town = self.network, incident.event.township
        supply = incident.supply
        share = self.scenario.outcomes.outside_help_share
        weight = network.item_shortfall_yuan[supply.items]
        short = weight @ (supply.demand - supply.in_time - supply.late)
        if rescue_unmet > share * incident.work or short > share * float(weight @ supply.demand):
            return 2
        if rescue_unmet > 0 or short > 0:
            return 1
        local = all(
            network.team_base[t] == town and network.team_tier[t] in LOCAL_TEAM_TIERS
            for t in incident.crew.teams
        )
        return 0 if local else 1

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
        priority = float(network.township_priority[event.township])
        weight = priority * network.item_shortfall_yuan[supply.items]
        penalty = weight * (unmet + late_fraction * supply.late)
        if len(supply.items):
            block = np.empty((len(supply.items), len(ITEM_COLUMNS)))
            block[:, ITEM_AT["replication"]] = self.replication
            block[:, ITEM_AT["event_id"]] = event.event_id
            block[:, ITEM_AT["hazard"]] = event.hazard
            block[:, ITEM_AT["township_id"]] = event.township
            block[:, ITEM_AT["item_id"]] = supply.items
            block[:, ITEM_AT["demand"]] = supply.demand
            block[:, ITEM_AT["served_in_time"]] = supply.in_time
            block[:, ITEM_AT["served_late"]] = supply.late
            block[:, ITEM_AT["unmet"]] = unmet
            block[:, ITEM_AT["served_by_first_relief"]] = supply.by_relief
            block[:, FROM_TIERS] = supply.by_tier.T
            block[:, ITEM_AT["lost"]] = lost
            block[:, ITEM_AT["shortfall_yuan"]] = penalty
            self.item_rows.append(block)
        return float(penalty.sum())


def _wake(wake: simpy.Event | None, reason: str, _: object = None) -> None:
    """Wake an event's work loop, unless something already has."""
    if wake is not None and not wake.triggered:
        wake.succeed(reason)


def _merge(first: Supply, second: Supply) -> Supply:
    """Combine two allocations for the same event (a fire that grew asks again)."""
    items = np.union1d(first.items, second.items)
    merged = Supply(
        items,
        np.zeros(len(items)),
        np.zeros(len(items)),
        np.zeros(len(items)),
        np.zeros((len(SOURCE_TIERS), len(items))),
        np.zeros(len(items)),
        min(first.county_arrival, second.county_arrival),
        first.loans + second.loans,
    )
    for part in (first, second):
        at = np.searchsorted(items, part.items)
        merged.demand[at] += part.demand
        merged.in_time[at] += part.in_time
        merged.late[at] += part.late
        merged.by_tier[:, at] += part.by_tier
        merged.by_relief[at] += part.by_relief
    return merged
