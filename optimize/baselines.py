"""Plans a county would make without the optimizer, to judge the optimizer against.

* ``status_quo``: buy nothing, keep today's teams.
* ``equal_split``: the same money for every item type, stored where today's rule
  stores it (equipment at the county depot, consumables in the township depots).
* ``last_year_rule``: the budget split across item categories in the scenario's
  stated shares (``[procurement] last_year_category_shares``), then within a
  category in proportion to each item's expected yearly demand value, stored the
  same way.
* ``top_up``: the rule a county buys by: each item topped up to a year's
  expected need, most critical first; what money is left goes by last year's
  rule.

Consumables go to township depots in proportion to each township's expected
demand for the item (from hazard rates and exposure), equipment to the county
depot — the common practice of "county holds the heavy kit, townships the
sandbags". Every baseline buys as the scenario's planning rules say
(``scenarios.rules``): whole lots, only for depots that may hold the item, and
no depot past its holding ceiling (what a depot has no room for goes to another).
"""

from __future__ import annotations

import math

import numpy as np

from scenarios import rules
from scenarios.plan import Plan, Purchase, idle_depots
from scenarios.schema import ITEM_CATEGORIES
from sim.network import CountyNetwork

UNLIMITED_UNITS = 2**62  # room of a depot without a holding ceiling, as a whole number
MONEY_ROUNDS = 8


def status_quo() -> Plan:
    """Buy nothing; keep today's staffing."""
    return Plan("status_quo")


def expected_demand(network: CountyNetwork) -> np.ndarray:
    """Expected units demanded per year before growth, by township (rows) and item (columns)."""
    scenario = network.scenario
    table = np.zeros((len(network.township_ids), network.n_items))
    for k, hazard in enumerate(scenario.hazards):
        people = hazard.severity_median_people * np.exp(hazard.severity_sigma**2 / 2)
        people *= 1.0 - hazard.severity_zero_probability
        hours = hazard.duration_median_h * np.exp(hazard.duration_sigma**2 / 2)
        per_event = (
            network.demand_per_person[k] * people
            + network.demand_per_event[k]
            + network.demand_per_hour[k] * hours
        )
        table += hazard.annual_rate * np.outer(network.exposure[k], per_event)
    return table


class _Placer:
    """Where a baseline stores what it buys, in whole lots, only where the rules allow.

    It keeps the holding ceilings too: a depot takes at most its room
    (``rules.room_at``), what one purchase fills is gone for the next, and what
    the preferred depots cannot take goes to the others that may hold the item.
    """

    def __init__(self, network: CountyNetwork) -> None:
        self.network = network
        self.demand = expected_demand(network)
        room = rules.room_at(network.scenario)
        idle = idle_depots(network.scenario)  # a rule of thumb opens no new depot
        self.room = [  # whole units; UNLIMITED_UNITS where no ceiling holds
            [
                0 if depot in idle else _whole(room.get((item, depot), 0))
                for depot in network.depot_ids
            ]
            for item in network.item_ids
        ]
        self.lot = [item.lot_size for item in network.scenario.items]

    def _over_counties(self, county: list[int], item: int, lots: int) -> dict[int, int]:
        """Lots for county depots: each county's first, by the county's expected demand.

        A county depot serves its own county alone (sim.network), so a city's
        equipment is split between its counties; one county gets it all in one depot.
        """
        network = self.network
        first: dict[int, int] = {}
        for depot in county:
            first.setdefault(int(network.township_county[network.depot_town[depot]]), depot)
        share = np.array([self.demand[network.township_county == c, item].sum() for c in first])
        total = share.sum()
        share = share / total if total > 0 else np.full(len(share), 1.0 / len(share))
        return dict(zip(first.values(), _largest_remainder(lots, share).tolist(), strict=True))

    def capacity(self, item: int) -> int:
        """Units of ``item`` the depots can still take, in whole lots."""
        lot = self.lot[item]
        return min(sum(room // lot * lot for room in self.room[item]), UNLIMITED_UNITS)

    def place(self, item: int, units: int) -> list[Purchase]:
        """Equipment to the county depot, consumables over township depots by expected demand.

        Only depots that may hold the item, are in use (or cost no upkeep) and
        have room are used: with no township depot that may, everything goes to
        the county; with no county depot, it is spread over the townships; what
        a depot has no room for goes to the others, the preferred first. ``units``
        are rounded down to whole lots; lots no depot has room for are not bought.
        """
        network, lot = self.network, self.lot[item]
        room = [r // lot for r in self.room[item]]  # in lots
        county = [k for k, tier in enumerate(network.depot_tier) if tier == "county" and room[k]]
        townships = {
            int(network.depot_town[k]): k
            for k, tier in enumerate(network.depot_tier)
            if tier == "township" and room[k]
        }
        lots = units // lot
        if lots <= 0 or not (county or townships):
            return []
        share = np.array([self.demand[town, item] for town in townships], dtype=float)
        if len(share):
            total = share.sum()
            share = share / total if total > 0 else np.full(len(share), 1.0 / len(share))
        spread = townships and (not county or not network.item_is_equipment[item])
        wanted = dict.fromkeys([*townships.values(), *county], 0)
        if spread:
            wanted.update(zip(townships.values(), _largest_remainder(lots, share), strict=True))
        else:
            wanted.update(self._over_counties(county, item, lots))
        given = {depot: min(want, room[depot]) for depot, want in wanted.items()}
        left = lots - sum(given.values())
        by_demand = [townships[t] for t in np.array(list(townships))[np.argsort(-share)]]
        overflow = [*county, *by_demand] if not spread else [*by_demand, *county]
        for depot in overflow:
            extra = min(left, room[depot] - given[depot])
            given[depot] += extra
            left -= extra
        placed = []
        for depot, quantity in given.items():
            if quantity > 0:
                self.room[item][depot] -= quantity * lot
                placed.append(Purchase(network.item_ids[item], network.depot_ids[depot],
                                       int(quantity) * lot))  # fmt: skip
        return placed


def _whole(units: float) -> int:
    """Room as a whole number of units: ``UNLIMITED_UNITS`` for a depot without a ceiling."""
    return UNLIMITED_UNITS if math.isinf(units) else int(units)


def _largest_remainder(units: int, share: np.ndarray) -> np.ndarray:
    """Whole units in proportion to ``share`` that add up to ``units``."""
    exact = units * share
    whole = np.floor(exact).astype(int)
    left = units - whole.sum()
    whole[np.argsort(-(exact - whole), kind="stable")[:left]] += 1
    return whole


def _plan_from_money(
    network: CountyNetwork,
    money: np.ndarray,
    plan_id: str,
    bought: np.ndarray | None = None,
    placer: _Placer | None = None,
) -> Plan:
    """Each item's money in whole lots, at most the rules' yearly maximum less ``bought``.

    Money an item cannot spend under its maximum, or for want of room in the
    depots, goes to the other items in the same proportions, as a county spends
    its whole budget. ``placer`` carries the room earlier purchases filled.
    """
    placer = _Placer(network) if placer is None else placer
    room = np.array([placer.capacity(item) for item in range(network.n_items)], dtype=np.int64)
    units = _units_from_money(network, money, placer.lot, bought, room)
    purchases = []
    for item in range(network.n_items):
        purchases += placer.place(item, int(units[item]))
    return Plan(plan_id, tuple(purchases))


def _units_from_money(
    network: CountyNetwork,
    money: np.ndarray,
    lots: list[int],
    bought: np.ndarray | None,
    room: np.ndarray,
) -> np.ndarray:
    price, lot = network.item_price_yuan, np.array(lots)
    cap = np.array(
        [
            np.iinfo(np.int64).max if (most := rules.most_units(spec)) is None else most
            for spec in network.scenario.items
        ]
    )
    cap = np.maximum(cap - (0 if bought is None else bought), 0)
    cap = np.minimum(cap, room)
    units = np.zeros(network.n_items, dtype=np.int64)
    share = money.astype(float)
    handed_over = 0.0  # handed-on money its shares were too small to spend
    for round_ in range(MONEY_ROUNDS):
        wanted = np.floor(share / (price * lot) + 1e-9).astype(np.int64) * lot
        add = np.minimum(wanted, cap - units)
        units += add
        if round_ > 0:
            handed_over += float(share.sum() - wanted @ price)
        # Only what the maximum held back is handed on; rounding leaves the rest unspent.
        held_back = float((wanted - add) @ price)
        open_items = (units < cap) & (money > 0)
        if held_back <= 0 or not open_items.any():
            break
        share = np.where(open_items, held_back * money / money[open_items].sum(), 0.0)
    # Handed-on money in shares too small for a whole lot (ceilings hand on a lot of
    # it): a lot at a time, round the open items in order of their money, while it lasts.
    order = [int(i) for i in np.argsort(-money, kind="stable") if money[i] > 0]
    while True:
        spent = False
        for item in order:
            if handed_over >= price[item] * lot[item] and units[item] + lot[item] <= cap[item]:
                units[item] += lot[item]
                handed_over -= price[item] * lot[item]
                spent = True
        if not spent:
            return units


def equal_split(network: CountyNetwork, budget_yuan: float) -> Plan:
    """The same money for every item type."""
    money = np.full(network.n_items, budget_yuan / network.n_items)
    return _plan_from_money(network, money, "equal_split")


def last_year_rule(network: CountyNetwork, budget_yuan: float) -> Plan:
    """Category shares from the scenario, then each item by its expected demand value.

    Shares of categories the scenario has no items in are handed to the other
    categories in proportion, so the whole budget is spent as a county would.
    """
    return _plan_from_money(network, _last_year_money(network, budget_yuan), "last_year_rule")


def _last_year_money(network: CountyNetwork, budget_yuan: float) -> np.ndarray:
    """Money per item under last year's rule."""
    procurement = network.scenario.procurement
    present = {ITEM_CATEGORIES[c] for c in np.unique(network.item_category)}
    shares = dict(procurement.last_year_category_shares) if procurement is not None else {}
    shares = {c: v for c, v in shares.items() if c in present} or dict.fromkeys(present, 1.0)
    total_share = sum(shares.values())
    value = expected_demand(network).sum(axis=0) * network.item_price_yuan
    money = np.zeros(network.n_items)
    for category, share in shares.items():
        members = network.item_category == ITEM_CATEGORIES.index(category)
        budget = budget_yuan * share / total_share
        total = value[members].sum()
        if total > 0:
            money[members] = budget * value[members] / total
        else:
            money[members] = budget / members.sum()
    return money


def top_up(network: CountyNetwork, budget_yuan: float) -> Plan:
    """Each item topped up to a year's expected need, most critical first; the rest as last year.

    The need is the expected units a year asks for, county-wide (hazard rates
    times the mean event's demand), against everything held today in every
    tier. Items go in order of criticality weight (then cheaper first), each
    bought to its gap in whole lots, at least the supplier's minimum order and
    at most the rules' yearly maximum, as far as the money left allows. Money
    no gap asks for is spent by :func:`last_year_rule`, as a county spends its
    whole budget.
    """
    scenario = network.scenario
    placer = _Placer(network)
    gap = expected_demand(network).sum(axis=0) - network.year_stock.sum(axis=0)
    order = sorted(
        range(network.n_items),
        key=lambda i: (-scenario.items[i].criticality_weight, network.item_price_yuan[i], i),
    )
    money, purchases = budget_yuan, []
    for item in order:
        spec, price, lot = (
            scenario.items[item],
            float(network.item_price_yuan[item]),
            placer.lot[item],
        )
        units = max(int(np.ceil(gap[item] / lot)) * lot, 0)
        if units and spec.min_order:
            units = max(units, int(np.ceil(spec.min_order / lot)) * lot)
        most = rules.most_units(spec)
        units = min(units, most if most is not None else units)
        units = min(units, int(money // (price * lot)) * lot, placer.capacity(item))
        if units <= 0 or units < spec.min_order:
            continue
        placed = placer.place(item, units)
        purchases += placed
        money -= price * sum(p.quantity for p in placed)
    counts = np.zeros(network.n_items, dtype=int)
    for purchase in purchases:
        counts[network.item_ids.index(purchase.item_id)] += purchase.quantity
    rest = _plan_from_money(
        network, _last_year_money(network, max(money, 0.0)), "rest", counts, placer
    )
    bought: dict[tuple[str, str], int] = {}
    for purchase in (*purchases, *rest.purchases):
        key = (purchase.item_id, purchase.depot_id)
        bought[key] = bought.get(key, 0) + purchase.quantity
    return Plan("top_up", tuple(Purchase(i, d, q) for (i, d), q in sorted(bought.items())))
