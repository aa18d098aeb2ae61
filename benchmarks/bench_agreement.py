"""How far the optimiser's model of the county is from the simulation's, year by year.

The SAA model values a plan on a set of sampled years (its second stage solved
with the plan held fixed, ``SaaProblem.year_costs``); the simulation values it
on the same years (``sim.metrics.weighted_unmet_per_year``), because the model's
years are replications of the simulation's own hazard sampler. For the status
quo and the plan optimised on ``--years`` sampled years, on (a) the optimiser's
own years (replications from ``IN_SAMPLE_OFFSET``) and (b) ``--fresh`` fresh
years (replications from ``FRESH_OFFSET`` = 3,000,000, apart from the
optimiser's block, from the SAA upper-bound block at 2,000,000 and from the
judging block 0, 1, 2, ...), it prints:

* the model's and the simulation's mean yuan-equivalent per year, each with a 95%
  CI over years; their ratio sim/model (ratio of means of paired years, 95% CI
  by ``sim.metrics.ratio_ci``); the per-year Pearson correlation of the two;
* the cut against the status quo claimed by the model and measured by the
  simulation (paired savings over the status quo's values, ``ratio_ci``), and
  their difference in percentage points;
* with ``--by hazard``: the simulation's mean per hazard for the optimised plan
  on the fresh years. The model's side of that split is left out: its per-year
  constant (the penalty were nothing delivered, less what village stores and
  always-sufficient sources give) is summed per year without the event it came
  from, so ``year_terms`` and the variable names alone cannot split it.

Targets: sim/model between 0.95 and 1.10 on the fresh years for both plans, and
the claimed and simulated cuts within 3 percentage points (checked on both year
sets). Budgets are the scenario's, as ``yingji optimize`` uses them.

``--no-losses`` sets every item's loss rate to 0 in both engines, to measure what
the model's want of equipment losses contributes to the difference.

Run: ``python benchmarks/bench_agreement.py [--years 200] [--fresh 200] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

import scenarios
from optimize.agreement import check_model, model_values
from optimize.baselines import status_quo
from optimize.demand import IN_SAMPLE_OFFSET, sample_years
from optimize.model import Budgets
from planner.pipeline import budgets_for, solve
from scenarios.plan import Plan
from sim import build_network, simulate
from sim.metrics import mean_ci, ratio_ci, weighted_unmet_by_hazard, weighted_unmet_per_year
from sim.network import CountyNetwork

FRESH_OFFSET = (
    3_000_000  # fresh years: apart from the SAA (1M), upper-bound (2M) and judging (0) blocks
)
RATIO_LOW, RATIO_HIGH = 0.95, 1.10  # target band of sim/model on fresh years
CUT_TOLERANCE_PP = 3.0  # target: claimed and simulated cuts this close, in percentage points


@dataclass(frozen=True, slots=True)
class YearSet:
    """A block of replications of the hazard sampler, and its sampled demand years."""

    name: str
    first: int
    years: list

    @property
    def replications(self) -> pd.Index:
        """The replication numbers of the block, as the simulation labels them."""
        return pd.RangeIndex(self.first, self.first + len(self.years), name="replication")


@dataclass(frozen=True, slots=True)
class Paired:
    """One plan's yuan-equivalent per year on one year set, by the model and by the simulation."""

    model: pd.Series
    sim: pd.Series


class Steps:
    """Wall-clock time of each named step, printed as it ends and kept for the summary."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def run(self, label: str, work, *args, **kwargs):
        """Call ``work(*args, **kwargs)``, time it and print the time; return its result."""
        started = time.perf_counter()
        result = work(*args, **kwargs)
        elapsed = time.perf_counter() - started
        self.timings.append((label, elapsed))
        print(f"  {label}: {elapsed:.1f} s", flush=True)
        return result


def _interval(estimate: tuple[float, float, float], percent: bool = False) -> str:
    """``mean (low – high)`` in yuan, or in percent of a ratio."""
    mean, low, high = estimate
    if percent:
        return f"{mean:.1%} ({low:.1%} – {high:.1%})"
    return f"{mean:,.0f} ({low:,.0f} – {high:,.0f})"


def _ratio(estimate: tuple[float, float, float]) -> str:
    mean, low, high = estimate
    return f"{mean:.3f} ({low:.3f} – {high:.3f})"


def print_machine(args: argparse.Namespace) -> None:
    """Machine, library versions, date and the command, for the results file."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} cores ({usable} usable), Python {platform.python_version()}, "
        f"PuLP {version('pulp')}, highspy {version('highspy')}"
    )
    print(f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    script = f"benchmarks/{Path(sys.argv[0]).name}"
    print(f"command: python {shlex.join([script, *sys.argv[1:]])}")
    print(
        f"settings: {args.years} optimiser years from replication {IN_SAMPLE_OFFSET:,}, "
        f"{args.fresh} fresh years from {FRESH_OFFSET:,}, mip gap {args.mip_gap:g}, "
        f"seed {args.seed}, {args.jobs} simulation processes"
    )


def optimise(
    network: CountyNetwork, years: list, budgets: Budgets, mip_gap: float, time_limit_s: float
) -> Plan:
    """The plan optimised on ``years``; prints what the solver reported."""
    made = solve(network, years, budgets, time_limit_s=time_limit_s, mip_gap=mip_gap)
    report = made.report
    proved = "proved optimal" if report.optimal else "NOT proved optimal"
    print(
        f"  optimiser: {report.variables:,} variables ({report.integers:,} integer), "
        f"build {report.build_s:.1f} s, solve {report.solve_s:.1f} s ({report.method}); "
        f"{proved}, gap {report.gap:.3%}, in-sample {report.objective:,.0f} yuan/yr"
    )
    return made.plan


def simulated(scenario, plan: Plan, year_set: YearSet, seed: int, jobs: int):
    """The simulation of ``plan`` on exactly the set's replications."""
    return simulate(
        scenario, plan, reps=len(year_set.years), seed=seed, jobs=jobs,
        first_replication=year_set.first,
    )  # fmt: skip


def same_events(result, year_set: YearSet) -> bool:
    """Whether the simulation met as many events in each year as the model was given."""
    simulated_counts = result.events.groupby("replication").size()
    simulated_counts = simulated_counts.reindex(year_set.replications, fill_value=0)
    return simulated_counts.tolist() == [len(events) for events in year_set.years]


def agreement_row(plan_id: str, set_name: str, values: Paired) -> tuple[str, float]:
    """One table row (model, sim, sim/model, r) and the ratio's point estimate."""
    check = check_model(values.model, values.sim)
    row = (
        f"| {plan_id} | {set_name} | "
        f"{_interval((check.model_mean, *check.model_ci))} | "
        f"{_interval((check.simulated_mean, *check.simulated_ci))} | "
        f"{_ratio((check.ratio, *check.ratio_ci))} | {check.correlation:.3f} |"
    )
    return row, check.ratio


def cut(baseline: pd.Series, plan: pd.Series) -> tuple[float, float, float]:
    """Relative cut of the plan against the baseline on paired years (ratio of sums, 95% CI)."""
    return ratio_ci((baseline - plan).to_numpy(), baseline.to_numpy())


def print_agreement(values: dict[tuple[str, str], Paired], set_names: list[str]) -> dict:
    """The agreement table and the cut table; returns the figures the verdict needs."""
    plan_ids = sorted({plan_id for plan_id, _ in values}, key=lambda p: p != "status_quo")
    print(
        "\n| plan | years | model mean (95% CI) | simulated mean (95% CI) | "
        "sim/model (95% CI) | Pearson r |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    ratios = {}
    for plan_id in plan_ids:
        for set_name in set_names:
            row, ratios[(plan_id, set_name)] = agreement_row(
                plan_id, set_name, values[(plan_id, set_name)]
            )
            print(row)
    print("\nyuan-equivalent per year; CIs over years (paired for the ratio)\n")
    print(
        "| years | cut vs status quo claimed by the model (95% CI) | "
        "measured by the simulation (95% CI) | sim − model |"
    )
    print("| --- | --- | --- | --- |")
    differences = {}
    for set_name in set_names:
        base, plan = values[("status_quo", set_name)], values[("optimised", set_name)]
        claimed, measured = cut(base.model, plan.model), cut(base.sim, plan.sim)
        differences[set_name] = 100 * (measured[0] - claimed[0])
        print(
            f"| {set_name} | {_interval(claimed, True)} | {_interval(measured, True)} | "
            f"{differences[set_name]:+.1f} pp |"
        )
    return {"ratios": ratios, "cut_differences": differences}


def print_by_hazard(result) -> None:
    """The simulation's penalty per hazard (mean, 95% CI, share); the model's is not split."""
    table = weighted_unmet_by_hazard(result)
    total = float(weighted_unmet_per_year(result).mean())
    print("\noptimised plan on the fresh years, by hazard (yuan-equivalent per year)\n")
    print("| hazard | model mean | simulated mean (95% CI) | share of simulated |")
    print("| --- | --- | --- | --- |")
    for hazard, yearly in table.items():
        share = yearly.mean() / total if total else float("nan")
        print(f"| {hazard} | — | {_interval(mean_ci(yearly))} | {share:.1%} |")
    print(
        "\nmodel column left out: the model's per-year constant (penalty were nothing "
        "delivered, less village stores and always-sufficient sources) is summed per year, "
        "not per event, so variable names cannot split the model's value by hazard"
    )


def print_timings(steps: Steps) -> None:
    """Every step's wall-clock time, and their total."""
    print("\n| step | s |\n| --- | --- |")
    for label, elapsed in steps.timings:
        print(f"| {label} | {elapsed:.1f} |")
    print(f"| total | {sum(elapsed for _, elapsed in steps.timings):.1f} |")


def print_verdict(figures: dict, fresh_name: str) -> None:
    """One line: each target met or missed."""
    parts, met = [], True
    for (plan_id, set_name), ratio in figures["ratios"].items():
        if set_name != fresh_name:
            continue
        ok = RATIO_LOW <= ratio <= RATIO_HIGH
        met &= ok
        parts.append(f"sim/model {plan_id} {ratio:.3f} {'ok' if ok else 'MISSED'}")
    for set_name, difference in figures["cut_differences"].items():
        ok = abs(difference) <= CUT_TOLERANCE_PP
        met &= ok
        parts.append(f"cut gap {set_name} {difference:+.1f} pp {'ok' if ok else 'MISSED'}")
    print(
        f"\nverdict: {'TARGETS MET' if met else 'TARGETS MISSED'} "
        f"(sim/model in [{RATIO_LOW}, {RATIO_HIGH}] on fresh years, cuts within "
        f"{CUT_TOLERANCE_PP:g} pp): " + "; ".join(parts)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=200, help="years the optimiser samples")
    parser.add_argument("--fresh", type=int, default=200, help="fresh years to compare on")
    parser.add_argument("--mip-gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=600.0, help="optimiser's, seconds")
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's")
    parser.add_argument("--jobs", type=int, default=2, help="simulation processes")
    parser.add_argument("--by", choices=("hazard",), default=None, help="optional breakdown")
    parser.add_argument(
        "--no-losses",
        action="store_true",
        help="no equipment lost in use, in both engines: what the model's lack of losses costs",
    )
    args = parser.parse_args()
    scenario = scenarios.load()
    if args.no_losses:
        items = tuple(item.model_copy(update={"loss_rate": 0.0}) for item in scenario.items)
        scenario = scenario.model_copy(update={"items": items})
    args.seed = scenario.seed if args.seed is None else args.seed
    print_machine(args)
    steps = Steps()
    network = steps.run("network", build_network, scenario)
    budgets = budgets_for(scenario)
    own = YearSet(
        "optimiser's own",
        IN_SAMPLE_OFFSET,
        steps.run("sample optimiser's years", sample_years, network, args.seed, args.years),
    )
    fresh = YearSet(
        "fresh",
        FRESH_OFFSET,
        steps.run(
            "sample fresh years", sample_years, network, args.seed, args.fresh, first=FRESH_OFFSET
        ),
    )
    plans = [
        status_quo(),
        steps.run("optimise", optimise, network, own.years, budgets, args.mip_gap, args.time_limit),
    ]
    values, results = {}, {}
    for plan in plans:
        for year_set in (own, fresh):
            where = f"{plan.plan_id}, {year_set.name} years"
            model = steps.run(
                f"model, {where}", model_values, network, plan, year_set.first,
                len(year_set.years), args.seed,
            )  # fmt: skip
            result = steps.run(
                f"simulate, {where}", simulated, scenario, plan, year_set, args.seed, args.jobs
            )
            if not same_events(result, year_set):
                print("  WARNING: the simulation's events per year differ from the model's years")
            if result.weights is not None:
                print("  note: the simulation weighs its years; the means here do not")
            results[(plan.plan_id, year_set.name)] = result
            values[(plan.plan_id, year_set.name)] = Paired(model, weighted_unmet_per_year(result))
    figures = print_agreement(values, [own.name, fresh.name])
    if args.by == "hazard":
        print_by_hazard(results[("optimised", fresh.name)])
    print_timings(steps)
    print_verdict(figures, fresh.name)


if __name__ == "__main__":
    main()
