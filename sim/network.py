"""The county as arrays: travel times, stock, teams and demand profiles.

Built once per (scenario, plan) and shared by every replication, so the
simulation itself only indexes arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.design import exposure_shares
from scenarios.plan import Plan
from scenarios.schema import ITEM_CATEGORIES, Scenario

TEAM_TIERS = ("village", "township", "fire_station", "county", "social")
SOURCE_TIERS = ("village", "township", "county", "neighbour", "agreement")


@dataclass(frozen=True, slots=True)
class Sources:
    """Where an event township's supplies come from, in escalation order."""

    depots: np.ndarray  # depot index per source
    tiers: np.ndarray  # index into SOURCE_TIERS
    towns: np.ndarray  # township the source stands in
    issue_h: np.ndarray  # time to load at the depot
    travel_h: np.ndarray  # base travel to the scene, before any road cut
    position: dict[int, int]  # depot index -> position in the arrays above


@dataclass(frozen=True, slots=True)
class Candidates:
    """Teams that may answer a hazard in a township, in escalation order."""

    teams: np.ndarray
    efficiency: np.ndarray  # share of each member's hour that counts: turnout x skill
    travel_h: np.ndarray  # base travel from the team's base to the scene
    position: dict[int, int]  # team index -> position in the arrays above


@dataclass(frozen=True, slots=True)
class CountyNetwork:
    """Everything the simulation needs from a scenario, as numpy arrays."""

    scenario: Scenario
    township_ids: tuple[str, ...]
    township_priority: np.ndarray  # the weight of a shortfall in each township
    township_county: np.ndarray  # the county each township answers to, as a number
    distance_km: np.ndarray
    travel_h: np.ndarray
    item_ids: tuple[str, ...]
    item_category: np.ndarray
    item_shortfall_yuan: np.ndarray
    item_price_yuan: np.ndarray
    item_is_equipment: np.ndarray
    item_is_relief: np.ndarray  # meets a first-relief need ([outcomes] relief_items)
    item_loss_rate: np.ndarray
    depot_ids: tuple[str, ...]
    depot_tier: tuple[str, ...]
    depot_town: np.ndarray
    initial_stock: np.ndarray  # (depots, items) on hand at the year's start
    arriving_stock: np.ndarray  # (depots, items) the year's purchases that arrive later
    item_delivery_h: np.ndarray  # hour of the year each item's purchases arrive ([delivery])
    team_ids: tuple[str, ...]
    team_tier: tuple[str, ...]
    team_base: np.ndarray
    team_members: np.ndarray
    team_calls_per_year: np.ndarray  # everyday calls its duty crews answer (sim.dispatch)
    team_mobilisation_h: np.ndarray  # median
    team_mobilisation_sigma: np.ndarray
    agreement_item: np.ndarray
    agreement_town: np.ndarray
    agreement_quantity: np.ndarray
    agreement_lead_h: np.ndarray
    # [county][item]: the county's agreements for the item, fastest first (agreements_for)
    agreements_by_item: tuple[tuple[np.ndarray, ...], ...]
    demand_per_person: np.ndarray  # (hazards, items)
    demand_per_event: np.ndarray
    demand_per_hour: np.ndarray
    demand_deadline_h: np.ndarray  # inf where a hazard does not need the item
    kit_saves_h: np.ndarray  # (hazards, items): rescue person-hours a unit on scene in time saves
    kit_share: np.ndarray  # (hazards, items): the most of an event's work an item saves
    team_operates: np.ndarray  # (teams, items): whether a team can use the item
    exposure: np.ndarray  # (hazards, townships), rows sum to 1
    sources: tuple[Sources, ...]  # per township
    candidates: tuple[tuple[Candidates, ...], ...]  # [hazard][township]

    @property
    def n_items(self) -> int:
        """Number of item types."""
        return len(self.item_ids)

    @property
    def year_stock(self) -> np.ndarray:
        """(depots, items): all the year holds, on hand at its start and arriving later."""
        return self.initial_stock + self.arriving_stock


def arrived(
    network: CountyNetwork, items: np.ndarray | int, hour: np.ndarray | float
) -> np.ndarray:
    """Whether the year's purchases of ``items`` are in their depots at ``hour`` (broadcast).

    The rule both engines keep: an event alarmed at or after an item's delivery
    hour may draw on what was bought; one alarmed before draws on what was held.
    """
    return network.item_delivery_h[items] <= hour


def deliveries(network: CountyNetwork) -> list[tuple[float, np.ndarray]]:
    """(hour, items) of each delivery after the year's start, in time order."""
    late = np.flatnonzero(network.arriving_stock.sum(axis=0) > 0)
    hours = network.item_delivery_h[late]
    return [(float(hour), late[hours == hour]) for hour in np.unique(hours)]


def agreements_for(network: CountyNetwork, town: int, item: int) -> np.ndarray:
    """Supplier agreements that deliver ``item`` to an event in ``town``, fastest first.

    A supplier agreement is signed by a county's bureau and serves that county's
    townships (the county of the supplier's township), as its depots do.
    """
    return network.agreements_by_item[network.township_county[town]][item]


def county_numbers(scenario: Scenario) -> np.ndarray:
    """Each township's county as a number, counties numbered as they first appear."""
    names = [t.county for t in scenario.townships]
    first = {name: k for k, name in enumerate(dict.fromkeys(names))}
    return np.array([first[name] for name in names], dtype=int)


def _distances(scenario: Scenario) -> np.ndarray:
    xy = np.array([(t.x_km, t.y_km) for t in scenario.townships])
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def _travel_times(scenario: Scenario, distance_km: np.ndarray) -> np.ndarray:
    """Hours between townships: the given matrix, or road distance over terrain speed."""
    travel = scenario.travel
    if travel.matrix_h is not None:
        return np.array(travel.matrix_h, dtype=float)
    pace = np.array([1.0 / travel.speed_kmh[t.terrain] for t in scenario.townships])
    local = np.array([travel.local_travel_h[t.terrain] for t in scenario.townships])
    # Half the road is in each township's terrain; the last stretch is local roads.
    between = distance_km * travel.road_factor * 0.5 * (pace[:, None] + pace[None, :])
    return between + local[None, :]


def _apply_plan(
    scenario: Scenario, plan: Plan | None, delivery_h: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stock on hand at the year's start, stock that arrives later, and team members.

    The year's purchases (the plan's, and stock lines still on order) arrive at
    their item's delivery hour: at the start when that is hour 0, later otherwise.
    """
    item_index = {item.item_id: k for k, item in enumerate(scenario.items)}
    depot_index = {depot.depot_id: k for k, depot in enumerate(scenario.depots)}
    held = np.zeros((len(scenario.depots), len(scenario.items)))
    arriving = np.zeros_like(held)
    lines = [(s.depot_id, s.item_id, s.quantity, s.on_order) for s in scenario.stock]
    if plan is not None:
        lines += [(p.depot_id, p.item_id, p.quantity, True) for p in plan.purchases]
    for depot_id, item_id, quantity, on_order in lines:
        item = item_index[item_id]
        late = on_order and delivery_h[item] > 0
        (arriving if late else held)[depot_index[depot_id], item] += quantity
    members = np.array([team.members for team in scenario.teams], dtype=float)
    if plan is not None:
        team_index = {team.team_id: k for k, team in enumerate(scenario.teams)}
        for staffing in plan.staffing:
            members[team_index[staffing.team_id]] = staffing.members
    return held, arriving, members


def _demand_tables(scenario: Scenario) -> tuple[np.ndarray, ...]:
    hazards = {h.hazard_id: k for k, h in enumerate(scenario.hazards)}
    items = {i.item_id: k for k, i in enumerate(scenario.items)}
    shape = (len(hazards), len(items))
    per_person, per_event, per_hour = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    deadline = np.full(shape, np.inf)
    for row in scenario.demand:
        at = hazards[row.hazard], items[row.item_id]
        per_person[at], per_event[at], per_hour[at] = row.per_person, row.per_event, row.per_hour
        deadline[at] = row.deadline_h
    return per_person, per_event, per_hour, deadline


def _kit_tables(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What kit saves (``capabilities``) by hazard and item, and which team can use which item."""
    hazards = {h.hazard_id: k for k, h in enumerate(scenario.hazards)}
    items = {i.item_id: k for k, i in enumerate(scenario.items)}
    saves = np.zeros((len(hazards), len(items)))
    share = np.zeros_like(saves)
    for row in scenario.capabilities:
        at = hazards[row.hazard], items[row.item_id]
        saves[at], share[at] = row.saves_person_hours, row.max_share
    operates = np.array(
        [
            [
                item.operator_skill is None or item.operator_skill in team.operates
                for item in scenario.items
            ]
            for team in scenario.teams
        ],
        dtype=bool,
    ).reshape(len(scenario.teams), len(items))
    return saves, share, operates


def _sources(scenario: Scenario, travel_h: np.ndarray, distance_km: np.ndarray) -> list[Sources]:
    """Each township's supply sources: stage by stage, the fastest first within a stage."""
    depot_town = np.array([scenario_town_index(scenario, d.township_id) for d in scenario.depots])
    serves = _stage_depots(scenario, depot_town, distance_km)
    delay = scenario.dispatch.issue_delay_h
    issue = np.array([float(delay.get(d.tier, 0.0)) for d in scenario.depots])
    local = np.array([d.tier == "village" for d in scenario.depots])
    stages = [stage for stage in scenario.dispatch.supply_order if stage != "agreement"]
    per_town = []
    for town in range(len(scenario.townships)):
        travel = np.where(local, 0.0, travel_h[depot_town, town])
        depots, tiers = [], []
        for stage in stages:
            found = np.flatnonzero(serves[stage][:, town])
            found = found[np.argsort(issue[found] + travel[found], kind="stable")]
            depots.append(found)
            tiers.append(np.full(len(found), SOURCE_TIERS.index(stage), dtype=int))
        chosen = np.concatenate(depots) if depots else np.zeros(0, dtype=int)
        per_town.append(
            Sources(
                depots=chosen.astype(int),
                tiers=np.concatenate(tiers) if tiers else np.zeros(0, dtype=int),
                towns=depot_town[chosen].astype(int),
                issue_h=issue[chosen],
                travel_h=travel[chosen],
                position={int(k): p for p, k in enumerate(chosen.tolist())},
            )
        )
    return per_town


def _stage_depots(
    scenario: Scenario, depot_town: np.ndarray, distance_km: np.ndarray
) -> dict[str, np.ndarray]:
    """(depots, townships) per supply stage: whether a depot serves an event there at that stage.

    Village and township depots serve their own township, a township depot its near
    neighbours too (within ``neighbour_radius_km``, across county lines), and a
    county depot the townships of its own county (sim.dispatch, Jurisdiction).
    """
    towns = len(scenario.townships)
    tier = np.array([d.tier for d in scenario.depots])[:, None]
    home = depot_town[:, None] == np.arange(towns)[None, :]
    near = distance_km[depot_town] <= scenario.dispatch.neighbour_radius_km
    county = county_numbers(scenario)
    same_county = county[depot_town][:, None] == county[None, :]
    return {
        "village": (tier == "village") & home,
        "township": (tier == "township") & home,
        "county": (tier == "county") & same_county,
        "neighbour": (tier == "township") & ~home & near,
    }


def scenario_town_index(scenario: Scenario, township_id: str) -> int:
    """Position of a township in the scenario's township list."""
    return [t.township_id for t in scenario.townships].index(township_id)


def _team_stages(scenario: Scenario, bases: np.ndarray, distance_km: np.ndarray) -> np.ndarray:
    """(teams, townships): each team's turn in ``team_order`` for an event there, -1 for none.

    Village and township teams answer at home (a township team a near neighbour too),
    fire stations within the neighbour radius whatever the county, and county and
    social teams anywhere in their own county (sim.dispatch, Jurisdiction).
    """
    order = scenario.dispatch.team_order
    towns = len(scenario.townships)
    home = bases[:, None] == np.arange(towns)[None, :]
    near = distance_km[bases] <= scenario.dispatch.neighbour_radius_km
    county = county_numbers(scenario)
    same_county = county[bases][:, None] == county[None, :]

    def turn(stage: str) -> int:
        return order.index(stage) if stage in order else -1

    stages = np.full(home.shape, -1, dtype=int)
    for k, team in enumerate(scenario.teams):
        if team.tier == "village":
            stages[k] = np.where(home[k], turn("village"), -1)
        elif team.tier == "township":
            stages[k] = np.where(
                home[k], turn("township"), np.where(near[k], turn("neighbour"), -1)
            )
        elif team.tier == "fire_station":
            stages[k] = np.where(home[k] | near[k], turn("fire_station"), -1)
        else:
            stages[k] = np.where(same_county[k], turn(team.tier), -1)
    return stages


def _candidates(
    scenario: Scenario, travel_h: np.ndarray, distance_km: np.ndarray, mobilisation_h: np.ndarray
) -> list[list[Candidates]]:
    """Per hazard and township, the teams that may answer: by turn, then arrival, then table."""
    general = scenario.dispatch.general_skill_efficiency
    bases = np.array([scenario_town_index(scenario, t.base_township) for t in scenario.teams])
    stages = _team_stages(scenario, bases, distance_km)
    table = []
    for hazard in scenario.hazards:
        efficiency = np.array(
            [
                team.turnout
                if hazard.rescue_skill in team.skills
                else general * team.turnout
                if "general" in team.skills
                else 0.0
                for team in scenario.teams
            ],
            dtype=float,
        )
        row = []
        for town in range(len(scenario.townships)):
            found = np.flatnonzero((efficiency > 0) & (stages[:, town] >= 0))
            arrival = mobilisation_h[found] + travel_h[bases[found], town]
            found = found[np.lexsort((found, arrival, stages[found, town]))]
            row.append(
                Candidates(
                    teams=found.astype(int),
                    efficiency=efficiency[found],
                    travel_h=travel_h[bases[found], town],
                    position={int(k): p for p, k in enumerate(found.tolist())},
                )
            )
        table.append(row)
    return table


def _agreements_by_item(scenario: Scenario) -> tuple[tuple[np.ndarray, ...], ...]:
    """[county][item]: agreement indices, fastest first (ties in table order)."""
    county = county_numbers(scenario)
    town = {t.township_id: k for k, t in enumerate(scenario.townships)}
    signed = [int(county[town[a.township_id]]) for a in scenario.agreements]
    table = []
    for number in range(int(county.max()) + 1):
        by_item = []
        for item in scenario.items:
            found = [
                (a.lead_time_h, k)
                for k, a in enumerate(scenario.agreements)
                if a.item_id == item.item_id and signed[k] == number
            ]
            by_item.append(np.array([k for _, k in sorted(found)], dtype=int))
        table.append(tuple(by_item))
    return tuple(table)


def build_network(scenario: Scenario, plan: Plan | None = None) -> CountyNetwork:
    """Turn a scenario (and an optional plan) into the arrays the simulation runs on."""
    distance_km = _distances(scenario)
    travel_h = _travel_times(scenario, distance_km)
    delivery_h = np.array([scenario.delivery_h(item) for item in scenario.items])
    stock, arriving, members = _apply_plan(scenario, plan, delivery_h)
    mobilisation_h = np.array([t.mobilisation_median_min / 60.0 for t in scenario.teams])
    per_person, per_event, per_hour, deadline = _demand_tables(scenario)
    kit_saves, kit_share, team_operates = _kit_tables(scenario)
    items = scenario.items
    relief = {item for need in scenario.outcomes.relief_items.values() for item in need}
    return CountyNetwork(
        scenario=scenario,
        township_ids=tuple(t.township_id for t in scenario.townships),
        township_priority=np.array([t.priority_weight for t in scenario.townships]),
        township_county=county_numbers(scenario),
        distance_km=distance_km,
        travel_h=travel_h,
        item_ids=tuple(i.item_id for i in items),
        item_category=np.array([ITEM_CATEGORIES.index(i.category) for i in items]),
        item_shortfall_yuan=np.array([i.shortage_penalty_yuan for i in items]),
        item_price_yuan=np.array([i.unit_price_yuan for i in items]),
        item_is_equipment=np.array([i.kind == "equipment" for i in items]),
        item_is_relief=np.array([i.item_id in relief for i in items]),
        item_loss_rate=np.array([i.loss_rate for i in items]),
        depot_ids=tuple(d.depot_id for d in scenario.depots),
        depot_tier=tuple(d.tier for d in scenario.depots),
        depot_town=np.array(
            [scenario_town_index(scenario, d.township_id) for d in scenario.depots]
        ),
        initial_stock=stock,
        arriving_stock=arriving,
        item_delivery_h=delivery_h,
        team_ids=tuple(t.team_id for t in scenario.teams),
        team_tier=tuple(t.tier for t in scenario.teams),
        team_base=np.array(
            [scenario_town_index(scenario, t.base_township) for t in scenario.teams]
        ),
        team_members=members,
        team_calls_per_year=np.array([t.everyday_calls_per_year for t in scenario.teams]),
        team_mobilisation_h=mobilisation_h,
        team_mobilisation_sigma=np.array([t.mobilisation_sigma for t in scenario.teams]),
        agreement_item=np.array(
            [[i.item_id for i in items].index(a.item_id) for a in scenario.agreements], dtype=int
        ),
        agreement_town=np.array(
            [scenario_town_index(scenario, a.township_id) for a in scenario.agreements], dtype=int
        ),
        agreement_quantity=np.array([a.max_quantity for a in scenario.agreements], dtype=float),
        agreement_lead_h=np.array([a.lead_time_h for a in scenario.agreements], dtype=float),
        agreements_by_item=_agreements_by_item(scenario),
        demand_per_person=per_person,
        demand_per_event=per_event,
        demand_per_hour=per_hour,
        demand_deadline_h=deadline,
        kit_saves_h=kit_saves,
        kit_share=kit_share,
        team_operates=team_operates,
        exposure=exposure_shares(scenario),
        sources=tuple(_sources(scenario, travel_h, distance_km)),
        candidates=tuple(
            tuple(row) for row in _candidates(scenario, travel_h, distance_km, mobilisation_h)
        ),
    )
