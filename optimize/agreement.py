"""How far the optimiser's model of the county is from the simulation, for one plan.

The SAA model values a plan on sampled years (its second stage solved with the
plan held fixed, :meth:`optimize.model.SaaProblem.year_costs`); the simulation
values it on the same years, because the model's years are replications of the
simulation itself. A run checks its plan on the years that judged it, so every
figure shown says which engine it comes from and how far apart they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.demand import sample_years
from optimize.model import UNLIMITED_YUAN, Budgets, SolveFailedError, build_problem, solve
from scenarios.plan import Plan
from sim.metrics import mean_ci, ratio_ci
from sim.network import CountyNetwork, build_network


def model_values(
    network: CountyNetwork,
    plan: Plan,
    first: int,
    count: int,
    seed: int,
    year_weights: list[float] | None = None,
) -> pd.Series:
    """The SAA model's penalty yuan of ``plan`` in each of replications ``first ..``.

    The plan's team sizes, if it sets any, are the network's before the years are
    drawn, so the teams in them are the ones the simulation sends with that staff.
    Raises :class:`SolveFailedError` when the fixed-plan programme gives no solution.
    """
    if plan.staffing:
        network = build_network(network.scenario, Plan(plan.plan_id, (), plan.staffing))
    years = sample_years(network, seed, count, first=first)
    saa = build_problem(
        network, years, Budgets(UNLIMITED_YUAN), year_weights=year_weights, planning_rules=False
    )
    saa.fix_plan(plan, network)
    report = solve(saa, "highs", mip_gap=0.0)
    if not report.found_plan:
        raise SolveFailedError(f"the model of {plan.plan_id} held fixed gave {report.solution}")
    index = pd.RangeIndex(first, first + count, name="replication")
    return pd.Series(saa.year_costs(), index=index, name="model")


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """One plan on the same years by both engines: means with 95% CIs, their ratio, correlation."""

    years: int
    first_replication: int
    model_mean: float
    model_ci: tuple[float, float]
    simulated_mean: float
    simulated_ci: tuple[float, float]
    ratio: float  # simulated / model, ratio of means over paired years
    ratio_ci: tuple[float, float]
    correlation: float  # Pearson, year by year (NaN when either side does not vary)


def check_model(
    model: pd.Series, simulated: pd.Series, weights: pd.Series | None = None
) -> ModelCheck:
    """Compare the model's and the simulation's yearly values of one plan on the same years."""
    simulated = simulated.reindex(model.index)
    if simulated.isna().any():
        raise ValueError("the simulated years do not cover the model's years")
    w = None if weights is None else weights.reindex(model.index).to_numpy(dtype=float)
    model_mean, model_low, model_high = mean_ci(model, weights=w)
    sim_mean, sim_low, sim_high = mean_ci(simulated, weights=w)
    ratio, low, high = ratio_ci(simulated.to_numpy(), model.to_numpy(), weights=w)
    varies = model.std() > 0 and simulated.std() > 0
    correlation = float(np.corrcoef(model, simulated)[0, 1]) if varies else float("nan")
    return ModelCheck(
        years=len(model),
        first_replication=int(model.index[0]),
        model_mean=model_mean,
        model_ci=(model_low, model_high),
        simulated_mean=sim_mean,
        simulated_ci=(sim_low, sim_high),
        ratio=ratio,
        ratio_ci=(low, high),
        correlation=correlation,
    )
