"""Reserve norms (储备标准) and how far stock and a plan meet them.

A norm asks that the county can put out ``required_units`` of an item, of
which at least ``physical_share`` from its own depots and the rest from
supplier agreements (the October 2024 national guidance: government physical
stock at least half). :func:`compliance` says, per norm, what is held today,
after a plan, and what reaching the norm would still cost; with
``[norm_rules] as_constraints`` the optimiser must reach them
(:func:`units_to_reach`, through ``scenarios.rules.least_units``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from scenarios.schema import ReserveNorm, Scenario


class PurchaseLine(Protocol):
    """What compliance reads of a purchase: the item and how many units."""

    item_id: str
    quantity: int


class Purchases(Protocol):
    """What compliance reads of a plan (:class:`scenarios.plan.Plan`, whose workbook shows
    compliance, so this module cannot import it): its purchase lines."""

    purchases: Sequence[PurchaseLine]


COMPLIANCE_COLUMNS = (
    "item_id",
    "required_units",
    "physical_share",
    "agreed_units",
    "held_today",
    "meets_today",
    "bought",
    "held_after",
    "meets_after",
    "units_short_after",
    "cost_to_meet_yuan",
)


@dataclass(frozen=True, slots=True)
class NormCompliance:
    """One norm: what is held today and after the plan, and what it would still cost."""

    item_id: str
    required_units: int
    physical_share: float
    agreed_units: int  # what supplier agreements can deliver in a year
    held_today: int  # in every depot of the county, villages included
    meets_today: bool
    bought: int
    held_after: int
    meets_after: bool
    units_short_after: int
    cost_to_meet_yuan: float  # buying the units short after the plan, at the unit price


def held_units(scenario: Scenario) -> dict[str, int]:
    """Units of each item in every depot of the county today."""
    held: dict[str, int] = defaultdict(int)
    for line in scenario.stock:
        held[line.item_id] += line.quantity
    return held


def agreed_units(scenario: Scenario) -> dict[str, int]:
    """Units of each item the supplier agreements can deliver in a year."""
    agreed: dict[str, int] = defaultdict(int)
    for agreement in scenario.agreements:
        agreed[agreement.item_id] += agreement.max_quantity
    return agreed


def units_short(norm: ReserveNorm, held: int, agreed: int) -> int:
    """Physical units still needed: the physical share, and the rest past the agreements."""
    physical = math.ceil(norm.physical_share * norm.required_units - 1e-9)
    return max(0, physical - held, norm.required_units - agreed - held)


def units_to_reach(scenario: Scenario, item_id: str) -> int:
    """Units the plan must buy of an item to reach its norm (0 without one)."""
    norm = next((n for n in scenario.norms if n.item_id == item_id), None)
    if norm is None:
        return 0
    return units_short(norm, held_units(scenario)[item_id], agreed_units(scenario)[item_id])


def compliance(scenario: Scenario, plan: Purchases) -> list[NormCompliance]:
    """Each norm today and after the plan's purchases, with the cost of what is still short."""
    held, agreed = held_units(scenario), agreed_units(scenario)
    bought: dict[str, int] = defaultdict(int)
    for purchase in plan.purchases:
        bought[purchase.item_id] += purchase.quantity
    prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
    rows = []
    for norm in scenario.norms:
        item = norm.item_id
        after = held[item] + bought[item]
        short_after = units_short(norm, after, agreed[item])
        rows.append(
            NormCompliance(
                item_id=item,
                required_units=norm.required_units,
                physical_share=norm.physical_share,
                agreed_units=agreed[item],
                held_today=held[item],
                meets_today=units_short(norm, held[item], agreed[item]) == 0,
                bought=bought[item],
                held_after=after,
                meets_after=short_after == 0,
                units_short_after=short_after,
                cost_to_meet_yuan=short_after * prices[item],
            )
        )
    return rows
