"""The ``yingji`` command line: parse the arguments, dispatch to the command's module.

Each command lives in a module of its own (``planner.simulating.run_simulate``,
``planner.optimizing.run_optimize``, ...), a plain Python function that scripts
and tests call as the CLI does; each is imported only when its command runs,
so ``yingji --help`` starts fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from planner.errors import CellsFailedError, RequestError
from planner.output import terminal
from planner.results import version
from scenarios import InputError
from scenarios.files import WriteError
from scenarios.schema import MAX_BUDGET_YUAN

SCENARIO_FORMS = "scenario: a TOML file with its CSV tables, or an Excel workbook (yingji init)"
SCENARIO_HELP = f"{SCENARIO_FORMS} (default: the bundled county)"

EXIT_BAD_INPUT = 2
EXIT_CELLS_FAILED = 1
EXIT_INTERRUPTED = 130
EXIT_CANNOT_WRITE = 74  # sysexits' EX_IOERR: a full disk, a read-only or forbidden folder


def _whole_number(minimum: int, maximum: int | None = None, why: str = ""):
    """An argparse type for whole numbers from ``minimum`` to ``maximum`` (``why`` the limit)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"at most {maximum:,}{why}: {text!r}")
        return value

    return parse


_seed = _whole_number(0)
# About 300 item rows a simulated year in memory, and 350 model variables a sampled year:
# beyond these a run does not fit on a planner's machine; run several seeds instead.
_years = _whole_number(1, 100_000, " simulated years in one run (run more seeds instead)")
_sampled = _whole_number(1, 5_000, " sampled years (a larger model does not fit in memory)")
_workers = _whole_number(1, 256, " processes")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="yingji",
        description="应急 yingji: plan a county's emergency stockpiles and rescue teams.",
    )
    parser.add_argument("--version", action="version", version=f"yingji {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    simulate = commands.add_parser(
        "simulate",
        help="simulate county years and summarise unmet demand",
        description="Simulate county years of floods, fires and landslides; "
        "print the summary and write events.parquet, items.parquet and summary.csv.",
    )
    simulate.add_argument("scenario", nargs="?", type=Path, help=SCENARIO_HELP)
    simulate.add_argument(
        "--plan", type=Path, help="plan file (CSV, JSON or Excel) applied at year start"
    )
    simulate.add_argument("--reps", type=_years, default=200, help="years to simulate")
    simulate.add_argument("--seed", type=_seed, help="base seed (default: the scenario's)")
    simulate.add_argument("--jobs", type=_workers, default=1, help="worker processes")
    simulate.add_argument(
        "--out",
        type=Path,
        default=Path("results/simulate"),
        help="output folder (default: results/simulate)",
    )
    _add_optimize(commands)
    _add_sweep(commands)
    _add_compare(commands)
    _add_plan_years(commands)
    _add_report(commands)
    _add_init(commands)
    _add_serve(commands)
    return parser


def _add_serve(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="the planner in a web browser, for those who do not use a terminal",
        description="Serve the browser pages until Ctrl-C: choose a county (the bundled one, an "
        "uploaded workbook or a zip of its TOML and CSV files), simulate it, optimise the budget, "
        "see what more money buys, put plan A against plan B, edit a plan and see it judged, and "
        "download the list and the report. Each page's work runs the same yingji commands as "
        "jobs that can be cancelled; results stay in --root.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    serve.add_argument("--port", type=_whole_number(1, 65_535), default=8765, help="port (8765)")
    serve.add_argument(
        "--root",
        type=Path,
        default=Path("results/serve"),
        help="folder of the sessions' uploads and jobs (default: results/serve)",
    )
    serve.add_argument(
        "--token",
        help="the access token every request must give (default: the YINGJI_TOKEN "
        "environment variable); required to serve on an address other than 127.0.0.1",
    )
    serve.add_argument(
        "--jobs", type=_workers, default=1, help="jobs run at once (the rest wait their turn)"
    )


def _add_init(commands) -> None:
    init = commands.add_parser(
        "init",
        help="write the county as an Excel workbook to fill in",
        description="Write a county as one Excel workbook: an instructions sheet, the settings, "
        "and a sheet per table with Chinese headers, the English key beside them and drop-down "
        "lists; prefilled with the bundled county (or --from another). Every command reads the "
        "workbook in place of the TOML.",
    )
    init.add_argument("out", type=Path, metavar="WORKBOOK.xlsx", help="the workbook to write")
    init.add_argument(
        "--from", dest="source", type=Path, help="the county to start from: " + SCENARIO_HELP
    )
    init.add_argument("--force", action="store_true", help="replace a file already there")


def _add_plan_years(commands) -> None:
    plan = commands.add_parser(
        "plan-years",
        help="plan several years ahead: replace what expires or fails, optimise the rest",
        description="Year by year from the scenario's [ledger] plan_year: the budget first "
        "replaces what failed, was rotated or reached the end of its life, the rest is "
        "optimised with the stock carried over, the year is simulated and what it used, and "
        "what age takes, leaves the ledger. Writes years, purchases, leaving, closing_stock "
        "and judged (each judging year's outcomes) as CSV and Parquet; with a second path of "
        "budgets, the same in against/ and the paired differences per year in "
        "against_difference.",
    )
    plan.add_argument("scenario", nargs="?", type=Path, help=SCENARIO_HELP)
    plan.add_argument(
        "--years", type=_whole_number(1, 30, " years"), help="years to plan (default 5)"
    )
    money = plan.add_mutually_exclusive_group()
    money.add_argument("--budget", type=_money, help="the budget every year, yuan")
    money.add_argument(
        "--budgets", type=_money, nargs="+", metavar="YUAN", help="one budget a year, yuan"
    )
    plan.add_argument(
        "--scenarios", type=_sampled, default=200, help="sampled years in each year's model"
    )
    plan.add_argument(
        "--reps", type=_years, default=200, help="simulated years to judge each planned year"
    )
    against = plan.add_mutually_exclusive_group()
    against.add_argument(
        "--against-budgets",
        type=_money,
        nargs="+",
        metavar="YUAN",
        help="a second path of budgets, one a year, planned beside the first and judged on the "
        "same simulated years: what its money buys, year by year",
    )
    against.add_argument(
        "--against-rise",
        type=_rise,
        metavar="PERCENT",
        help="the second path: the first path's budgets raised by PERCENT a year, compounded "
        "from the second year (-50 to 100)",
    )
    plan.add_argument("--seed", type=_seed, help="base seed (default: the scenario's)")
    _add_executor(
        plan,
        "processes: the simulation's, or shared by the two paths of budgets",
        "plan each path on a running Dask scheduler (tcp://host:port)",
        "plan each path on a Dask cluster of N workers here",
    )
    plan.add_argument(
        "--time-limit", type=_positive_float, default=120.0, help="solver time limit a year, s"
    )
    plan.add_argument("--mip-gap", type=_gap, default=1e-3, help="relative MIP gap (0 to 1)")
    plan.add_argument("--out", type=Path, default=Path("results/plan_years"), help="output folder")


def _add_executor(command, jobs: str, scheduler: str, cluster: str) -> None:
    """Where the work runs, one of: --jobs N processes, a Dask --scheduler, a --local-cluster."""
    where = command.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_workers, default=1, help=jobs)
    where.add_argument("--scheduler", help=scheduler)
    where.add_argument("--local-cluster", type=_workers, help=cluster)


def _bounded_number(
    low: float, high: float, low_open: bool, what: str, strip: bool = False, high_open=True
):
    """An argparse type for finite numbers in a range; ``what`` names it in the error."""

    def parse(text: str) -> float:
        cleaned = text.replace(",", "").replace("_", "") if strip else text
        try:
            value = float(cleaned)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (above and below):
            raise argparse.ArgumentTypeError(f"must be {what} in the allowed range: {text!r}")
        return value

    return parse


# the scenario's own bound on a budget: a run's scenario.json must read back (planner.results)
_money = _bounded_number(
    0.0, MAX_BUDGET_YUAN, False, "a finite amount of yuan up to 1e10", strip=True, high_open=False
)
_positive_float = _bounded_number(0.0, float("inf"), True, "a positive number")
_gap = _bounded_number(0.0, 1.0, False, "a gap at least 0 and below 1")
_weight = _bounded_number(0.0, 1.0, False, "a weight from 0 to 1", high_open=False)
_share = _bounded_number(0.0, 1.0, True, "a share above 0, at most 1", high_open=False)
# planning_years.RISE_PERCENT: a budget path a bureau plans by, refused here before any work
_rise = _bounded_number(-50.0, 100.0, False, "a rise from -50 to 100% a year", high_open=False)


def _add_optimize(commands) -> None:
    optimize = commands.add_parser(
        "optimize",
        help="choose purchases (and team sizes) and judge them by simulation",
        description="Solve the sample-average stochastic programme for the budget, then "
        "simulate the optimised plan next to the status quo and the baselines on common "
        "random numbers. Writes plan.csv/.xlsx/.json, evaluation.csv, marginal_values.csv "
        "and solve.json.",
    )
    optimize.add_argument("scenario", nargs="?", type=Path, help=SCENARIO_HELP)
    optimize.add_argument("--budget", type=_money, help="procurement budget, yuan")
    money = optimize.add_mutually_exclusive_group()
    money.add_argument(
        "--staff-budget", type=_money, help="total yearly money for team members, yuan"
    )
    money.add_argument(
        "--joint-budget", type=_money, help="one pot for purchases and members (yuan)"
    )
    optimize.add_argument(
        "--scenarios", type=_sampled, default=200, help="sampled years in the SAA model"
    )
    optimize.add_argument("--reps", type=_years, default=200, help="simulated years to judge plans")
    optimize.add_argument("--seed", type=_seed, help="base seed (default: the scenario's)")
    optimize.add_argument(
        "--time-limit", type=_positive_float, default=120.0, help="solver time limit, s"
    )
    optimize.add_argument(
        "--mip-gap", type=_gap, default=1e-3, help="relative MIP gap at which to stop (0 to 1)"
    )
    optimize.add_argument(
        "--worst-weight",
        type=_weight,
        help="weight of the bad years in the objective: 0 the expected year, 1 the mean of "
        "the worst years alone (default: the scenario's [objective], else 0)",
    )
    optimize.add_argument(
        "--objective",
        choices=("shortfall", "lives-first", "mix"),
        help="what to minimise: the weighted shortfall; lives lost to delay, then people "
        "without relief at the first-relief hour, then the shortfall; or the shortfall plus "
        "the scenario's [objective] prices per life and per person (default: the scenario's)",
    )
    optimize.add_argument(
        "--worst-share",
        type=_share,
        help="the bad years: this worst share of them (default: the scenario's, else 0.1)",
    )
    optimize.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    optimize.add_argument("--jobs", type=_workers, default=1, help="worker processes")
    optimize.add_argument(
        "--bounds",
        type=_seed,
        default=0,
        help="independent SAA samples for the statistical gap (0 skips; 4-10 is typical)",
    )
    optimize.add_argument(
        "--greedy-steps",
        type=_seed,
        default=8,
        help="lots of the simulation-based greedy baseline (0 leaves it out)",
    )
    optimize.add_argument(
        "--improve-steps",
        type=_seed,
        default=6,
        help="moves of money the simulation judges after the solve (0 leaves the step out)",
    )
    optimize.add_argument(
        "--sensitivity",
        action="store_true",
        help="re-solve with each estimated weight and parameter halved and doubled, to show "
        "what the list rests on (12-18 more solves)",
    )
    optimize.add_argument(
        "--out",
        type=Path,
        default=Path("results/optimize"),
        help="output folder (default: results/optimize)",
    )


def _add_sweep(commands) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="run every cell of a grid of budgets and scenario changes, resumably",
        description="Optimise and/or evaluate plans in every cell of a sweep file's grid, on "
        "this machine or a Dask cluster. Each finished cell is saved at once; running the "
        "same command again runs only the missing cells.",
    )
    sweep.add_argument(
        "sweep", nargs="?", type=Path, help="sweep TOML (default: the bundled budget sweep)"
    )
    _add_executor(
        sweep,
        "local worker processes",
        "address of a running Dask scheduler (tcp://host:port)",
        "start a Dask cluster of N workers here",
    )
    sweep.add_argument(
        "--out", type=Path, default=Path("results/sweep"), help="dataset folder (results/sweep)"
    )


def _add_compare(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="compare plans on the same simulated years, with paired 95%% intervals",
        description="Simulate every plan on the same years and set each against the first: "
        "the headline and its breakdowns by hazard, item category and township, with paired "
        "95% intervals and a plain verdict. Writes comparison.csv and evaluation.csv.",
    )
    compare.add_argument("scenario", help=f"{SCENARIO_FORMS}, or 'default' for the bundled county")
    compare.add_argument(
        "plans",
        nargs="+",
        metavar="PLAN",
        help="plan files (CSV, JSON or Excel), or 'status_quo'; the first is the reference",
    )
    compare.add_argument("--reps", type=_years, default=200, help="simulated years")
    compare.add_argument("--seed", type=_seed, help="base seed (default: the scenario's)")
    compare.add_argument("--jobs", type=_workers, default=1, help="worker processes")
    compare.add_argument("--out", type=Path, default=Path("results/compare"), help="output folder")


def _add_report(commands) -> None:
    report = commands.add_parser(
        "report",
        help="write the funding-request report (HTML, PDF, Excel) from a results folder",
        description="Build the report from the results of simulate, optimize, sweep and "
        "compare found in RESULTS_DIR (and its subfolders): a self-contained HTML page, the "
        "same as PDF, and an Excel workbook with the procurement list.",
    )
    report.add_argument("results", type=Path, metavar="RESULTS_DIR", help="results folder")
    report.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (zh)")
    report.add_argument(
        "--out", type=Path, help="HTML file to write (default RESULTS_DIR/report.html)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``yingji`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "compare" and len(args.plans) < 2:
        parser.error("compare needs at least two plans (the first is the reference)")
    console = terminal(stderr=True)
    try:
        with _terminate_as_interrupt():
            COMMANDS[args.command](args, console)
    except CellsFailedError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return EXIT_CELLS_FAILED
    except (InputError, RequestError) as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    except OSError as error:  # scenarios.files.write_atomic names the file; nothing half-written
        console.print(f"[bold red]error:[/] {escape(_system_error(error))}", highlight=False)
        return EXIT_CANNOT_WRITE
    except KeyboardInterrupt:
        console.print(
            "interrupted; every file written so far is complete, none is half-written"
            + (
                "; run the same command again to finish the sweep"
                if args.command == "sweep"
                else ""
            )
        )
        return EXIT_INTERRUPTED
    return 0


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service stopping, a job cancelled) stops a command as Ctrl-C does.

    Workers are ended, what is finished stays, nothing is half-written, and the
    command says so in one line with exit code 130 (it died silently with 143).
    """

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals to whoever owns them
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _system_error(error: OSError) -> str:
    """The system's refusal in one line: ``path: no space left on device``."""
    if isinstance(error, WriteError) or error.filename is None or error.strerror is None:
        return " ".join(str(error).split())
    return f"{error.filename}: {error.strerror[:1].lower()}{error.strerror[1:]}"


def _simulate(args: argparse.Namespace, console: Console) -> None:
    from planner.simulating import run_simulate

    run_simulate(args.scenario, args.plan, args.reps, args.seed, args.jobs, args.out, console)


def _optimize(args: argparse.Namespace, console: Console) -> None:
    from planner.optimizing import OptimizeRequest, run_optimize

    request = OptimizeRequest(
        scenario_path=args.scenario,
        budget_yuan=args.budget,
        staff_budget_yuan=args.staff_budget,
        joint_budget_yuan=args.joint_budget,
        scenarios=args.scenarios,
        reps=args.reps,
        seed=args.seed,
        time_limit_s=args.time_limit,
        mip_gap=args.mip_gap,
        worst_weight=args.worst_weight,
        worst_share=args.worst_share,
        minimise=None if args.objective is None else args.objective.replace("-", "_"),
        solver=args.solver,
        jobs=args.jobs,
        greedy_steps=args.greedy_steps,
        improve_steps=args.improve_steps,
        bounds=args.bounds,
        sensitivity=args.sensitivity,
        out=args.out,
    )
    run_optimize(request, console)


def _sweep(args: argparse.Namespace, console: Console) -> None:
    from planner.sweeping import SweepRequest, run_sweep

    request = SweepRequest(args.sweep, args.jobs, args.scheduler, args.local_cluster, args.out)
    run_sweep(request, console)


def _compare(args: argparse.Namespace, console: Console) -> None:
    from planner.comparing import CompareRequest, run_compare

    request = CompareRequest(
        args.scenario, tuple(args.plans), args.reps, args.seed, args.jobs, args.out
    )
    run_compare(request, console)


def _plan_years(args: argparse.Namespace, console: Console) -> None:
    from optimize.years import YearsSettings
    from planner.planning_years import PlanYearsRequest, run_plan_years

    settings = YearsSettings(
        args.scenarios, args.reps, args.seed, args.jobs, args.time_limit, args.mip_gap
    )
    request = PlanYearsRequest(
        args.scenario, args.years, args.budget, tuple(args.budgets or ()), settings,
        args.out, tuple(args.against_budgets or ()), args.against_rise, args.scheduler,
        args.local_cluster,
    )  # fmt: skip
    run_plan_years(request, console)


def _init(args: argparse.Namespace, console: Console) -> None:
    from planner.initializing import run_init

    run_init(args.out, args.source, args.force, console)


def _serve(args: argparse.Namespace, console: Console) -> None:
    from planner.serving import run_serve

    run_serve(args.host, args.port, args.root, args.token, args.jobs, console)


def _report(args: argparse.Namespace, console: Console) -> None:
    from planner.reporting import run_report

    run_report(args.results, args.lang, args.out, console)


# Each subcommand's module is imported only when it runs, so `yingji --help` starts fast.
COMMANDS = {
    "simulate": _simulate,
    "optimize": _optimize,
    "sweep": _sweep,
    "compare": _compare,
    "plan-years": _plan_years,
    "init": _init,
    "serve": _serve,
    "report": _report,
}


if __name__ == "__main__":
    sys.exit(main())
