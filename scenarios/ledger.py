"""The stock ledger (台账) across the years: lots by purchase year, and what leaves each year.

A lot is one stock line's units of one purchase year. A unit bought in year P of
an item that lasts L years (``Item.life_years``: equipment's service life, a
consumable's shelf life) is usable in years P .. P + ceil(L) - 1 and leaves the
ledger at the end of the last of them:

* **failed**: equipment fails during a year with the chance ``failure_rate_per_year
  + failure_rate_growth x age`` (age: years since purchase, 0 in the purchase year),
  counted as whole units, the expectation rounded half up; failures come first;
* **rotated**: a consumable leaves ``[ledger] rotate_before_years`` before its last
  year, handed to drills or civil use (轮换) at ``rotation_recovery_share`` of its
  price;
* **scrapped**: what is left of a lot at the end of its last year (a consumable
  when rotation is off, equipment always).

A stock line without a purchase year is assumed bought half its life before the
plan year, or in the year before it (``[ledger] unknown_age``); the lots say which
years were assumed; a line still on order is bought in the plan year. Every
function here is pure and keeps the units: each year's lots = kept + failed +
rotated + scrapped (``tests/test_scenarios_ledger.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

from scenarios.schema import Item, Scenario


@dataclass(frozen=True, slots=True)
class Lot:
    """Units of one item in one depot bought in one year."""

    depot_id: str
    item_id: str
    purchase_year: int
    quantity: int
    assumed_year: bool = False  # the stock table gave no purchase year ([ledger] unknown_age)


LOT_COLUMNS = tuple(f.name for f in fields(Lot))  # the closing-stock table's columns


@dataclass(frozen=True, slots=True)
class YearClose:
    """What the ledger holds at the end of a year, and what left it in that year."""

    year: int
    kept: tuple[Lot, ...]
    failed: tuple[Lot, ...]
    rotated: tuple[Lot, ...]
    scrapped: tuple[Lot, ...]
    recovery_yuan: float  # what the rotated units brought back


def last_year(item: Item, purchase_year: int) -> int | None:
    """The last year a unit bought in ``purchase_year`` is usable (None: no limit)."""
    life = item.life_years
    return None if life is None else purchase_year + math.ceil(life) - 1


def assumed_purchase_year(scenario: Scenario, item: Item) -> int:
    """The purchase year of a stock line that gives none (``[ledger] unknown_age``)."""
    plan_year, life = scenario.ledger.plan_year, item.life_years
    if scenario.ledger.unknown_age == "new" or life is None:
        return plan_year - 1
    return plan_year - math.floor(life / 2)


def opening_lots(scenario: Scenario) -> tuple[Lot, ...]:
    """The stock table as lots, each with its purchase year (given or assumed)."""
    items = {item.item_id: item for item in scenario.items}
    lots = []
    for line in scenario.stock:
        if line.quantity <= 0:
            continue
        given = line.purchase_year is not None or line.on_order
        if line.purchase_year is not None:
            year = line.purchase_year
        elif line.on_order:  # bought with the plan year's money
            year = scenario.ledger.plan_year
        else:
            year = assumed_purchase_year(scenario, items[line.item_id])
        lots.append(Lot(line.depot_id, line.item_id, int(year), line.quantity, not given))
    return tuple(lots)


def failures(item: Item, lot: Lot, year: int) -> int:
    """Units of the lot expected to fail in ``year``, whole (half up); none for consumables."""
    chance = failures_share(item, max(0, year - lot.purchase_year))
    return min(lot.quantity, math.floor(lot.quantity * chance + 0.5))


def leaves_after(scenario: Scenario, item: Item, lot: Lot) -> tuple[int, str] | None:
    """The year at whose end what is left of the lot leaves, and how (None: never)."""
    last = last_year(item, lot.purchase_year)
    if last is None:
        return None
    rotate = scenario.ledger.rotate_before_years
    if item.kind == "consumable" and rotate > 0:
        return max(lot.purchase_year, last - rotate), "rotated"
    return last, "scrapped"


def carried_share(scenario: Scenario, item: Item) -> float:
    """The share of a new unit's price it carries out of its purchase year, if not used.

    A unit held for ``n`` years (to its rotation or scrapping, :func:`leaves_after`)
    gives up its price less what leaving brings back (the rotation's recovery)
    in equal parts a year, straight line; what it carries out of the first year
    is the rest, or the recovery itself when it leaves that year. Units expected
    to fail in their first year carry nothing. An item without a life carries
    its whole price. The one-year optimiser credits this (``[objective]
    value_carried``), so a ten-year boat and a box of noodles bought with the
    same money are not alike.
    """
    first_year = 0  # any year: only the years between purchase and leaving matter
    lot = Lot("", item.item_id, first_year, 1)
    survive = 1.0 - min(1.0, failures_share(item, 0))
    leaving = leaves_after(scenario, item, lot)
    if leaving is None:
        return survive
    year, how = leaving
    held_years = year - first_year + 1
    recovered = scenario.ledger.rotation_recovery_share if how == "rotated" else 0.0
    return survive * (1.0 - (1.0 - recovered) / held_years)


def failures_share(item: Item, age: int) -> float:
    """The chance a unit of ``item`` aged ``age`` fails in a year (none for consumables)."""
    if item.kind != "equipment":
        return 0.0
    return min(1.0, item.failure_rate_per_year + item.failure_rate_growth * age)


def close_year(scenario: Scenario, lots: Iterable[Lot], year: int) -> YearClose:
    """Age the lots through ``year``: failures, then rotation or scrapping at the year's end."""
    items = {item.item_id: item for item in scenario.items}
    kept, failed, rotated, scrapped = [], [], [], []
    recovery = 0.0
    for lot in lots:
        item = items[lot.item_id]
        broken = failures(item, lot, year)
        if broken:
            failed.append(replace(lot, quantity=broken))
        left = replace(lot, quantity=lot.quantity - broken)
        if left.quantity <= 0:
            continue
        leaving = leaves_after(scenario, item, left)
        if leaving is None or leaving[0] > year:
            kept.append(left)
        elif leaving[1] == "rotated":
            rotated.append(left)
            share = scenario.ledger.rotation_recovery_share
            recovery += share * item.unit_price_yuan * left.quantity
        else:
            scrapped.append(left)
    return YearClose(year, tuple(kept), tuple(failed), tuple(rotated), tuple(scrapped), recovery)


def upkeep_yuan(scenario: Scenario, lots: Iterable[Lot]) -> float:
    """A year's upkeep of the units held (boats, pumps, generators, drone batteries)."""
    items = {item.item_id: item for item in scenario.items}
    return float(sum(items[lot.item_id].upkeep_yuan_per_year * lot.quantity for lot in lots))


def units_by_place(lots: Iterable[Lot]) -> dict[tuple[str, str], int]:
    """Units per (depot, item), whatever their purchase years."""
    totals: dict[tuple[str, str], int] = {}
    for lot in lots:
        key = (lot.depot_id, lot.item_id)
        totals[key] = totals.get(key, 0) + lot.quantity
    return totals
