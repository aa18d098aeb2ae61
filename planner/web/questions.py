"""The page's questions as CLI commands: what a form asks, checked, turned into a job's steps.

"What do 500k more buy?" is ``yingji sweep`` over the budgets (its frontier, the
paired step from each budget to the next) and then ``yingji optimize`` at each
budget for the plan itself, on the same sampled years, seed and judging years as
the sweep's cells (cells keep their headline, not their plan). "Plan A against
plan B" and "this plan, edited" are ``yingji compare``: the same simulated years
for both plans, the paired difference with its 95% interval.

Every refusal is one line naming the field and the value, in the page's language.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from planner.labels import page_word
from planner.web.jobs import OUT, PLANS
from scenarios.plan import PLAN_CSV_COLUMNS, Plan, Purchase
from scenarios.schema import MAX_COUNT, Money, Scenario

MIN_BUDGETS, MAX_BUDGETS = 2, 6  # a frontier needs two points; each is a solve and a judging
SWEEP_FILE = "sweep.toml"
# A line costing more than this many budgets is a typo (an extra zero or two), not a plan.
ABSURD_BUDGETS = 10
CURRENT_WORDS = ("当前", "现有", "current")
_money = TypeAdapter(Money)
# Between budgets: spaces, semicolons, the list comma 、, a full-width comma, or a comma
# that is not a thousands separator (after a non-digit, or before a space).
_BETWEEN = re.compile(r"[;；、，\s]+|(?<=\D),|,(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Line:
    """One purchase line of a plan as the edit table shows it."""

    item_id: str
    depot_id: str
    quantity: int


def money_text(value: float) -> str:
    """Yuan as the budget field shows it: ``2,800,000``."""
    return f"{value:,.0f}"


def parse_money(text: str) -> float:
    """An amount in the scenario's money forms (280万, 2.8M, 2,800,000); ValueError if not."""
    try:
        return float(_money.validate_python(text))
    except ValidationError as error:
        raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None


def parse_budgets(text: str, current: float, lang: str) -> list[float] | str:
    """The budgets to sweep, ascending, from what was typed; or the one line refusing them.

    Each is an amount (280万, 2.8M, 2,800,000), ``+`` an amount (that much more
    than the county's budget ``current``), or ``current`` / ``当前``.
    """
    tokens = [t for t in _BETWEEN.split(text.strip()) if t]
    found: set[float] = set()
    for token in tokens:
        value = _one_budget(token, current)
        if isinstance(value, str):
            return page_word("budgets_bad", lang).format(token, value)
        found.add(value)
    if not MIN_BUDGETS <= len(found) <= MAX_BUDGETS:
        return page_word("budgets_count", lang).format(MIN_BUDGETS, MAX_BUDGETS, len(found))
    return sorted(found)


def _one_budget(token: str, current: float) -> float | str:
    if token.lower() in CURRENT_WORDS:
        return current
    extra = token.startswith(("+", "＋"))
    try:
        value = parse_money(token[1:] if extra else token)
    except ValueError as error:
        return str(error)
    total = current + value if extra else value
    try:
        return parse_money(repr(total))  # the sum within the budget's own bounds
    except ValueError as error:
        return str(error)


def _number(value: float) -> str:
    """A TOML number: whole yuan as an integer."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def sweep_toml(budgets: list[float], scenario: str, sampled: int, reps: int) -> str:
    """The sweep file a budget sweep job runs: the county, its budgets, the page's sizes.

    Only numbers and the server's own file name go in (nothing typed is copied).
    """
    values = ", ".join(_number(b) for b in budgets)
    return (
        "# Written by yingji serve: what more budget buys.\n"
        "[sweep]\n"
        'name_zh = "预算扫描"\n'
        'name_en = "Budget sweep"\n'
        f'scenario = "{scenario}"\n'
        'action = "optimise"\n'
        'baselines = ["status_quo"]\n'
        f"reps = {reps}\n"
        f"sampled_years = {sampled}\n\n"
        "[grid]\n"
        f"budget_yuan = [{values}]\n"
    )


def sweep_steps(
    budgets: list[float], county: list[str], sampled: int, reps: int
) -> list[list[str]]:
    """The sweep, then ``optimize`` at each budget (the plan the sweep's cell judged)."""
    steps = [["sweep", SWEEP_FILE, "--out", OUT]]
    for index, budget in enumerate(budgets):
        optimize = ["optimize", *county, "--budget", repr(float(budget))]
        optimize += ["--scenarios", str(sampled), "--reps", str(reps)]
        optimize += ["--greedy-steps", "0", "--improve-steps", "0", "--out", f"{PLANS}/{index}"]
        steps.append(optimize)
    return steps


def compare_steps(county: list[str], first: str, second: str, reps: int) -> list[list[str]]:
    """``yingji compare`` of two plans (files in the job's folder, or ``status_quo``)."""
    scenario = county[0] if county else "default"
    return [["compare", scenario, first, second, "--reps", str(reps), "--out", OUT]]


def plan_csv(plan: Plan) -> bytes:
    """A plan in its CSV form (``part,item_id,depot_id,team_id,quantity``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PLAN_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(plan.to_csv_rows())
    return buffer.getvalue().encode("utf-8")


def largest_quantity(scenario: Scenario, item_id: str, budget: float) -> int:
    """The most of an item a line may hold: :data:`ABSURD_BUDGETS` budgets' worth."""
    price = next(i.unit_price_yuan for i in scenario.items if i.item_id == item_id)
    return int(min(MAX_COUNT, math.floor(ABSURD_BUDGETS * max(budget, 1.0) / price)))


def quantity(text: object, most: int) -> int | None:
    """A whole number of units from 0 to ``most`` as typed (``1,200`` too); None if not."""
    shown = str(text if text is not None else "").strip().replace(",", "")
    if not re.fullmatch(r"\d{1,12}", shown):
        return None
    value = int(shown)
    return value if value <= most else None


def edited_plan(
    original: Plan,
    lines: list[Line],
    added: Line | None,
    plan_id: str = "edited",
) -> Plan:
    """The original plan with the table's quantities (and one added line); staffing kept."""
    bought: dict[tuple[str, str], int] = {}
    for line in [*lines, *([added] if added else [])]:
        key = (line.item_id, line.depot_id)
        bought[key] = bought.get(key, 0) + line.quantity
    purchases = tuple(Purchase(i, d, q) for (i, d), q in sorted(bought.items()) if q > 0)
    return Plan(plan_id, purchases, original.staffing)
