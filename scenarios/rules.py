"""The bureau's planning rules for a purchase list, in one place.

Items say who may hold them (a depot tier the county buys for, a team trained
to operate them based in the depot's township, a licence for hazardous goods),
how they are bought (whole lots, a supplier's minimum order, at least or at
most so many a year) and how much room a unit takes; depots say how much room
they have; the scenario's ``[rules]`` bound each category's and each depot
tier's share of the purchase money, ask for at least k lots of every item type, and cap what a
depot holds at a number of its design events' need (``scenarios.design``). The optimiser
builds these rules into its model from the functions here; :func:`breaches`
checks any plan against them, so every plan shown can say which it keeps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from scenarios.design import holding_ceilings
from scenarios.norms import units_to_reach
from scenarios.plan import Plan
from scenarios.schema import Depot, Item, Scenario

RULES = (
    "depot_tier",
    "operator",
    "hazardous",
    "capacity",
    "holding_ceiling",
    "lot_size",
    "min_order",
    "min_purchase",
    "max_purchase",
    "category_floor",
    "category_ceiling",
    "tier_floor",
    "tier_ceiling",
    "recruitment",
)
SHARE_TOLERANCE = 1e-6  # of the purchase money: rounding in a share is no breach


@dataclass(frozen=True, slots=True)
class Breach:
    """One planning rule a plan does not keep."""

    rule: str  # one of RULES
    subject: str  # the item, depot or category it concerns
    detail: str  # one line, for people


@dataclass(frozen=True, slots=True)
class ShareLimit:
    """A floor and a ceiling on one group's share of the plan's purchase money."""

    kind: str  # "category" (of the item) or "tier" (of the depot it goes to)
    group: str
    floor: float
    ceiling: float

    def holds(self, item: Item, depot: Depot) -> bool:
        """Whether a purchase of ``item`` for ``depot`` counts in this group."""
        return (item.category if self.kind == "category" else depot.tier) == self.group


def share_limits(scenario: Scenario) -> list[ShareLimit]:
    """The scenario's limits on shares of the purchase money, by category and by depot tier."""
    given = (("category", scenario.rules.category_share), ("tier", scenario.rules.tier_share))
    return [
        ShareLimit(kind, group, floor, ceiling)
        for kind, shares in given
        for group, (floor, ceiling) in shares.items()
    ]


def purchase_tiers(scenario: Scenario) -> tuple[str, ...]:
    """The depot tiers the county buys for (village stores are stocked by the villages)."""
    procurement = scenario.procurement
    return procurement.depot_tiers if procurement else ("county", "township")


def operators_by_township(scenario: Scenario) -> dict[str, set[str]]:
    """Per township, the equipment skills of the teams based there."""
    skills: dict[str, set[str]] = defaultdict(set)
    for team in scenario.teams:
        skills[team.base_township].update(team.operates)
    return skills


def why_not_held(
    scenario: Scenario, item: Item, depot: Depot, operators: dict[str, set[str]] | None = None
) -> str | None:
    """The rule that keeps ``item`` from being bought for ``depot``, or ``None`` if it may be."""
    if depot.tier not in purchase_tiers(scenario):
        return "depot_tier"
    if item.hazardous and not depot.stores_hazardous:
        return "hazardous"
    if item.operator_skill is not None:
        operators = operators_by_township(scenario) if operators is None else operators
        if item.operator_skill not in operators.get(depot.township_id, set()):
            return "operator"
    return None


def may_hold(scenario: Scenario) -> dict[tuple[str, str], bool]:
    """For every (item_id, depot_id): whether the plan may buy the item for the depot."""
    operators = operators_by_township(scenario)
    return {
        (item.item_id, depot.depot_id): why_not_held(scenario, item, depot, operators) is None
        for item in scenario.items
        for depot in scenario.depots
    }


def least_units(scenario: Scenario, item: Item) -> int:
    """County-wide units the plan must buy of ``item``, in whole lots.

    Its own minimum, or the scenario's k lots of every type, whichever is more;
    k lots only of a type some depot may hold (fuel, say, comes by agreement);
    and, when the norms are constraints, what reaching its reserve norm takes.
    """
    least = item.min_purchase
    if scenario.rules.min_lots_per_item and _held_somewhere(scenario, item):
        least = max(least, scenario.rules.min_lots_per_item * item.lot_size, item.min_order)
    if scenario.norm_rules.as_constraints:
        least = max(least, units_to_reach(scenario, item.item_id))
    return math.ceil(least / item.lot_size) * item.lot_size


def _held_somewhere(scenario: Scenario, item: Item) -> bool:
    operators = operators_by_township(scenario)
    return any(why_not_held(scenario, item, d, operators) is None for d in scenario.depots)


def most_units(item: Item) -> int | None:
    """County-wide units the plan may buy of ``item`` at most (whole lots), ``None``: no limit."""
    if item.max_purchase is None:
        return None
    return item.max_purchase // item.lot_size * item.lot_size


def purchase_room(scenario: Scenario) -> dict[tuple[str, str], int]:
    """Per (item_id, depot_id) under a holding ceiling: the most the plan may buy there.

    The ceiling less the depot's stock, never below zero, in whole lots. A county
    depot may always take the item's least units (what the rules force is kept
    centrally), so a ceiling never makes the rules' own minimum impossible.
    """
    ceilings = holding_ceilings(scenario)
    if not ceilings:
        return {}
    items = {item.item_id: item for item in scenario.items}
    tier = {depot.depot_id: depot.tier for depot in scenario.depots}
    held: dict[tuple[str, str], float] = defaultdict(float)
    for line in scenario.stock:
        held[(line.item_id, line.depot_id)] += line.quantity
    room = {}
    for (item_id, depot_id), ceiling in ceilings.items():
        item = items[item_id]
        units = max(0, int(ceiling - held[(item_id, depot_id)])) // item.lot_size * item.lot_size
        if tier[depot_id] == "county":
            units = max(units, least_units(scenario, item))
        room[(item_id, depot_id)] = units
    return room


def room_at(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Per (item_id, depot_id) the plan may buy for: the most it may (``inf``: no ceiling)."""
    room = purchase_room(scenario)
    return {key: room.get(key, math.inf) for key, may in may_hold(scenario).items() if may}


def room_by_item(scenario: Scenario) -> dict[str, float]:
    """Per item: the units the depots that may hold it can take in all (``inf``: no ceiling)."""
    total: dict[str, float] = defaultdict(float)
    for (item_id, _), units in room_at(scenario).items():
        total[item_id] += units
    return {item.item_id: total[item.item_id] for item in scenario.items}


def required_money(scenario: Scenario) -> float:
    """What the purchases the rules require cost (``least_units`` of every item)."""
    return float(sum(least_units(scenario, item) * item.unit_price_yuan for item in scenario.items))


def floors_that_fit(scenario: Scenario, money: float | None = None) -> dict[tuple[str, str], float]:
    """Per share floor the holding ceilings cannot meet: the largest floor they can.

    A group's floor share of ``money`` (default: what the required purchases cost)
    must find room under the holding ceilings (:func:`room_money`); keyed by (kind,
    group), the floors that fit, for the floors that do not (empty: all fit).
    """
    total = required_money(scenario) if money is None else money
    lowered = {}
    for limit in share_limits(scenario):
        if limit.floor <= 0 or total <= 0:
            continue
        room = room_money(scenario, limit)
        if room < limit.floor * total - 1e-6:
            lowered[(limit.kind, limit.group)] = room / total
    return lowered


def room_money(scenario: Scenario, limit: ShareLimit) -> float:
    """The purchase money a share group can take under the holding ceilings (``inf``: no end)."""
    items = {item.item_id: item for item in scenario.items}
    depots = {depot.depot_id: depot for depot in scenario.depots}
    return sum(
        units * items[item_id].unit_price_yuan
        for (item_id, depot_id), units in room_at(scenario).items()
        if limit.holds(items[item_id], depots[depot_id])
    )


def recruitment_room(scenario: Scenario, plan: Plan) -> dict[str, int]:
    """Per township with a recruitment limit: part-time members it can still take under ``plan``.

    Negative when the plan's rosters are past the limit.
    """
    members = {team.team_id: team.members for team in scenario.teams}
    members.update({s.team_id: s.members for s in plan.staffing})
    part_time: dict[str, int] = defaultdict(int)
    for team in scenario.teams:
        if team.status == "part_time":
            part_time[team.base_township] += members[team.team_id]
    return {
        t.township_id: t.max_part_time_members - part_time[t.township_id]
        for t in scenario.townships
        if t.max_part_time_members is not None
    }


def free_room_m3(scenario: Scenario) -> dict[str, float]:
    """Per depot with a capacity: the room its current stock leaves, never below zero."""
    volume = {item.item_id: item.volume_m3 for item in scenario.items}
    used: dict[str, float] = defaultdict(float)
    for line in scenario.stock:
        used[line.depot_id] += line.quantity * volume[line.item_id]
    return {
        depot.depot_id: max(0.0, depot.capacity_m3 - used[depot.depot_id])
        for depot in scenario.depots
        if depot.capacity_m3 is not None
    }


def breaches(plan: Plan, scenario: Scenario) -> list[Breach]:
    """Every planning rule of the scenario the plan breaks (empty: it keeps them all)."""
    items = {item.item_id: item for item in scenario.items}
    depots = {depot.depot_id: depot for depot in scenario.depots}
    found = _place_breaches(plan, scenario, items, depots)
    found += _quantity_breaches(plan, scenario, items)
    found += _share_breaches(plan, scenario, items, depots)
    for township_id, room in recruitment_room(scenario, plan).items():
        if room < 0:
            detail = f"{township_id}: part-time rosters {-room} members past what it can recruit"
            found.append(Breach("recruitment", township_id, detail))
    return found


def _place_breaches(
    plan: Plan, scenario: Scenario, items: dict[str, Item], depots: dict[str, Depot]
) -> list[Breach]:
    """Items bought where they may not be held, and depots filled past their room."""
    operators = operators_by_township(scenario)
    found = []
    room_used: dict[str, float] = defaultdict(float)
    for purchase in plan.purchases:
        item, depot = items[purchase.item_id], depots[purchase.depot_id]
        rule = why_not_held(scenario, item, depot, operators)
        if rule is not None:
            found.append(Breach(rule, item.item_id, _placement_detail(rule, item, depot)))
        room_used[depot.depot_id] += purchase.quantity * item.volume_m3
    found += _ceiling_breaches(plan, scenario)
    for depot_id, room in free_room_m3(scenario).items():
        if room_used[depot_id] > room + 1e-9:
            detail = (
                f"{depot_id}: purchases take {room_used[depot_id]:,.1f} m3, "
                f"the room left is {room:,.1f} m3"
            )
            found.append(Breach("capacity", depot_id, detail))
    return found


def _ceiling_breaches(plan: Plan, scenario: Scenario) -> list[Breach]:
    """Purchases that take a depot past its holding ceiling."""
    room = purchase_room(scenario)
    found = []
    for purchase in plan.purchases:
        most = room.get((purchase.item_id, purchase.depot_id))
        if most is not None and purchase.quantity > most:
            detail = (
                f"{purchase.item_id} in {purchase.depot_id}: {purchase.quantity} units bought, "
                f"room for {most} under its holding ceiling"
            )
            found.append(Breach("holding_ceiling", purchase.item_id, detail))
    return found


def _placement_detail(rule: str, item: Item, depot: Depot) -> str:
    reason = {
        "depot_tier": f"the county does not buy for {depot.tier} depots",
        "hazardous": f"{item.item_id} is hazardous and {depot.depot_id} is not licensed for it",
        "operator": f"no team based in {depot.township_id} operates {item.operator_skill}",
    }[rule]
    return f"{item.item_id} in {depot.depot_id}: {reason}"


def _quantity_breaches(plan: Plan, scenario: Scenario, items: dict[str, Item]) -> list[Breach]:
    """Whole lots, the supplier's minimum order, and the yearly minimum and maximum per item."""
    total: dict[str, int] = defaultdict(int)
    found = []
    for purchase in plan.purchases:
        total[purchase.item_id] += purchase.quantity
        lot = items[purchase.item_id].lot_size
        if purchase.quantity % lot:
            detail = (
                f"{purchase.item_id} in {purchase.depot_id}: {purchase.quantity} units, "
                f"not whole lots of {lot}"
            )
            found.append(Breach("lot_size", purchase.item_id, detail))
    for item in scenario.items:
        bought, least, most = total[item.item_id], least_units(scenario, item), most_units(item)
        if 0 < bought < item.min_order:
            detail = f"{item.item_id}: {bought} units, below the minimum order of {item.min_order}"
            found.append(Breach("min_order", item.item_id, detail))
        if bought < least:
            detail = f"{item.item_id}: {bought} units bought, at least {least} required"
            found.append(Breach("min_purchase", item.item_id, detail))
        if most is not None and bought > most:
            detail = f"{item.item_id}: {bought} units bought, at most {most} allowed"
            found.append(Breach("max_purchase", item.item_id, detail))
    return found


def _share_breaches(
    plan: Plan, scenario: Scenario, items: dict[str, Item], depots: dict[str, Depot]
) -> list[Breach]:
    """Each category's and each depot tier's share of the purchase money against its limits."""
    money = sum(p.quantity * items[p.item_id].unit_price_yuan for p in plan.purchases)
    found: list[Breach] = []
    if money <= 0:
        return found  # shares of nothing: as in the optimiser's rows, no share is broken
    for limit in share_limits(scenario):
        spent = sum(
            p.quantity * items[p.item_id].unit_price_yuan
            for p in plan.purchases
            if limit.holds(items[p.item_id], depots[p.depot_id])
        )
        share, what = spent / money, f"{limit.group}: {spent / money:.1%} of the purchase money"
        if limit.floor > 0 and share < limit.floor - SHARE_TOLERANCE:
            detail = f"{what}, the floor is {limit.floor:.0%}"
            found.append(Breach(f"{limit.kind}_floor", limit.group, detail))
        if share > limit.ceiling + SHARE_TOLERANCE:
            detail = f"{what}, the ceiling is {limit.ceiling:.0%}"
            found.append(Breach(f"{limit.kind}_ceiling", limit.group, detail))
    return found
