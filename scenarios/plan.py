"""A plan: what to buy for which depot, and how many members each team has.

The simulation applies a plan to a scenario's starting state. Plans are
data like scenarios, so they live in this bottom layer; the optimizer
produces them and the simulation consumes them. A plan has a CSV form
(``part,item_id,depot_id,team_id,quantity``), a JSON form and an Excel
form for planners to read and edit; all three load back through
:func:`load_plan`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.errors import InputError
from scenarios.files import cells_as_text, read_csv_text, write_atomic
from scenarios.schema import ITEM_CATEGORIES, MAX_COUNT, Depot, Scenario

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

PLAN_CSV_COLUMNS = ("part", "item_id", "depot_id", "team_id", "quantity")
JSON_ENTRY_KEYS = {
    "purchases": ("item_id", "depot_id", "quantity"),
    "staffing": ("team_id", "members"),
}

OFFICE_SHEET = "采购清单"  # the purchasing office's list: a line per item, totals as formulas
OFFICE_TITLES = ("序号", "物资名称", "规格/单位", "单价（元）", "数量", "金额（元）", "储备点分配")
PURCHASE_SHEET = "采购 purchases"
STAFFING_SHEET = "人员 staffing"
ABOUT_SHEET = "说明 about"
NORMS_SHEET = "达标 norms"
# The id columns, read back by their trailing key (a title's Chinese may be reworded).
ITEM_ID_TITLE = "物资编号 item_id"
DEPOT_ID_TITLE = "储备点编号 depot_id"
TEAM_ID_TITLE = "队伍编号 team_id"
NORMS_TITLES = (
    ITEM_ID_TITLE,
    "物资 item (zh)",
    "英文名称 item (en)",
    "单位 unit",
    "标准 required",
    "自有比例 own share",
    "协议 agreed",
    "现有 today",
    "采购 bought",
    "方案后 after",
    "达标 met",
    "仍缺 still short",
    "补足费用 cost to meet (yuan)",
)
PURCHASE_TITLES = (
    ITEM_ID_TITLE,
    "物资 item (zh)",
    "英文名称 item (en)",
    "类别 category",
    "单位 unit",
    DEPOT_ID_TITLE,
    "储备点 depot",
    "层级 tier",
    "数量 quantity",
    "单价 unit price (yuan)",
    "金额 cost (yuan)",
)
STAFFING_TITLES = (
    TEAM_ID_TITLE,
    "队伍 team (zh)",
    "英文名称 team (en)",
    "层级 tier",
    "现有 current members",
    "计划 planned members",
    "变化 change",
    "人均年成本 cost per member (yuan)",
    "年成本 annual cost (yuan)",
)
# What load_plan reads from each sheet: row key -> column title. Everything else is for people.
EXCEL_READ_COLUMNS = {
    PURCHASE_SHEET: {
        "item_id": ITEM_ID_TITLE,
        "depot_id": DEPOT_ID_TITLE,
        "quantity": "数量 quantity",
    },
    STAFFING_SHEET: {"team_id": TEAM_ID_TITLE, "quantity": "计划 planned members"},
}
TOTAL_LABEL = "合计 total"
SUBTOTAL_LABEL = "小计 subtotal"
YUAN_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
NUMBER_FORMATS = {
    "数量 quantity": COUNT_FORMAT,
    "单价 unit price (yuan)": YUAN_FORMAT,
    "金额 cost (yuan)": YUAN_FORMAT,
    "现有 current members": COUNT_FORMAT,
    "计划 planned members": COUNT_FORMAT,
    "变化 change": "+#,##0;-#,##0;0",
    "人均年成本 cost per member (yuan)": YUAN_FORMAT,
    "年成本 annual cost (yuan)": YUAN_FORMAT,
    "标准 required": COUNT_FORMAT,
    "自有比例 own share": "0%",
    "协议 agreed": COUNT_FORMAT,
    "现有 today": COUNT_FORMAT,
    "采购 bought": COUNT_FORMAT,
    "方案后 after": COUNT_FORMAT,
    "仍缺 still short": COUNT_FORMAT,
    "补足费用 cost to meet (yuan)": YUAN_FORMAT,
}
ABOUT_TITLES = ("项目 field", "内容 value")
MAX_WIDTH = 60
DEPOT_TIER_ZH = {"county": "县级储备", "township": "乡镇储备", "village": "村级储备"}
Row = dict[str, object]  # a sheet row keyed by column title
COST_COLUMNS = ("part", "category", "tier", "cost_yuan", "change_cost_yuan")


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

    def with_units(self, item_id: str, depot_id: str, units: int) -> Plan:
        """The plan with ``units`` more (or, negative, fewer) of an item in a depot.

        Purchases stay sorted by item and depot; a line left at zero is dropped.
        """
        bought = {(p.item_id, p.depot_id): p.quantity for p in self.purchases}
        bought[(item_id, depot_id)] = bought.get((item_id, depot_id), 0) + units
        purchases = tuple(Purchase(i, d, q) for (i, d), q in sorted(bought.items()) if q > 0)
        return replace(self, purchases=purchases)

    def purchase_cost_yuan(self, scenario: Scenario) -> float:
        """Total procurement cost of the purchases at the scenario's unit prices."""
        prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
        return float(sum(p.quantity * prices[p.item_id] for p in self.purchases))

    def upkeep_yuan(self, scenario: Scenario) -> float:
        """Yearly upkeep of the depots this plan opens: idle today, stocked by its purchases."""
        idle = idle_depots(scenario)
        return float(sum(idle[d] for d in {p.depot_id for p in self.purchases} if d in idle))

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

    def to_excel(self, path: str | Path, scenario: Scenario) -> Path:
        """Write the Excel form (purchases, staffing, about) atomically; returns the path."""
        workbook = _workbook(self, scenario)
        return write_atomic(Path(path), workbook.save)


@dataclass(frozen=True, slots=True)
class OverBudget:
    """A plan whose purchases and depot upkeep cost more than the procurement budget."""

    plan_id: str
    cost_yuan: float
    budget_yuan: float

    def line(self) -> str:
        """One line for the console, saying how the plan is judged."""
        return (
            f"warning: plan {self.plan_id} costs {self.cost_yuan:,.0f} yuan, more than the "
            f"scenario's procurement budget of {self.budget_yuan:,.0f} "
            f"({self.cost_yuan / max(self.budget_yuan, 1.0):.1f} times): it is judged as given, "
            "not as a list the budget buys"
        )


def over_budget(plan: Plan, scenario: Scenario) -> OverBudget | None:
    """The plan against the scenario's procurement budget, when it costs more (by a yuan)."""
    cost = plan.purchase_cost_yuan(scenario) + plan.upkeep_yuan(scenario)
    budget = scenario.procurement_budget_yuan
    return OverBudget(plan.plan_id, cost, budget) if cost > budget + 0.5 else None


def write_plan(plan: Plan, scenario: Scenario, folder: str | Path) -> dict[str, Path]:
    """Write plan.csv, plan.json and plan.xlsx into ``folder``, each atomically."""
    folder = Path(folder)
    # The workbook first: it is the one that can fail on a plan the scenario does not know.
    xlsx = plan.to_excel(folder / "plan.xlsx", scenario)
    text = plan.to_json() + "\n"
    json_path = write_atomic(folder / "plan.json", lambda p: p.write_text(text, encoding="utf-8"))
    csv_path = write_atomic(folder / "plan.csv", lambda p: _save_csv(plan, p))
    return {"csv": csv_path, "json": json_path, "xlsx": xlsx}


def idle_depots(scenario: Scenario) -> dict[str, float]:
    """Depots holding nothing today that cost upkeep once stocked: depot id -> yuan a year.

    A depot in use is already in the bureau's running costs; one a plan opens
    is paid for from the same year's money as the purchases.
    """
    used = {line.depot_id for line in scenario.stock if line.quantity > 0}
    return {
        d.depot_id: d.upkeep_yuan_per_year
        for d in scenario.depots
        if d.upkeep_yuan_per_year > 0 and d.depot_id not in used
    }


def plan_costs(plan: Plan, scenario: Scenario) -> pd.DataFrame:
    """Costs by part, category and tier, one row each, sorted.

    Purchases are grouped by item category and depot tier; the upkeep of the
    depots the plan opens is the part ``upkeep`` (category ``depot``); staffing
    by team tier (in both the category and the tier column), counting only the
    teams the plan staffs. ``change_cost_yuan`` is the change against the scenario
    as it stands: all of a purchase, and (planned - current members) x cost
    per member for a team.
    """
    import pandas as pd  # here, so that importing scenarios stays quick for the CLI

    records = _purchase_cost_records(plan, scenario) + _upkeep_cost_records(plan, scenario)
    records += _staffing_cost_records(plan, scenario)
    frame = pd.DataFrame(records, columns=list(COST_COLUMNS))
    frame = frame.astype({"cost_yuan": float, "change_cost_yuan": float})
    money = ["cost_yuan", "change_cost_yuan"]
    return frame.groupby(["part", "category", "tier"], as_index=False)[money].sum()


def procurement_lines(plan: Plan, scenario: Scenario) -> pd.DataFrame:
    """The purchases line by line: item, depot, quantity, unit price and cost (numbers)."""
    import pandas as pd  # here, so that importing scenarios stays quick for the CLI

    items = {i.item_id: i for i in scenario.items}
    depots = {d.depot_id: d for d in scenario.depots}
    townships = {t.township_id: t for t in scenario.townships}
    rows = []
    for purchase in plan.purchases:
        item, depot = items[purchase.item_id], depots[purchase.depot_id]
        township = townships.get(depot.township_id)
        rows.append(
            {
                "item_id": item.item_id,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "category": item.category,
                "unit": item.unit,
                "depot_id": depot.depot_id,
                "depot_zh": depot.name_zh or (township.name_zh if township else depot.depot_id),
                "tier": depot.tier,
                "quantity": purchase.quantity,
                "unit_price_yuan": item.unit_price_yuan,
                "cost_yuan": purchase.quantity * item.unit_price_yuan,
            }
        )
    columns = ["item_id", "name_zh", "name_en", "category", "unit", "depot_id", "depot_zh", "tier"]
    frame = pd.DataFrame(rows, columns=[*columns, "quantity", "unit_price_yuan", "cost_yuan"])
    return frame.sort_values(
        ["cost_yuan", "item_id", "depot_id"], ascending=[False, True, True]
    ).reset_index(drop=True)


def _purchase_cost_records(plan: Plan, scenario: Scenario) -> list[tuple[Any, ...]]:
    """One cost record per purchase, in :data:`COST_COLUMNS` order."""
    items = {i.item_id: i for i in scenario.items}
    depots = {d.depot_id: d for d in scenario.depots}
    records = []
    for p in plan.purchases:
        item = items[p.item_id]
        cost = p.quantity * item.unit_price_yuan
        records.append(("purchase", item.category, depots[p.depot_id].tier, cost, cost))
    return records


def _upkeep_cost_records(plan: Plan, scenario: Scenario) -> list[tuple[Any, ...]]:
    """One cost record per depot the plan opens, in :data:`COST_COLUMNS` order."""
    idle = idle_depots(scenario)
    tiers = {d.depot_id: d.tier for d in scenario.depots}
    opened = sorted({p.depot_id for p in plan.purchases} & set(idle))
    return [("upkeep", "depot", tiers[d], idle[d], idle[d]) for d in opened]


def _staffing_cost_records(plan: Plan, scenario: Scenario) -> list[tuple[Any, ...]]:
    """One cost record per staffed team, in :data:`COST_COLUMNS` order."""
    teams = {t.team_id: t for t in scenario.teams}
    records = []
    for s in plan.staffing:
        team = teams[s.team_id]
        cost = s.members * team.cost_per_member_yuan
        change = (s.members - team.members) * team.cost_per_member_yuan
        records.append(("staffing", team.tier, team.tier, cost, change))
    return records


def _save_csv(plan: Plan, path: Path) -> None:
    """The CSV form, UTF-8, with :data:`PLAN_CSV_COLUMNS` as header."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLAN_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(plan.to_csv_rows())


# ---------------------------------------------------------------- the workbook


def _workbook(plan: Plan, scenario: Scenario) -> Workbook:
    """The Excel form: one sheet per part, and one saying how to read them."""
    from openpyxl import Workbook  # here, so that importing scenarios stays quick for the CLI

    workbook = Workbook()
    workbook.remove(workbook.active)
    add_plan_sheets(workbook, plan, scenario)
    about = [dict(zip(ABOUT_TITLES, line, strict=True)) for line in _about(plan, scenario)]
    fill_sheet(workbook.create_sheet(ABOUT_SHEET), ABOUT_TITLES, about, [])
    return workbook


def add_plan_sheets(workbook: Workbook, plan: Plan, scenario: Scenario, at: int = 0) -> None:
    """The plan's sheets, from position ``at``: the office's list, purchases, staffing, norms.

    The one way a plan is laid out in a workbook: ``plan.xlsx`` and the report's
    workbook both hold these, so either reads back as the plan (``load_plan``).
    """
    sheets = []
    if plan.purchases:
        sheets.append((OFFICE_SHEET, None))
    sheets += [(PURCHASE_SHEET, purchase_rows), (STAFFING_SHEET, _staffing_sheet)]
    if scenario.norms:
        sheets.append((NORMS_SHEET, _norms_sheet))
    titles = {PURCHASE_SHEET: PURCHASE_TITLES, STAFFING_SHEET: STAFFING_TITLES}
    titles[NORMS_SHEET] = NORMS_TITLES
    for offset, (name, rows_of) in enumerate(sheets):
        sheet = workbook.create_sheet(name, at + offset)
        if rows_of is None:
            office_sheet(sheet, plan, scenario)
        else:
            fill_sheet(sheet, titles[name], *rows_of(plan, scenario))


def office_sheet(sheet: Worksheet, plan: Plan, scenario: Scenario) -> None:
    """The list a purchasing office sends out: a numbered line per item, in the catalogue's order.

    Each line: the item, its unit, unit price, quantity, the amount as a formula
    (price x quantity) and where the units go (储备点分配); the total is a SUM
    formula, so the sheet stays right when the office edits a quantity. Only
    these formulas are live: every name is stored as text. The per-depot sheet
    (采购 purchases) is the one read back as a plan.
    """
    from openpyxl.styles import Alignment, Font

    depots = {d.depot_id: d for d in scenario.depots}
    split: dict[str, list[str]] = {}
    units: dict[str, int] = {}
    for p in plan.purchases:
        split.setdefault(p.item_id, []).append(
            f"{_depot_name(depots[p.depot_id], scenario)} {p.quantity:,}"
        )
        units[p.item_id] = units.get(p.item_id, 0) + p.quantity
    bought = [item for item in scenario.items if item.item_id in units]
    sheet.append(list(OFFICE_TITLES))
    for number, item in enumerate(bought, start=1):
        sheet.append([number, item.name_zh, item.unit, item.unit_price_yuan, units[item.item_id],
                      None, "；".join(split[item.item_id])])  # fmt: skip
    last = len(bought) + 1
    sheet.append([None, "合计", None, None, None, None, f"共 {len(bought)} 种物资"])
    cells_as_text(sheet)  # names come from users' files: text, whatever they begin with
    for row in range(2, last + 1):
        sheet[f"F{row}"] = f"=D{row}*E{row}"
    sheet[f"F{last + 1}"] = f"=SUM(F2:F{last})"
    for row in sheet.iter_rows(min_row=2):
        row[3].number_format = row[5].number_format = YUAN_FORMAT
        row[4].number_format = COUNT_FORMAT
        row[6].alignment = Alignment(wrap_text=True, vertical="top")
    for cell in (*sheet[1], *sheet[last + 1]):
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (8, 28, 12, 14, 12, 16, 48), strict=True):
        sheet.column_dimensions[letter].width = width


def purchase_rows(plan: Plan, scenario: Scenario) -> tuple[list[Row], list[Row]]:
    """Rows of the purchases sheet by title, then the total and per-category subtotal rows."""
    items = {i.item_id: i for i in scenario.items}
    depots = {d.depot_id: d for d in scenario.depots}
    rows, by_category = [], dict.fromkeys(ITEM_CATEGORIES, 0.0)
    for p in plan.purchases:
        item, depot = items[p.item_id], depots[p.depot_id]
        cost = p.quantity * item.unit_price_yuan
        by_category[item.category] += cost
        values = (p.item_id, item.name_zh, item.name_en, item.category, item.unit, p.depot_id)
        values += (_depot_name(depot, scenario), depot.tier, p.quantity, item.unit_price_yuan)
        rows.append(dict(zip(PURCHASE_TITLES, (*values, cost), strict=True)))
    bought = {items[p.item_id].category for p in plan.purchases}
    summary: list[Row] = [
        {ITEM_ID_TITLE: TOTAL_LABEL, "金额 cost (yuan)": sum(by_category.values())}
    ]
    summary += [
        {ITEM_ID_TITLE: SUBTOTAL_LABEL, "类别 category": category, "金额 cost (yuan)": cost}
        for category, cost in by_category.items()
        if category in bought
    ]
    return rows, summary


def _staffing_sheet(plan: Plan, scenario: Scenario) -> tuple[list[Row], list[Row]]:
    """Rows of the staffing sheet by title, then the total row."""
    teams = {t.team_id: t for t in scenario.teams}
    rows = []
    for s in plan.staffing:
        team = teams[s.team_id]
        values = (s.team_id, team.name_zh, team.name_en, team.tier, team.members, s.members)
        values += (s.members - team.members, team.cost_per_member_yuan)
        values += (s.members * team.cost_per_member_yuan,)
        rows.append(dict(zip(STAFFING_TITLES, values, strict=True)))
    summed = [t for t in STAFFING_TITLES[4:] if t != "人均年成本 cost per member (yuan)"]
    total = {TEAM_ID_TITLE: TOTAL_LABEL} | {t: sum(row[t] for row in rows) for t in summed}
    return rows, [total]


def _norms_sheet(plan: Plan, scenario: Scenario) -> tuple[list[Row], list[Row]]:
    """Each reserve norm today and after the plan (read by no one: for the office)."""
    from scenarios.norms import compliance

    items = {i.item_id: i for i in scenario.items}
    rows = []
    for norm in compliance(scenario, plan):
        item = items[norm.item_id]
        values = (norm.item_id, item.name_zh, item.name_en, item.unit, norm.required_units)
        values += (norm.physical_share, norm.agreed_units, norm.held_today, norm.bought)
        values += (norm.held_after, "是 yes" if norm.meets_after else "否 no")
        values += (norm.units_short_after, norm.cost_to_meet_yuan)
        rows.append(dict(zip(NORMS_TITLES, values, strict=True)))
    still = sum(row["补足费用 cost to meet (yuan)"] for row in rows)
    return rows, [{ITEM_ID_TITLE: TOTAL_LABEL, "补足费用 cost to meet (yuan)": still}]


def _depot_name(depot: Depot, scenario: Scenario) -> str:
    """The depot's Chinese name, or its township's name and tier when it has none."""
    if depot.name_zh:
        return depot.name_zh
    township = next(t for t in scenario.townships if t.township_id == depot.township_id)
    return f"{township.name_zh} {DEPOT_TIER_ZH[depot.tier]}"


def _about(plan: Plan, scenario: Scenario) -> list[tuple[str, object]]:
    """The about sheet: what the plan is for and how the workbook is read back."""
    return [
        ("方案 plan_id", plan.plan_id),
        ("情景 scenario_id", scenario.scenario_id),
        ("情景名称 scenario", f"{scenario.name_zh} {scenario.name_en}".strip()),
        ("采购金额 purchase cost (yuan)", plan.purchase_cost_yuan(scenario)),
        ("采购预算 purchase budget (yuan)", scenario.procurement_budget_yuan),
        ("全部队伍年成本 annual cost of all teams (yuan)", plan.staffing_cost_yuan(scenario)),
        ("金额单位 money", "元 yuan; 人员费用为每年 staffing costs are per year"),
        ("数量单位 quantity", "各物资自己的单位, 见“单位 unit”列 each item's own unit"),
        ("人员单位 members", "人 persons"),
        (
            "读取 reading back",
            "每张表的第一列是读回的编号 (还读 depot_id、数量/计划人数); 合计、小计行读取时忽略. "
            "The first column of each sheet is what is read back (with depot_id and quantity, "
            "or planned members); totals rows (合计/小计) are ignored on reading.",
        ),
        ("未列出的队伍 teams not listed", "保持现有人数 keep their current members"),
        (
            f"{OFFICE_SHEET} list",
            "供采购部门使用, 读回时不读取 for the purchasing office; not read back",
        ),
    ]


def fill_sheet(
    sheet: Worksheet, titles: Sequence[str], rows: list[Row], summary: list[Row]
) -> None:
    """Write a bold frozen header, the rows and bold summary rows (cells by title), then style."""
    from openpyxl.styles import Alignment, Font

    sheet.append(list(titles))
    for row in [*rows, *summary]:
        sheet.append([row.get(title) for title in titles])
    cells_as_text(sheet)  # names come from users' files: never a live formula
    for row in [sheet[1], *sheet.iter_rows(min_row=len(rows) + 2)]:
        for cell in row:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for title, cells in zip(titles, sheet.iter_cols(), strict=True):
        for cell in cells[1:]:
            # Every float in the workbook is money, apart from the columns named here.
            default = YUAN_FORMAT if isinstance(cell.value, float) else cell.number_format
            cell.number_format = NUMBER_FORMATS.get(title, default)
            if shown_width(cell) > MAX_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = min(MAX_WIDTH, 2 + max(map(shown_width, cells)))
        sheet.column_dimensions[cells[0].column_letter].width = width


def shown_width(cell: Any) -> int:
    """Roughly how many character widths a cell takes; Chinese characters count two."""
    value = cell.value
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------- reading


def load_plan(path: str | Path, scenario: Scenario) -> Plan:
    """Read a plan from CSV, JSON or Excel (.xlsx) and check it against the scenario."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "", "file not found")
    if path.stat().st_size == 0:  # a lost or truncated file, not a plan that buys nothing
        raise InputError(path, "", "empty file (0 bytes: no header row, no data); save it again")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(path, "", "old .xls workbooks cannot be read; save it as .xlsx")
    readers = {".json": _json_rows, ".xlsx": _excel_rows, ".xlsm": _excel_rows}
    rows = readers.get(suffix, _csv_rows)(path)
    purchases, staffing, purchase_lines, staffing_lines = [], [], [], []
    for where, row in rows:
        part = row.get("part")
        quantity = _whole_number(path, where, row.get("quantity"))
        if part == "purchase":
            purchases.append(Purchase(str(row.get("item_id")), str(row.get("depot_id")), quantity))
            purchase_lines.append(where)
        elif part == "staffing":
            staffing.append(Staffing(str(row.get("team_id")), quantity))
            staffing_lines.append(where)
        else:
            raise InputError(path, f"{where}, field part", "must be purchase or staffing", part)
    plan = Plan(path.stem, tuple(purchases), tuple(staffing))
    _check_plan(plan, path, scenario, purchase_lines, staffing_lines)
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
        reader = csv.DictReader(io.StringIO(read_csv_text(path), newline=""))
        rows = list(reader)
        header = reader.fieldnames or []
    except UnicodeDecodeError:
        raise InputError(path, "", "not UTF-8 or GB18030/GBK text: save it as CSV UTF-8") from None
    except (OSError, csv.Error) as error:
        raise InputError(path, "", f"cannot read the file: {error}") from None
    if not header:  # 0 bytes is a lost file, not a plan that buys nothing (that has a header)
        raise InputError(path, "", "empty file (no header row: " + ",".join(PLAN_CSV_COLUMNS) + ")")
    for column in header:
        if column not in PLAN_CSV_COLUMNS:
            raise InputError(path, f"column {column!r}", "unknown column (a typo?)")
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"row {line}", "more values than header columns")
    return [(f"row {line}", dict(row)) for line, row in enumerate(rows, start=2)]


def _excel_rows(path: Path) -> list[tuple[str, dict[str, object]]]:
    """The rows of both sheets, located like ``sheet 采购 purchases, row 5``."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, data_only=True)
    # openpyxl raises anything from BadZipFile to KeyError on a damaged file.
    except Exception as error:
        problem = " ".join(f"{type(error).__name__}: {error}".split())
        raise InputError(path, "", f"cannot read the workbook ({problem})") from None
    rows = []
    for name, part in ((PURCHASE_SHEET, "purchase"), (STAFFING_SHEET, "staffing")):
        rows += _sheet_rows(path, _find_sheet(path, workbook, name), name, part)
    return rows


def _find_sheet(path: Path, workbook: Workbook, name: str) -> Worksheet:
    """The sheet called ``name`` (ignoring case and spacing), or a one-line refusal."""
    for sheet in workbook.worksheets:
        if _normal(sheet.title) == _normal(name):
            return sheet
    found = ", ".join(repr(title) for title in workbook.sheetnames)
    raise InputError(path, f"sheet {name}", f"missing sheet (the workbook has {found})")


def _sheet_rows(
    path: Path, sheet: Worksheet, name: str, part: str
) -> list[tuple[str, dict[str, object]]]:
    """Data rows of one sheet, read by header title; blank and totals rows skipped."""
    values = list(sheet.iter_rows(values_only=True))
    header = values[0] if values else ()
    columns = _header_columns(path, name, header, EXCEL_READ_COLUMNS[name])
    rows = []
    for number, cells in enumerate(values[1:], start=2):
        row = {key: _cell(cells, column) for key, column in columns.items()}
        if _is_summary(row):
            continue
        where = f"sheet {name}, row {number}"
        for key, value in row.items():
            if value is None:
                shown = _quantity_field(where) if key == "quantity" else key
                raise InputError(path, f"{where}, field {shown}", "empty cell")
        rows.append((where, {"part": part, **row}))
    return rows


def _header_columns(
    path: Path, sheet: str, header: Sequence[object], wanted: dict[str, str]
) -> dict[str, int]:
    """Where each wanted column is, by its title in the first row."""
    titles = [_normal(title) for title in header]
    columns = {}
    for key, title in wanted.items():
        # the title as written, or any title ending in the key (a plan list from before
        # its id columns had Chinese, or one whose Chinese was reworded)
        found = [
            column
            for column, text in enumerate(titles)
            if text == _normal(title) or text.split()[-1:] == [key]
        ]
        if len(found) != 1:
            problem = "missing column" if not found else "column listed twice:"
            raise InputError(path, f"sheet {sheet}, row 1", f"{problem} {title!r}")
        columns[key] = found[0]
    return columns


def _normal(title: object) -> str:
    """A title as compared: case and runs of spaces do not matter."""
    return "" if title is None else " ".join(str(title).split()).casefold()


def _cell(cells: Sequence[object], column: int) -> object:
    """A cell's value, with text trimmed and blank text as empty."""
    value = cells[column] if column < len(cells) else None
    if isinstance(value, str):
        value = value.strip() or None
    return value


def _is_summary(row: dict[str, object]) -> bool:
    """A blank row, or one whose id (the first key) is a 合计/小计 (total/subtotal) label."""
    if all(value is None for value in row.values()):
        return True
    first = str(next(iter(row.values())))
    words = first.split() or [""]
    return first.startswith(("合计", "小计")) or words[0].casefold() in {"total", "subtotal"}


def _quantity_field(where: str) -> str:
    """What each form calls a team's size; a purchase's is always ``quantity``."""
    if where.startswith("staffing["):
        return "members"
    if where.startswith(f"sheet {STAFFING_SHEET},"):
        return "planned members"
    return "quantity"


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
    if number > MAX_COUNT:
        raise InputError(path, location, f"must be at most {MAX_COUNT:,}", value)
    return int(number)


def _check_plan(
    plan: Plan, path: Path, scenario: Scenario, purchase_lines: list[str], staffing_lines: list[str]
) -> None:
    items = {i.item_id for i in scenario.items}
    depots = {d.depot_id for d in scenario.depots}
    teams = {t.team_id: t for t in scenario.teams}
    for place, purchase in zip(purchase_lines, plan.purchases, strict=True):
        if purchase.item_id not in items:
            raise InputError(path, f"{place}, field item_id", "unknown item", purchase.item_id)
        if purchase.depot_id not in depots:
            raise InputError(path, f"{place}, field depot_id", "unknown depot", purchase.depot_id)
    seen: set[str] = set()
    for place, staffing in zip(staffing_lines, plan.staffing, strict=True):
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
