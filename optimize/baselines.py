"""Plans a county would make without the optimizer, to judge the optimizer against.

* ``status_quo``: buy nothing, keep today's teams.
* ``equal_split``: the same money for every item type, stored where today's rule
  stores it (equipment at the county depot, consumables in the township depots).
* ``last_year_rule``: the budget split across item categories in the scenario's
  stated shares (``[procurement] last_year_category_shares``), then within a
  category in proportion to each item's expected yearly demand value, stored the
  same way.

Consumables go to township depots in proportion to each township's expected
demand for the item (from hazard rates and exposure), equipment to the county
depot — the common practice of "county holds the heavy kit, townships the
sandbags".
"""

from __future__ import annotations

import numpy as np

from scenarios.plan import Plan, Purchase
from scenarios.schema import ITEM_CATEGORIES
from sim.network import CountyNetwork


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


def _tiers(network: CountyNetwork) -> tuple[str, ...]:
    procurement = network.scenario.procurement
    return procurement.depot_tiers if procurement is not None else ("county", "township")


def _place(network: CountyNetwork, item: int, units: int, demand: np.ndarray) -> list[Purchase]:
    """Equipment to the county depot, consumables over township depots by expected demand.

    Only depot tiers the scenario lets the county buy for are used: without
    township depots everything goes to the county, without a county depot
    everything is spread over the townships.
    """
    if units <= 0:
        return []
    tiers = _tiers(network)
    county = [k for k, tier in enumerate(network.depot_tier) if tier == "county" and tier in tiers]
    townships = {
        int(network.depot_town[k]): k
        for k, tier in enumerate(network.depot_tier)
        if tier == "township" and tier in tiers
    }
    spread = townships and (not county or not network.item_is_equipment[item])
    share = np.array([demand[town, item] for town in townships]) if townships else np.zeros(0)
    if not spread:
        return [Purchase(network.item_ids[item], network.depot_ids[county[0]], units)]
    share = share / share.sum() if share.sum() > 0 else np.full(len(share), 1.0 / len(share))
    split = _largest_remainder(units, share)
    return [
        Purchase(network.item_ids[item], network.depot_ids[depot], int(quantity))
        for depot, quantity in zip(townships.values(), split, strict=True)
        if quantity > 0
    ]


def _largest_remainder(units: int, share: np.ndarray) -> np.ndarray:
    """Whole units in proportion to ``share`` that add up to ``units``."""
    exact = units * share
    whole = np.floor(exact).astype(int)
    left = units - whole.sum()
    whole[np.argsort(-(exact - whole), kind="stable")[:left]] += 1
    return whole


def _plan_from_money(network: CountyNetwork, money: np.ndarray, plan_id: str) -> Plan:
    demand = expected_demand(network)
    purchases = []
    for item in range(network.n_items):
        units = int(np.floor(money[item] / network.item_price_yuan[item] + 1e-9))
        purchases += _place(network, item, units, demand)
    return Plan(plan_id, tuple(purchases))


def equal_split(network: CountyNetwork, budget_yuan: float) -> Plan:
    """The same money for every item type."""
    money = np.full(network.n_items, budget_yuan / network.n_items)
    return _plan_from_money(network, money, "equal_split")


def last_year_rule(network: CountyNetwork, budget_yuan: float) -> Plan:
    """Category shares from the scenario, then each item by its expected demand value.

    Shares of categories the scenario has no items in are handed to the other
    categories in proportion, so the whole budget is spent as a county would.
    """
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
    return _plan_from_money(network, money, "last_year_rule")
