"""``yingji optimize``: solve for a plan, then judge it and the baselines by simulation."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from optimize.agreement import ModelCheck, check_model, model_values
from optimize.demand import has_year_probabilities, optimiser_years
from optimize.greedy import greedy
from optimize.improve import Move, improve
from optimize.marginal import marginal_values
from optimize.model import Budgets, SolveFailedError, SolveReport
from optimize.records import SENSITIVITY_FILE, money_moved
from optimize.saa import saa_bounds
from optimize.sensitivity import sensitivity_rows, solve_scaled
from optimize.sensitivity import tasks as sensitivity_tasks
from optimize.stability import (
    STABLE_WORST_SHARE_BY_ITEM,
    Stability,
    UnsolvedSampleError,
    half_sample_stability,
)
from planner.errors import RequestError
from planner.executors import open_executor
from planner.output import terminal
from planner.pipeline import (
    BASELINES,
    Judged,
    Solved,
    baseline,
    baseline_budget,
    budgets_for,
    checked,
    judge,
    solve,
)
from planner.progress import phase, progress_bar
from planner.results import (
    BOUNDS_FILE,
    COMPLIANCE_FILE,
    EVALUATION_FILE,
    MARGINAL_FILE,
    SOLVE_FILE,
    run_folder,
    write_csv,
    write_json,
    write_run_record,
)
from planner.tables import compliance_table, cost_table, evaluation_table, sensitivity_table
from scenarios import load
from scenarios.norms import COMPLIANCE_COLUMNS, NormCompliance, compliance
from scenarios.plan import Plan, plan_costs, write_plan
from scenarios.rules import Breach, breaches
from scenarios.schema import Objective, Scenario
from sim import build_network
from sim.hazards import replication_weights
from sim.metrics import mean_ci, worst_years_difference_ci
from sim.network import CountyNetwork


@dataclass(frozen=True, slots=True)
class OptimizeRequest:
    """Everything ``yingji optimize`` was asked to do."""

    scenario_path: Path | None
    budget_yuan: float | None = None
    staff_budget_yuan: float | None = None
    joint_budget_yuan: float | None = None
    scenarios: int = 200
    reps: int = 200
    seed: int | None = None
    time_limit_s: float = 120.0
    mip_gap: float = 1e-3
    solver: str = "highs"
    jobs: int = 1
    greedy_steps: int = 8
    bounds: int = 0
    improve_steps: int = 6
    worst_weight: float | None = None  # None: the scenario's [objective]
    worst_share: float | None = None
    minimise: str | None = None  # None: the scenario's [objective]
    sensitivity: bool = False  # re-solve with each judgement halved and doubled
    out: Path = Path("results")


def _solve(
    network: CountyNetwork, request: OptimizeRequest, budgets: Budgets, console: Console
) -> tuple[list, list[float] | None, Solved]:
    """The sampled years (and their weights, if recorded), and the plan solved on them."""
    seed = network.scenario.seed if request.seed is None else request.seed
    with phase(console, "抽样 sampling demand scenarios"):
        years, weights = optimiser_years(network, seed, request.scenarios)
    what = f"{request.scenarios} sampled years"
    if weights is not None:
        what = f"{len(years)} recorded years, each weighed by its probability"
        console.print(f"solving on the replay table's {what}", markup=False, highlight=False)
    with phase(console, f"建模求解 building and solving ({what}, {request.solver})"):
        made = solve(
            network,
            years,
            budgets,
            request.solver,
            request.time_limit_s,
            request.mip_gap,
            year_weights=weights,
        )
    return years, weights, made


def run_optimize(request: OptimizeRequest, console: Console | None = None) -> Path:
    """Solve, write the plan in three forms, judge every plan by simulation, write the tables."""
    console = console or terminal(stderr=True)
    scenario = _with_objective(load(request.scenario_path), request)
    network = build_network(scenario)
    budgets = budgets_for(
        scenario, request.budget_yuan, request.staff_budget_yuan, request.joint_budget_yuan
    )
    _refuse_impossible(network, budgets, request)
    with run_folder(request.out, "optimize") as out:
        _optimize(request, scenario, network, budgets, out, console)
    return out


def _optimize(
    request: OptimizeRequest,
    scenario: Scenario,
    network: CountyNetwork,
    budgets: Budgets,
    out: Path,
    console: Console,
) -> None:
    """The run itself, into its held folder: solve, judge, write, print."""
    years, weights, made = _solve(network, request, budgets, console)
    plan, report = made.plan, made.report
    with phase(console, "边际价值 marginal values (plan fixed: duals, then finite differences)"):
        marginal = marginal_values(network, years, plan, year_weights=weights)
    money = baseline_budget(network, budgets)
    plans = [baseline(name, network, money) for name in BASELINES]
    plans.insert(1, plan)
    seed = scenario.seed if request.seed is None else request.seed
    if request.greedy_steps > 0:
        with phase(console, f"贪心基线 greedy baseline ({request.greedy_steps} lots)"):
            plans.append(greedy(network, money, seed, steps=request.greedy_steps))
    moves: list[Move] = []
    # The step's paired test is of the expected shortfall: it judges no other objective.
    plain = scenario.objective.worst_weight == 0 and scenario.objective.minimise == "shortfall"
    if request.improve_steps > 0 and plain:
        label = f"模拟改进 improvement step ({request.improve_steps} moves judged by simulation)"
        with phase(console, label):
            improved, moves = improve(
                scenario, network, plan, marginal, seed, request.reps, request.improve_steps,
                made.credit,
            )  # fmt: skip
        if any(move.kept for move in moves):
            plans.insert(2, improved)
    judged = _judge(scenario, plans, request, seed, console)
    evaluation, yearly = judged.evaluation, judged.yearly
    kept = {candidate.plan_id: breaches(candidate, scenario) for candidate in plans}
    gain = _improvement_gain(yearly, plan.plan_id, scenario, request.reps)
    check = _check_model(network, plan, yearly[plan.plan_id], request.reps, seed, console)
    stability = (
        None if weights is not None else _stability(network, years, budgets, request, console)
    )
    if request.bounds > 0:
        _bounds(network, plan, budgets, seed, request, out, console, made.credit)
    rests_on = _sensitivity(scenario, plan, budgets, seed, request, console)
    norms = compliance(scenario, plan)
    _write_tables(out, scenario, plan, evaluation, marginal, norms, rests_on)
    improvement = {"moves": [asdict(move) for move in moves], "gain_on_judging_years": gain}
    rules = {plan_id: [asdict(b) for b in found] for plan_id, found in kept.items()}
    _write_report(
        report, request, budgets, out / SOLVE_FILE, check, stability, improvement, rules,
        scenario,
    )  # fmt: skip
    write_run_record(
        out, "optimize", scenario, seed=seed, reps=request.reps,
        budget_yuan=budgets.procurement_yuan, sampled_years=len(years),
    )  # fmt: skip
    _print(scenario, plan, report, evaluation, len(years), check, stability)
    lines = [improvement_line(moves, gain, request.reps), rules_line(kept)]
    screen = terminal()
    for line in lines + _against_top_up(judged, plan.plan_id, scenario):
        screen.print(line, markup=False, highlight=False)
    _print_tables(screen, console, out, scenario, norms, rests_on)


def _against_top_up(judged: Judged, plan_id: str, scenario: Scenario) -> list[str]:
    """The plan against the top-up rule, paired: on what was minimised, and on people."""
    if "top_up" not in judged.yearly:
        return []
    yearly = judged.yearly
    lines = [beats_line(yearly[plan_id], yearly["top_up"], scenario, "top_up")]
    if scenario.objective.minimise != "shortfall":
        outcomes = judged.outcomes()
        lines.append(outcomes_line(outcomes[plan_id], outcomes["top_up"], scenario, "top_up"))
    return lines


def _write_tables(out: Path, scenario, plan, evaluation, marginal, norms, rests_on) -> None:
    """The plan in its three forms and the run's tables."""
    write_plan(plan, scenario, out)
    write_csv(evaluation, out / EVALUATION_FILE)
    write_csv(marginal, out / MARGINAL_FILE)
    write_csv(_compliance_frame(norms), out / COMPLIANCE_FILE)
    if rests_on is not None:
        write_csv(rests_on, out / SENSITIVITY_FILE)


def _print_tables(screen, console, out: Path, scenario, norms, rests_on) -> None:
    """The compliance and sensitivity tables, when there are any, and what was written."""
    if norms:
        screen.print(compliance_table(norms, scenario))
    if rests_on is not None:
        screen.print(sensitivity_table(money_moved(rests_on)))
    extra = f", {SENSITIVITY_FILE}" if rests_on is not None else ""
    console.print(
        f"wrote {out}/plan.csv, plan.xlsx, plan.json, evaluation.csv, marginal_values.csv, "
        f"compliance.csv{extra}, solve.json, run.json, scenario.json",
        markup=False,
        highlight=False,
    )


def _sensitivity(
    scenario: Scenario, plan: Plan, budgets: Budgets, seed: int, request: OptimizeRequest, console
) -> pd.DataFrame | None:
    """The plan re-solved with each judgement halved and doubled (None unless asked for).

    The re-solves run on the worker processes asked for, each on one solver
    thread (a solve stopped at its gap may end at another plan on more
    threads), and are put back in the tasks' order: any number of workers gives
    the same table.
    """
    if not request.sensitivity:
        return None
    made = sensitivity_tasks(
        scenario, budgets, seed, request.scenarios, request.mip_gap, request.time_limit_s, 1
    )
    done = {}
    label = f"敏感性 what the list rests on ({len(made)} re-solves)"
    with open_executor(request.jobs) as executor, progress_bar(console, label, len(made)) as step:
        for task, outcome in executor.run(solve_scaled, made):
            if isinstance(outcome, BaseException):
                raise RequestError(f"sensitivity, {task.parameter} x{task.factor:g}: {outcome}")
            done[(task.parameter, task.factor)] = (task, *outcome)
            step(1)
    solved = [done[(task.parameter, task.factor)] for task in made]
    return sensitivity_rows(scenario, plan, solved)


def _compliance_frame(rows: list[NormCompliance]) -> pd.DataFrame:
    return pd.DataFrame([asdict(row) for row in rows], columns=list(COMPLIANCE_COLUMNS))


def _refuse_impossible(network: CountyNetwork, budgets: Budgets, request: OptimizeRequest) -> None:
    """Refuse, in one line and before any work, what no run can do."""
    scenario = network.scenario
    checked(network, budgets)
    if request.bounds > 0 and scenario.objective.worst_weight > 0:
        raise RequestError(
            "--bounds estimates the gap of the expected year; the objective weighs the worst "
            "years: leave out --bounds or set --worst-weight 0"
        )
    if request.bounds > 0 and scenario.objective.minimise != "shortfall":
        raise RequestError(
            "--bounds estimates the gap of the expected shortfall; the objective counts lives "
            "or relief too: leave out --bounds or use --objective shortfall"
        )
    if scenario.objective.counts_lives and budgets.optimises_staffing:
        raise RequestError(
            "lives lost to delay are modelled through kit at today's team sizes: minimise "
            "them with a procurement budget only (no --staff-budget or --joint-budget)"
        )
    if request.bounds > 0 and has_year_probabilities(scenario):
        raise RequestError(
            "--bounds samples years at random, but this scenario's replay table gives its "
            "years' probabilities and the plan is solved on every recorded year: leave out --bounds"
        )


def _with_objective(scenario: Scenario, request: OptimizeRequest) -> Scenario:
    """The scenario with the objective the command line asks for, if it asks (checked)."""
    asked = {
        key: value
        for key, value in (
            ("worst_weight", request.worst_weight),
            ("worst_share", request.worst_share),
            ("minimise", request.minimise),
        )
        if value is not None
    }
    if not asked:
        return scenario
    try:
        chosen = Objective.model_validate({**scenario.objective.model_dump(), **asked})
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise RequestError(f"--objective {request.minimise}: {reason}") from None
    return scenario.model_copy(update={"objective": chosen})


def objective_words(scenario: Scenario) -> str:
    """What the optimiser minimised, in words."""
    choice = scenario.objective
    worst = f"the mean of the worst {choice.worst_share:.0%} of years"
    if choice.worst_weight <= 0:
        shortfall = "the expected weighted shortfall"
    elif choice.worst_weight >= 1:
        shortfall = worst
    else:
        shortfall = (
            f"{1 - choice.worst_weight:g} x the expected year + {choice.worst_weight:g} x {worst}"
        )
    if choice.value_carried:
        shortfall += " less the worth of what the list carries into next year"
    hour = f"{scenario.outcomes.first_relief_h:g} h"
    if choice.minimise == "lives_first":
        return (
            f"lives lost to delay, then people without relief at {hour} (each held within "
            f"{choice.stage_slack:.0%} of its optimum), then {shortfall}"
        )
    if choice.minimise == "mix":
        return (
            f"{shortfall} + {choice.life_yuan:,.0f} per life lost to delay + "
            f"{choice.relief_person_yuan:,.0f} per person without relief at {hour}"
        )
    return shortfall


def _judge(
    scenario, plans: list[Plan], request: OptimizeRequest, seed: int, console: Console
) -> Judged:
    """The plans simulated on the judging years, with a progress bar."""
    label = "模拟评估 judging plans by simulation"
    with progress_bar(console, label, request.reps * len(plans)) as advance:
        return judge(scenario, plans, request.reps, seed, request.jobs, advance)


def outcomes_line(plan: pd.DataFrame, baseline: pd.DataFrame, scenario: Scenario, name: str) -> str:
    """One line: the plan minus a baseline on lives and relief, paired by judging year."""
    weights = replication_weights(scenario, plan.index.tolist())
    hour = f"{scenario.outcomes.first_relief_h:g} h"
    words = {
        "trapped_lost": "lives lost to delay",
        "people_without_relief": f"people without relief at {hour}",
    }
    parts = []
    for column, word in words.items():
        if column in plan.columns:
            mean, low, high = mean_ci(plan[column] - baseline[column], weights=weights)
            parts.append(f"{word} {mean:+,.3g}/yr (95% CI {low:+,.3g} to {high:+,.3g})")
    return f"against {name}, paired on the {len(plan)} judging years: " + "; ".join(parts)


def _improvement_gain(yearly, plan_id: str, scenario: Scenario, reps: int) -> list[float] | None:
    """The improved plan minus the SAA plan on the judging years: mean and 95% CI, or None."""
    if "improved" not in yearly:
        return None
    weights = replication_weights(scenario, range(reps))
    return list(mean_ci(yearly["improved"] - yearly[plan_id], weights=weights))


def improvement_line(moves: list[Move], gain: list[float] | None, reps: int) -> str:
    """One line: what the simulation-judged improvement step tried, kept and gained."""
    if not moves:
        return (
            "improvement step: no move tried (none asked, or the objective weighs the worst years)"
        )
    kept = sum(move.kept for move in moves)
    if gain is None:
        return (
            f"improvement step: none of {len(moves)} moves guided by the marginal values "
            "lowered the simulated weighted shortfall (less any credit for what the list "
            "carries over) with 95% confidence (on years of its own)"
        )
    mean, low, high = gain
    return (
        f"improvement step: {kept} of {len(moves)} moves kept (simulated on years of their "
        f"own); on the {reps} judging years the improved plan changes the weighted shortfall by "
        f"{mean:+,.0f} yuan/yr (95% CI {low:+,.0f} to {high:+,.0f}) against the SAA plan"
    )


def _check_model(network, plan: Plan, simulated, reps: int, seed: int, console) -> ModelCheck:
    """The optimiser's model of the plan on the years that judged it, against the simulation."""
    with phase(console, f"模型核对 the model's value of the plan on the {reps} judging years"):
        try:
            model = model_values(network, plan, 0, reps, seed)
        except SolveFailedError as error:
            raise RequestError(str(error)) from None
    weights = replication_weights(network.scenario, range(reps))
    return check_model(model, simulated, weights)


def _stability(network, years, budgets: Budgets, request: OptimizeRequest, console) -> Stability:
    """The plans of the two halves of the sample, and the money they share."""
    with phase(console, f"稳定性 stability: plans of two half-samples of {len(years) // 2} years"):
        try:
            return half_sample_stability(
                network, years, budgets, request.mip_gap, request.time_limit_s
            )
        except (UnsolvedSampleError, ValueError) as error:
            raise RequestError(f"stability check: {error}") from None


def _bounds(network, plan, budgets, seed, request, out: Path, console, credit) -> None:
    """The SAA gap by the multiple-replications procedure, written to :data:`BOUNDS_FILE`."""
    label = f"统计界 SAA bounds ({request.bounds} samples of {request.scenarios} years)"
    with phase(console, label):
        try:
            bounds = saa_bounds(
                network,
                plan,
                budgets,
                seed,
                replications=request.bounds,
                years=request.scenarios,
                evaluation_years=2 * request.scenarios,
                time_limit_s=request.time_limit_s,
                mip_gap=request.mip_gap,
                credit=credit,
            )
        except SolveFailedError as error:
            raise RequestError(str(error)) from None
    write_json(asdict(bounds), out / BOUNDS_FILE)
    terminal().print(
        f"SAA gap {bounds.gap:,.0f} yuan-equivalent/yr = {bounds.relative_gap:.2%} of the plan's "
        f"out-of-sample cost {bounds.upper_mean:,.0f} (one-sided 95% <= "
        f"{bounds.relative_gap_high:.2%}); lower bound {bounds.lower_mean:,.0f}",
        markup=False,
        highlight=False,
    )


def _write_report(
    report: SolveReport,
    request: OptimizeRequest,
    budgets: Budgets,
    path: Path,
    check: ModelCheck,
    stability: Stability | None,
    improvement: dict,
    rules: dict[str, list[dict]],
    scenario: Scenario,
):
    objective = scenario.objective.model_dump(exclude={"source"})
    document = {
        "solve": asdict(report),
        "objective": objective | {"first_relief_h": scenario.outcomes.first_relief_h},
        "rules_broken": rules,
        "model_check": asdict(check),
        "stability": None if stability is None else asdict(stability),
        "improvement": improvement,
        "budgets": asdict(budgets),
        "request": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(request).items()},
    }
    write_json(document, path)


def _print(
    scenario: Scenario,
    plan: Plan,
    report: SolveReport,
    evaluation,
    sampled: int,
    check: ModelCheck,
    stability: Stability | None,
) -> None:
    screen = terminal()
    choice = scenario.objective
    plain = choice.worst_weight == 0 and choice.minimise != "mix"  # the objective is the mean
    words = objective_words(scenario)
    for line in solve_lines(report, sampled, check, stability, words, plain):
        screen.print(escape(line))
    screen.print(cost_table(plan_costs(plan, scenario)))
    screen.print(evaluation_table(evaluation))


def beats_line(plan: pd.Series, baseline: pd.Series, scenario: Scenario, name: str) -> str:
    """One line: the plan minus a baseline, paired by judging year, on what was minimised."""
    weights = replication_weights(scenario, plan.index.tolist())
    share = scenario.objective.worst_share
    mean, low, high = mean_ci(plan - baseline, weights=weights)
    worst, worst_low, worst_high = worst_years_difference_ci(plan, baseline, share, weights)
    criteria = (
        ("the expected year", high, scenario.objective.worst_weight < 1),
        (f"the worst {share:.0%} of years", worst_high, scenario.objective.worst_weight > 0),
    )
    better = [label for label, top, _ in criteria if top < 0]
    chosen_kept = all(top < 0 for _, top, chosen in criteria if chosen)
    chosen = "expected year" if scenario.objective.worst_weight == 0 else "objective"
    verdict = (
        f"better with 95% confidence on {' and '.join(better)}"
        if chosen_kept
        else f"NOT better with 95% confidence on the {chosen} it was chosen for"
    )
    if scenario.objective.minimise != "shortfall":
        verdict += " (the weighted shortfall is not all this objective minimises: see below)"
    return (
        f"against {name}, paired on the {len(plan)} judging years: expected year "
        f"{mean:+,.0f} yuan-equivalent/yr (95% CI {low:+,.0f} to {high:+,.0f}); worst "
        f"{share:.0%} of years {worst:+,.0f} ({worst_low:+,.0f} to {worst_high:+,.0f}): {verdict}"
    )


def rules_line(kept: dict[str, list[Breach]]) -> str:
    """One line: which plans keep the scenario's planning rules, and what the others break."""
    parts = []
    for plan_id, found in kept.items():
        if not found:
            parts.append(f"{plan_id} keeps every one")
            continue
        kinds = Counter(breach.rule for breach in found)
        listed = ", ".join(f"{rule} {count}" for rule, count in kinds.most_common())
        parts.append(f"{plan_id} breaks {len(found)} ({listed})")
    return "planning rules of the scenario (items, depots, [rules]): " + "; ".join(parts)


SAMPLE_OPTIMISM_WARNING = 1.25  # fresh years / own sample: 0.93 at 200 years, 2.30 at 30

AIM_WORDS = {"lives": "lives lost to delay", "relief": "people without relief at the hour"}


def _aim_lines(report: SolveReport) -> list[str]:
    """What each aim minimised before the objective reached, in the sampled model."""
    if not report.stages:
        return []
    reached = ", then ".join(f"{AIM_WORDS[name]} {value:,.3g}/yr" for name, value in report.stages)
    return [f"aims reached first, in the sampled model (the simulation judges below): {reached}"]


def _carried_lines(report: SolveReport) -> list[str]:
    """What the objective credited for the stock the list leaves at the year's end."""
    if not report.carried_credit:
        return []
    return [
        f"that objective is the sampled years' penalty, {report.in_sample_penalty:,.0f}, less "
        f"{report.carried_credit:,.0f} for what the list leaves in the depots at the year's "
        f"end: {report.carried_yuan:,.0f} yuan of next year's money (in today's yuan) at "
        f"{report.carried_worth:.3f} yuan-equivalent a yuan, what a yuan of this budget saves "
        "at the margin (the budget's dual in the LP relaxation)"
    ]


def solve_lines(
    report: SolveReport,
    sampled: int,
    check: ModelCheck,
    stability: Stability | None,
    minimised: str = "the expected weighted shortfall",
    expected_shortfall: bool = True,
) -> list[str]:
    """What the solve proved, of which model, and how the plan fares in the simulation."""
    proved = "proved optimal" if report.optimal else "NOT proved optimal"
    objective = abs(report.objective) if abs(report.objective) < 0.5 else report.objective
    if math.isfinite(report.gap):
        bound = f"bound {report.best_bound + 0.0:,.0f}, gap {report.gap:.2%}"
    else:
        bound = (
            f"no bound or gap reported by {report.solver} (optimal within --mip-gap by its word)"
        )
    lines = [
        f"{report.solver}: {report.solution} ({proved}) for the sampled model of {sampled} "
        f"years: its objective, {minimised}, {objective:,.0f} yuan-equivalent/yr, {bound} "
        "(a gap of that model, not of the county); "
        f"{report.variables:,} variables ({report.integers:,} integer), "
        f"{report.constraints:,} constraints; build {report.build_s:.1f} s, "
        f"solve {report.solve_s:.1f} s ({report.method})",
        *_aim_lines(report),
        *_carried_lines(report),
        f"the plan on the {check.years} judging years (out of sample): model "
        f"{check.model_mean:,.0f} yuan/yr (95% CI {check.model_ci[0]:,.0f}-"
        f"{check.model_ci[1]:,.0f}), simulation {check.simulated_mean:,.0f} "
        f"({check.simulated_ci[0]:,.0f}-{check.simulated_ci[1]:,.0f}); simulation / model "
        f"{check.ratio:.3f} ({check.ratio_ci[0]:.3f}-{check.ratio_ci[1]:.3f})",
    ]
    # The sample's own optimum is optimistic (SAA); far above it on fresh years, the
    # sample did not stand for the county's years (the objective must be the same figure).
    penalty = report.in_sample_penalty
    optimism = check.model_mean / penalty if penalty > 0 else 1.0
    if expected_shortfall and optimism > SAMPLE_OPTIMISM_WARNING:
        lines.append(
            f"warning: on fresh years the model values the plan at {optimism:.1f} times its "
            f"figure on its own {sampled} sampled years, so the list follows that sample's "
            "accidents, not the county's years: use more --scenarios (200 by default)"
        )
    if stability is not None:
        share, depot = stability.by_item[0], stability.by_item_depot[0]
        lines.append(
            f"stability: plans solved on the two halves of the sample ({stability.years} years "
            f"each) share {share:.0%} of their money by item, {depot:.0%} by item and depot"
        )
        # One pair of half-size samples: held to the worst pair's threshold, and pessimistic.
        if share < STABLE_WORST_SHARE_BY_ITEM:
            lines.append(
                f"warning: the half-samples share less than {STABLE_WORST_SHARE_BY_ITEM:.0%} "
                "by item, so the list's details depend on the sample: use more --scenarios"
            )
    return lines
