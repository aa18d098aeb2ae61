"""HiGHS as the SAA model's solver: the model handed over as arrays, rounding, and checks.

PuLP 3.3 hands HiGHS a model one column and one row at a time; here it goes
as two array calls, with the objective's constant. With rounding, the LP
relaxation is solved first and rounded to whole units by diving, and branch
and bound, when that is not within the asked gap, starts from the rounded plan.
HiGHS's value of its solution is checked
against the solution's own objective before its bound is believed.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import pulp


class HighsWithOffset(pulp.HiGHS):
    """HiGHS given the model as arrays in one call each, and the objective's constant too.

    PuLP 3.3 adds one column and one row per call (seconds for a large SAA
    model) and keeps the constant to itself; without it HiGHS measures its
    relative gap against a shifted objective and stops early or late.
    """

    rounding = False
    lp_bound: float | None = None  # the LP relaxation's value, when it was solved first
    rounded = False  # whether the plan is the rounded LP relaxation (no branch and bound)
    start_basis = None  # a basis of an LP with the same rows and columns to start from
    basis = None  # the basis a pure LP solve ended at

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        highs = lp.solverModel
        integers = np.array(
            [v.index for v in lp.variables() if v.cat == pulp.LpInteger], dtype=np.int32
        )
        if not (self.rounding and self.mip and len(integers)):
            highs.run()
            if not self.mip and highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                self.basis = highs.getBasis()
            return
        _start_from(highs, self.start_basis)
        self.lp_bound, self.rounded = _round_or_branch(
            highs, integers, float(self.gapRel or 0.0), self.timeLimit
        )

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's name
        highs = lp.solverModel
        variables = lp.variables()
        for index, var in enumerate(variables):
            var.index = index
        sense = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective
        count = len(variables)
        columns = np.arange(count, dtype=np.int32)
        highs.addVars(count, *_bounds((v.lowBound, v.upBound) for v in variables))
        costs = np.fromiter((objective.get(v, 0.0) for v in variables), float, count)
        highs.changeColsCost(count, columns, sense * costs)
        if self.mip:
            integers = np.array(
                [v.index for v in variables if v.cat == pulp.LpInteger], dtype=np.int32
            )
            kinds = np.full(len(integers), highspy.HighsVarType.kInteger.value, dtype=np.uint8)
            highs.changeColsIntegrality(len(integers), integers, kinds)
        _add_rows(highs, list(lp._constraints.values()))
        highs.changeObjectiveOffset(sense * float(objective.constant))


def _start_from(highs, basis) -> None:
    """Start the next LP from ``basis`` when it fits the model (same rows and columns).

    The carried-value credit's LP and the rounding's LP differ only in their objective:
    the one's optimal basis is feasible for the other, and simplex goes on from there.
    """
    if basis is None or not basis.valid:
        return
    if len(basis.col_status) == highs.getNumCol() and len(basis.row_status) == highs.getNumRow():
        highs.setBasis(basis)


OBJECTIVE_AGREEMENT = 1e-7  # relative: HiGHS's objective value against the solution's own
INTEGRAL = 1e-6  # how far from a whole number a value may be and still count as whole
DIVE_ROUNDS = 32  # rounding rounds before every integer is fixed at once


def _round_or_branch(
    highs, integers: np.ndarray, mip_gap: float, time_limit_s: float | None
) -> tuple[float | None, bool]:
    """LP relaxation, rounded by diving; branch and bound when that is not within the gap.

    Returns the LP bound (None if the relaxation did not solve) and whether
    the rounded plan was kept. The LP bound is a lower bound on the optimum,
    so a rounded plan within ``mip_gap`` of it is within the gap of the optimum.
    """
    started = time.perf_counter()
    model = highs.getLp()
    lower = np.asarray(model.col_lower_)[integers]
    upper = np.asarray(model.col_upper_)[integers]
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    bound = None
    start = None
    if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        bound = float(highs.getInfo().objective_function_value)
        if dive(highs, integers):
            value = float(highs.getInfo().objective_function_value)
            if value - bound <= mip_gap * max(abs(value), 1e-9):
                highs.setOptionValue("solve_relaxation", False)
                return bound, True
            start = highs.getSolution()
    highs.changeColsBounds(len(integers), integers, lower, upper)
    highs.setOptionValue("solve_relaxation", False)
    _time_left(highs, time_limit_s, started)
    if start is None:
        highs.run()
    else:
        branch_and_bound_from(highs, integers, start, time_limit_s, started)
    return bound, False


def branch_and_bound_from(
    highs, integers: np.ndarray, start, time_limit_s: float | None, started: float
) -> None:
    """Branch and bound from the rounded plan, again without presolve if HiGHS misvalued it.

    HiGHS 1.16 can value a start in its presolved space below the start's own
    objective (by 144 yuan on the default county's 50 years at 5M yuan) and
    then prunes against a value no plan has, so its bound proves nothing.
    Without presolve the start keeps its value; slower, and rarely needed,
    since HiGHS's own better solutions replace the start.
    """
    _branch_from(highs, integers, start)
    highs.run()
    if valued_below_itself(highs):
        highs.setOptionValue("presolve", "off")
        _time_left(highs, time_limit_s, started)
        _branch_from(highs, integers, start)
        highs.run()


def _time_left(highs, time_limit_s: float | None, started: float) -> None:
    if time_limit_s is not None:
        left = time_limit_s - (time.perf_counter() - started)
        highs.setOptionValue("time_limit", float(max(left, 1.0)))


def _branch_from(highs, integers: np.ndarray, start) -> None:
    """Start branch and bound from the rounded plan, HiGHS's own plan search left on.

    Only the whole values are handed over and HiGHS completes them with its own
    LP: at 200 sampled years with staffing, the full solution came out 0.11%
    worse in HiGHS's presolved space, and branch and bound took 72 s against 6 s.
    The plan search (RINS, RENS) stays on: with it off, searching for the bound
    alone did not close the sweep's wet 1.5M and 3.5M cells to 0.1% in 120 s,
    from roundings 5% and 0.12% off; with it on, both were proved in about 60 s.
    """
    values = np.round(np.asarray(start.col_value)[integers])
    highs.setSolution(len(integers), integers, values)


def own_objective(highs) -> float:
    """The objective of HiGHS's solution, worked out from the model as it was given."""
    model = highs.getLp()
    values = np.asarray(highs.getSolution().col_value)
    return float(np.asarray(model.col_cost_) @ values + model.offset_)


def valued_below_itself(highs) -> bool:
    """Whether HiGHS reports a lower objective for its solution than the solution has."""
    if not highs.getSolution().value_valid:
        return False
    return _below(float(highs.getInfo().objective_function_value), own_objective(highs))


def _below(reported: float, objective: float) -> bool:
    return reported < objective - OBJECTIVE_AGREEMENT * max(1.0, abs(objective))


def objective_held_at(highs, column: int, value: float) -> float:
    """A solved LP's objective with one column held at ``value``, re-solved warm.

    The column gets its own bounds back afterwards, so the next call starts
    from the same programme (and a nearby basis).
    """
    model = highs.getLp()
    lower, upper = model.col_lower_[column], model.col_upper_[column]
    highs.changeColBounds(column, value, value)
    try:
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"the programme with column {column} at {value:g} did not solve: "
                f"{highs.modelStatusToString(status)}"
            )
        return float(highs.getInfo().objective_function_value)
    finally:
        highs.changeColBounds(column, lower, upper)


def dive(highs, integers: np.ndarray) -> bool:
    """Round the solved LP relaxation to whole units, re-solving the LP after each step.

    Each round fixes the integers that are fractional at their nearest whole
    value (the one below if the budget cannot pay for that) and lets the LP
    spread the money again over the integers still free. After ``DIVE_ROUNDS``
    rounds one still fractional is rounded down, which every budget and size limit
    allows, and a 0-1 switch still fractional is turned on. False if no rounding solved.
    """
    switch = np.asarray(highs.getLp().col_upper_)[integers] == 1.0
    for _ in range(DIVE_ROUNDS):
        values = np.asarray(highs.getSolution().col_value)[integers]
        nearest = np.round(values)
        fractional = np.abs(values - nearest) > INTEGRAL
        if not fractional.any():
            break
        columns = integers[fractional]
        # A 0-1 switch (a minimum order, a depot opened) rounded down forbids what the LP
        # bought with it, and a rule's floor then has nothing to meet it with: it goes up
        # (a lot that happens to be 0-1 may not be paid for: then plain rounding down).
        up = np.ceil(values)
        tries = (np.where(switch, up, nearest), np.where(switch, up, np.floor(values)))
        if not any(
            _fixed_at(highs, columns, whole[fractional]) for whole in (*tries, np.floor(values))
        ):
            return False
    values = np.asarray(highs.getSolution().col_value)[integers]
    fractional = np.abs(values - np.round(values)) > INTEGRAL
    if not fractional.any():
        return True
    # Only those still fractional: fixing a whole one at its exact value can push a binding
    # budget a few thousandths of a yuan over (2.9999995 boats become 3).
    columns, down = integers[fractional], np.floor(values)
    return _fixed_at(highs, columns, np.where(switch, np.ceil(values), down)[fractional]) or (
        _fixed_at(highs, columns, down[fractional])
    )


def _fixed_at(highs, columns: np.ndarray, values: np.ndarray) -> bool:
    """Fix the columns at the values and re-solve the LP (warm); whether it solved."""
    highs.changeColsBounds(len(columns), columns, values, values)
    highs.run()
    return highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _bounds(pairs) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds as arrays, ``None`` as infinite."""
    infinite = highspy.kHighsInf
    lower, upper = [], []
    for low, up in pairs:
        lower.append(-infinite if low is None else low)
        upper.append(infinite if up is None else up)
    return np.array(lower, dtype=float), np.array(upper, dtype=float)


def _add_rows(highs, constraints: list[pulp.LpConstraint]) -> None:
    """Every constraint as one sparse row block (zero coefficients left out, as PuLP does)."""
    lengths, indices, values = [], [], []
    for position, constraint in enumerate(constraints):
        constraint.index = position
        lengths.append(len(constraint.expr))
        indices.extend(var.index for var in constraint.expr)
        values.extend(constraint.expr.values())
    index = np.array(indices, dtype=np.int32)
    value = np.array(values, dtype=float)
    row = np.repeat(np.arange(len(constraints)), lengths)
    keep = value != 0
    starts = np.searchsorted(row[keep], np.arange(len(constraints))).astype(np.int32)
    lower, upper = _bounds((c.getLb(), c.getUb()) for c in constraints)
    highs.addRows(len(constraints), lower, upper, int(keep.sum()), starts, index[keep], value[keep])
