"""Marginal values: what one more unit in a depot, or one more member in a team, would save.

The figure a funding request quotes ("each extra yuan on X cuts unmet demand by
..."), in expected yuan-equivalent per year, measured on the optimizer's sampled
years with the plan held fixed.

Two measurements, and the ``method`` column says which a row holds:

* ``dual_bound``: the dual of the stock (or team) limits in the fixed-plan
  linear programme. At a degenerate optimum — an empty depot whose limit binds
  at 0 = 0 while demand is met elsewhere — a dual is only an upper bound on what
  one more unit saves, so duals are used to rank and are never quoted as a
  saving: those rows keep ``saving_per_unit_yuan`` empty and come last.
* ``finite_difference``: the second stage solved again with one more unit (or
  member). With the plan fixed the second stage separates by item and leaves
  rescue work apart, so each re-solve is a small programme for one item, or for
  the teams alone; kit that saves rescue work (``capabilities``) is tied to the
  teams' work, so kit and teams are re-solved together. An item whose sampled
  penalty is already zero saves nothing anywhere; for the others the county
  depot and the township depots where the item is most demanded are measured,
  and every team is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from optimize.demand import DemandEvent
from optimize.everyday import member_saving
from optimize.model import (
    UNLIMITED_YUAN,
    Budgets,
    ModelOptions,
    SaaProblem,
    SolveFailedError,
    build_problem,
    solve,
)
from scenarios import rules
from scenarios.plan import Plan, idle_depots
from sim.network import CountyNetwork

COLUMNS = (
    "kind",
    "item_id",
    "depot_id",
    "team_id",
    "unit_cost_yuan",
    "saving_per_unit_yuan",
    "saving_per_yuan",
    "dual_bound_per_unit_yuan",
    "method",
)


def _fixed(
    network: CountyNetwork,
    years: list[list[DemandEvent]],
    plan: Plan,
    options: ModelOptions | None,
    items: set[int] | None = None,
    rescue: bool = True,
    year_weights: list[float] | None = None,
) -> SaaProblem:
    budgets = Budgets(UNLIMITED_YUAN, staffing_yuan=UNLIMITED_YUAN)
    saa = build_problem(
        network,
        years,
        budgets,
        options,
        items=items,
        rescue=rescue,
        year_weights=year_weights,
        planning_rules=False,
    )
    saa.fix_plan(plan, network)
    return saa


def _objective(saa: SaaProblem) -> float:
    report = solve(saa, "highs", mip_gap=0.0)
    if not report.found_plan:
        raise SolveFailedError(f"a fixed-plan programme did not solve: {report.solution}")
    return report.objective


def _with_one_more(saa: SaaProblem, var: pulp.LpVariable) -> float:
    return saa.objective_held_at(var, var.lowBound + 1)


def _duals(saa: SaaProblem, rows: list[tuple[str, float]]) -> float:
    """What one more unit saves through the rows it enters: ``-sum(dual x coefficient)``."""
    problem = saa.problem
    return -sum((problem.get_constraint_by_name(name).pi or 0.0) * c for name, c in rows)


def _dual_rows(network: CountyNetwork, saa: SaaProblem, plan: Plan) -> list[dict[str, object]]:
    """One row per (item, depot) the plan may buy for and per team, ranked by their duals.

    A depot idle today that the plan does not open is left out: its next unit
    would also cost the depot's upkeep, which no per-unit value holds; so is a
    part-time team whose township can recruit no one more.
    """
    allowed = rules.may_hold(network.scenario)
    closed = set(idle_depots(network.scenario)) - {p.depot_id for p in plan.purchases}
    rows = []
    for (item, depot), names in sorted(saa.stock_rows.items()):
        if not allowed[(network.item_ids[item], network.depot_ids[depot])]:
            continue  # the planning rules keep the item out of this depot (or its tier)
        if network.depot_ids[depot] in closed:
            continue
        price = float(network.item_price_yuan[item])
        bound = max(0.0, _duals(saa, [(name, 1.0) for name in names]))
        rows.append(
            {
                "kind": "purchase",
                "item_id": network.item_ids[item],
                "depot_id": network.depot_ids[depot],
                "team_id": "",
                "unit_cost_yuan": price,
                "dual_bound_per_unit_yuan": bound,
                "_key": (item, depot),
            }
        )
    full = {t for t, room in rules.recruitment_room(network.scenario, plan).items() if room <= 0}
    for team, names in sorted(saa.team_rows.items()):
        spec = network.scenario.teams[team]
        if spec.status == "part_time" and spec.base_township in full:
            continue  # its township can recruit no one more
        cost = float(spec.cost_per_member_yuan)
        rows.append(
            {
                "kind": "staffing",
                "item_id": "",
                "depot_id": "",
                "team_id": network.team_ids[team],
                "unit_cost_yuan": cost,
                "dual_bound_per_unit_yuan": max(0.0, _duals(saa, names)),
                "_key": team,
            }
        )
    return rows


def marginal_values(
    network: CountyNetwork,
    years: list[list[DemandEvent]],
    plan: Plan,
    options: ModelOptions | None = None,
    depots_per_item: int = 5,
    year_weights: list[float] | None = None,
) -> pd.DataFrame:
    """Saving per unit and per yuan for every purchasable (item, depot) and team.

    Columns: see :data:`COLUMNS`; measured rows first, by ``saving_per_yuan``,
    largest first; rows only bounded by their dual come last, saving left empty.
    ``year_weights`` weigh the years as in :func:`optimize.model.build_problem`.
    """
    full = _fixed(network, years, plan, options, year_weights=year_weights)
    _objective(full)
    rows = _dual_rows(network, full, plan)
    for row in rows:
        row["saving_per_unit_yuan"] = float("nan")
        row["method"] = "dual_bound"
    _measure_items(network, years, plan, options, rows, depots_per_item, year_weights)
    staffing = [r for r in rows if r["kind"] == "staffing"]
    _measure_teams(network, years, plan, options, staffing, year_weights)
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "_key"]).drop(columns="_key")
    cost = frame["unit_cost_yuan"].where(frame["unit_cost_yuan"] > 0)
    frame["saving_per_yuan"] = frame["saving_per_unit_yuan"] / cost
    frame["_measured"] = frame["method"] == "finite_difference"
    frame["_rank"] = frame["saving_per_yuan"].fillna(frame["dual_bound_per_unit_yuan"] / cost)
    frame = frame.sort_values(
        ["_measured", "_rank", "kind", "item_id", "depot_id", "team_id"],
        ascending=[False, False, True, True, True, True],
        ignore_index=True,
    )
    return frame.reindex(columns=list(COLUMNS))


def _demand_by_town(years: list[list[DemandEvent]], item: int) -> dict[int, float]:
    found: dict[int, float] = {}
    for events in years:
        for event in events:
            where = np.flatnonzero(event.items == item)
            if len(where):
                town = event.event.township
                found[town] = found.get(town, 0.0) + float(event.quantity[where[0]])
    return found


def _measure_items(
    network, years, plan, options, rows, depots_per_item: int, year_weights=None
) -> None:
    by_item: dict[int, list[dict[str, object]]] = {}
    for row in rows:
        if row["kind"] == "purchase":
            by_item.setdefault(row["_key"][0], []).append(row)  # type: ignore[index]
    kit = _kit_items(network)
    for item, item_rows in by_item.items():
        if item in kit:  # what it saves of the rescue work counts too, beside the other kit
            saa = _fixed(network, years, plan, options, kit, True, year_weights)
        else:
            saa = _fixed(network, years, plan, options, {item}, False, year_weights)
        base = _objective(saa)
        if base <= 1e-9:  # nothing of this item goes short: one more unit saves nothing
            for row in item_rows:
                row["saving_per_unit_yuan"] = 0.0
                row["method"] = "finite_difference"
            continue
        demand = _demand_by_town(years, item)
        busiest = sorted(demand, key=demand.__getitem__, reverse=True)[:depots_per_item]
        for row in item_rows:
            depot = row["_key"][1]  # type: ignore[index]
            town = int(network.depot_town[depot])
            if network.depot_tier[depot] == "county" or town in busiest:
                var = saa.purchases[row["_key"]]  # type: ignore[index]
                row["saving_per_unit_yuan"] = max(0.0, base - _with_one_more(saa, var))
                row["method"] = "finite_difference"


def _kit_items(network: CountyNetwork) -> set[int]:
    """Items that save rescue work somewhere: their value and the teams' are measured together."""
    return set(np.flatnonzero(network.kit_saves_h.any(axis=0)).tolist())


def _measure_teams(network, years, plan, options, rows, year_weights=None) -> None:
    if not rows:
        return
    saa = _fixed(network, years, plan, options, _kit_items(network), True, year_weights)
    base = _objective(saa)
    for row in rows:
        var = saa.staffing[row["_key"]]  # type: ignore[index]
        calls = member_saving(network, row["_key"], round(var.lowBound))
        row["saving_per_unit_yuan"] = max(0.0, base - _with_one_more(saa, var)) + calls
        row["method"] = "finite_difference"
