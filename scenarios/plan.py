"""A plan: what to buy for which depot, and how many members each team has.

The simulation applies a plan to a scenario's starting state. Plans are
data like scenarios, so they live in this bottom layer; the optimizer
produces them and the simulation consumes them. A plan has a CSV form
(``part,item_id,depot_id,team_id,quantity``) and a JSON form.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from scenarios.errors import InputError
from scenarios.schema import Scenario

PLAN_CSV_COLUMNS = ("part", "item_id", "depot_id", "team_id", "quantity")
JSON_ENTRY_KEYS = {
    "purchases": ("item_id", "depot_id", "quantity"),
    "staffing": ("team_id", "members"),
}


@dataclass(frozen=True, slots=True)
class Purchase:
    """Buy ``quantity`` units of an item for one depot."""

    item_id: str
    depot_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Staffing:
    """Set a team's number of members."""

    team_id: str
    members: int


@dataclass(frozen=True, slots=True)
class Plan:
    """Purchases per item and depot, and members per team (absent teams keep theirs)."""

    plan_id: str = "plan"
    purchases: tuple[Purchase, ...] = ()
    staffing: tuple[Staffing, ...] = field(default=())

    def purchase_cost_yuan(self, scenario: Scenario) -> float:
        """Total procurement cost of the purchases at the scenario's unit prices."""
        prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
        return float(sum(p.quantity * prices[p.item_id] for p in self.purchases))

    def staffing_cost_yuan(self, scenario: Scenario) -> float:
        """Annual cost of the teams' members under this plan (all teams)."""
        members = {t.team_id: t.members for t in scenario.teams}
        members.update({s.team_id: s.members for s in self.staffing})
        cost = {t.team_id: t.cost_per_member_yuan for t in scenario.teams}
        return float(sum(members[team] * cost[team] for team in members))

    def to_json(self) -> str:
        """The JSON form."""
        return json.dumps(
            {
                "plan_id": self.plan_id,
                "purchases": [
                    {"item_id": p.item_id, "depot_id": p.depot_id, "quantity": p.quantity}
                    for p in self.purchases
                ],
                "staffing": [{"team_id": s.team_id, "members": s.members} for s in self.staffing],
            },
            ensure_ascii=False,
            indent=2,
        )

    def to_csv_rows(self) -> list[dict[str, object]]:
        """The CSV form as rows keyed by :data:`PLAN_CSV_COLUMNS`."""
        rows: list[dict[str, object]] = [
            {"part": "purchase", "item_id": p.item_id, "depot_id": p.depot_id, "team_id": ""}
            | {"quantity": p.quantity}
            for p in self.purchases
        ]
        rows += [
            {"part": "staffing", "item_id": "", "depot_id": "", "team_id": s.team_id}
            | {"quantity": s.members}
            for s in self.staffing
        ]
        return rows


def load_plan(path: str | Path, scenario: Scenario) -> Plan:
    """Read a plan from CSV or JSON and check it against the scenario."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "", "file not found")
    rows = _json_rows(path) if path.suffix.lower() == ".json" else _csv_rows(path)
    purchases, staffing, purchase_rows, staffing_rows = [], [], [], []
    for where, row in rows:
        part = row.get("part")
        quantity = _whole_number(path, where, row.get("quantity"))
        if part == "purchase":
            purchases.append(Purchase(str(row.get("item_id")), str(row.get("depot_id")), quantity))
            purchase_rows.append(where)
        elif part == "staffing":
            staffing.append(Staffing(str(row.get("team_id")), quantity))
            staffing_rows.append(where)
        else:
            raise InputError(path, f"{where}, field part", "must be purchase or staffing", part)
    plan = Plan(path.stem, tuple(purchases), tuple(staffing))
    _check_plan(plan, path, scenario, purchase_rows, staffing_rows)
    return plan


def _json_rows(path: Path) -> list[tuple[str, dict[str, object]]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, "", f"not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError(path, "", "must be a JSON object with purchases and staffing")
    unknown = sorted(set(document) - {"plan_id", "purchases", "staffing"})
    if unknown:
        raise InputError(path, unknown[0], "unknown key (a typo?)")
    for part, keys in JSON_ENTRY_KEYS.items():
        entries = document.get(part, [])
        if not isinstance(entries, list):
            raise InputError(path, part, "must be a list of objects", entries)
        for index, entry in enumerate(entries):
            where = f"{part}[{index}]"
            if not isinstance(entry, dict):
                raise InputError(path, where, "must be an object", entry)
            unknown = sorted(set(entry) - set(keys))
            if unknown:
                raise InputError(path, f"{where}, field {unknown[0]}", "unknown key (a typo?)")
            for key in keys:
                if key not in entry:
                    raise InputError(path, f"{where}, field {key}", "missing")
    rows = []
    for index, entry in enumerate(document.get("purchases", [])):
        rows.append((f"purchases[{index}]", {"part": "purchase", **entry}))
    for index, entry in enumerate(document.get("staffing", [])):
        row = {
            "part": "staffing",
            "team_id": entry.get("team_id"),
            "quantity": entry.get("members"),
        }
        rows.append((f"staffing[{index}]", row))
    return rows


def _csv_rows(path: Path) -> list[tuple[str, dict[str, object]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(path, "", f"cannot read the file: {error}") from None
    for column in header:
        if column not in PLAN_CSV_COLUMNS:
            raise InputError(path, f"column {column!r}", "unknown column (a typo?)")
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"row {line}", "more values than header columns")
    return [(f"row {line}", dict(row)) for line, row in enumerate(rows, start=2)]


def _quantity_field(where: str) -> str:
    """JSON staffing entries call the quantity ``members``; everywhere else it is ``quantity``."""
    return "members" if where.startswith("staffing[") else "quantity"


def _whole_number(path: Path, where: str, value: object) -> int:
    location = f"{where}, field {_quantity_field(where)}"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(path, location, "not a number", value) from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise InputError(path, location, "not a number", value)
    if number < 0:
        raise InputError(path, location, "must not be negative", value)
    if number != int(number):
        raise InputError(path, location, "must be a whole number", value)
    return int(number)


def _check_plan(
    plan: Plan, path: Path, scenario: Scenario, purchase_rows: list[str], staffing_rows: list[str]
) -> None:
    items = {i.item_id for i in scenario.items}
    depots = {d.depot_id for d in scenario.depots}
    teams = {t.team_id: t for t in scenario.teams}
    for place, purchase in zip(purchase_rows, plan.purchases, strict=True):
        if purchase.item_id not in items:
            raise InputError(path, f"{place}, field item_id", "unknown item", purchase.item_id)
        if purchase.depot_id not in depots:
            raise InputError(path, f"{place}, field depot_id", "unknown depot", purchase.depot_id)
    seen: set[str] = set()
    for place, staffing in zip(staffing_rows, plan.staffing, strict=True):
        team = teams.get(staffing.team_id)
        if team is None:
            raise InputError(path, f"{place}, field team_id", "unknown team", staffing.team_id)
        if staffing.team_id in seen:
            raise InputError(path, f"{place}, field team_id", "team listed twice", team.team_id)
        seen.add(staffing.team_id)
        if not team.min_members <= staffing.members <= team.max_members:
            bounds = f"{team.min_members}..{team.max_members}"
            location = f"{place}, field {_quantity_field(place)}"
            raise InputError(path, location, f"outside team size {bounds}", staffing.members)
