"""Finding and reading the results of ``simulate``, ``optimize``, ``sweep`` and ``compare``.

A results folder is recognised by what its command wrote: ``run.json`` names the
command and the scenario (``simulate``, ``optimize``, ``compare``), and a sweep
has its ``manifest.json`` and ``cells/``. Every file is read with its expected
columns checked, so a missing or damaged file is one line naming it, never a
traceback from deep inside pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimize.sensitivity import SENSITIVITY_COLUMNS, SENSITIVITY_FILE
from optimize.years import JUDGED_COLUMNS, paired_years
from planner.output import RUN_RECORD
from planner.planning_years import AGAINST
from planner.sweeping import CELLS, MANIFEST, load_results
from scenarios import InputError, load, load_plan
from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim.metrics import SUMMARY_COLUMNS

KINDS = ("simulate", "optimize", "sweep", "compare", "plan-years")
SEARCH_DEPTH = 2  # the folder, its subfolders and theirs: results/ -> results/optimize


@dataclass(frozen=True, slots=True)
class TodayResults:
    """What ``yingji simulate`` wrote: the county as it is (or under a plan)."""

    folder: Path
    summary: pd.DataFrame
    events: pd.DataFrame
    items: pd.DataFrame
    dispatches: pd.DataFrame
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanResults:
    """What ``yingji optimize`` wrote: the plan, how every plan did, what the next yuan buys."""

    folder: Path
    plan: Plan
    evaluation: pd.DataFrame
    marginal: pd.DataFrame
    solve: dict[str, Any]
    record: dict[str, Any]
    sensitivity: pd.DataFrame | None = None  # with --sensitivity: what the list rests on


@dataclass(frozen=True, slots=True)
class SweepResults:
    """What ``yingji sweep`` wrote: every finished cell's summary and yearly headline."""

    folder: Path
    summary: pd.DataFrame
    years: pd.DataFrame
    manifest: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ComparisonResults:
    """What ``yingji compare`` wrote: paired differences and each plan's evaluation."""

    folder: Path
    comparison: pd.DataFrame
    evaluation: pd.DataFrame
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class YearsResults:
    """What ``yingji plan-years`` wrote: a row per planned year (and the run's record).

    With a second path of budgets: its row per year, and per year the paired
    differences of the second path against the first, paired here from both
    paths' judged years (:func:`optimize.years.paired_years`).
    """

    folder: Path
    years: pd.DataFrame
    record: dict[str, Any]
    against_years: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class Results:
    """Everything found in a results folder, and the one scenario behind it all."""

    scenario: Scenario
    today: TodayResults | None = None
    plan: PlanResults | None = None
    sweep: SweepResults | None = None
    comparison: ComparisonResults | None = None
    years: YearsResults | None = None

    def folders(self) -> dict[str, Path]:
        """Which folder each kind of result came from."""
        found = {"simulate": self.today, "optimize": self.plan, "sweep": self.sweep}
        found |= {"compare": self.comparison, "plan-years": self.years}
        return {kind: part.folder for kind, part in found.items() if part is not None}


def find_results(folder: str | Path) -> Results:
    """Read every kind of result found in ``folder`` (and below); one line if none or damaged."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "", "results folder not found")
    found = _newest_of_each_kind(folder)
    if not found:
        raise InputError(
            folder,
            "",
            "no results of yingji simulate, optimize, sweep, compare or plan-years found here",
        )
    scenario = _one_scenario(found)
    return Results(
        scenario=scenario,
        today=_today(found["simulate"]) if "simulate" in found else None,
        plan=_plan(found["optimize"], scenario) if "optimize" in found else None,
        sweep=_sweep(found["sweep"]) if "sweep" in found else None,
        comparison=_comparison(found["compare"]) if "compare" in found else None,
        years=_years(found["plan-years"]) if "plan-years" in found else None,
    )


def _newest_of_each_kind(folder: Path) -> dict[str, Path]:
    candidates: dict[str, list[Path]] = {}
    for path in _folders(folder, SEARCH_DEPTH):
        kind = kind_of(path)
        if kind is not None:
            candidates.setdefault(kind, []).append(path)
    return {
        kind: max(paths, key=lambda p: (_stamp(p).stat().st_mtime_ns, str(p)))
        for kind, paths in candidates.items()
    }


def _folders(folder: Path, depth: int) -> list[Path]:
    found = [folder]
    if depth > 0:
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            if not child.name.startswith("."):
                found.extend(_folders(child, depth - 1))
    return found


def kind_of(folder: Path) -> str | None:
    """``simulate``, ``optimize``, ``sweep``, ``compare`` or ``plan-years``; None for any other."""
    if (folder / MANIFEST).is_file() and (folder / CELLS).is_dir():
        return "sweep"
    if (folder / RUN_RECORD).is_file():
        command = read_json(folder / RUN_RECORD).get("command")
        if command in KINDS:
            return command
        raise InputError(folder / RUN_RECORD, "command", "not a yingji command", command)
    return None


def _stamp(folder: Path) -> Path:
    return folder / (MANIFEST if (folder / MANIFEST).is_file() else RUN_RECORD)


def _one_scenario(found: dict[str, Path]) -> Scenario:
    """Load the scenario every result came from; results of two counties are refused."""
    scenarios: dict[str, tuple[Path, Scenario]] = {}
    for folder in found.values():
        record_path = _stamp(folder)
        text = read_json(record_path).get("scenario")
        if not isinstance(text, str):
            raise InputError(record_path, "scenario", "missing: cannot tell which scenario")
        if text not in scenarios:
            scenario_file = Path(text)
            if not scenario_file.is_file():
                raise InputError(record_path, "scenario", "scenario file not found", text)
            scenarios[text] = (record_path, load(scenario_file))
    ids = {scenario.scenario_id for _, scenario in scenarios.values()}
    if len(ids) > 1:
        (first, a), (second, b) = list(scenarios.values())[:2]
        raise InputError(
            second,
            "scenario",
            f"results of two counties ({a.scenario_id} in {first.parent.name}, "
            f"{b.scenario_id} here); report one county at a time",
        )
    return next(iter(scenarios.values()))[1]


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or one line saying why not."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "", "file missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(path, "", f"damaged or not JSON: {_reason(error)}") from None
    if not isinstance(document, dict):
        raise InputError(path, "", "damaged: not a JSON object")
    return document


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV or Parquet table with at least ``columns``, or one line saying why not."""
    if not path.is_file():
        raise InputError(path, "", "file missing")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except Exception as error:  # any reader failure means a damaged file
        raise InputError(path, "", f"damaged or unreadable: {_reason(error)}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(path, f"column {missing[0]!r}", "missing (damaged or not yingji output)")
    return frame


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


EVENT_COLUMNS = ("replication", "event_id", "hazard", "township_id", "impact_h", "end_h")
EVENT_COLUMNS += ("response_h", "handled_level", "item_shortfall_yuan", "rescue_shortfall_yuan")
ITEM_COLUMNS = ("replication", "event_id", "item_id", "demand", "unmet", "shortfall_yuan")
DISPATCH_COLUMNS = ("replication", "event_id", "team_id", "dispatched_h", "arrival_h")
DISPATCH_COLUMNS += ("leave_scene_h", "back_at_base_h")
EVALUATION_COLUMNS = ("plan", "purchase_cost_yuan", "weighted_unmet_mean")
EVALUATION_COLUMNS += ("weighted_unmet_ci_low", "weighted_unmet_ci_high")
COMPARISON_COLUMNS = ("plan", "reference", "breakdown", "group", "plan_mean", "reference_mean")
COMPARISON_COLUMNS += ("difference_mean", "difference_ci_low", "difference_ci_high", "verdict")


def _today(folder: Path) -> TodayResults:
    return TodayResults(
        folder,
        read_table(folder / "summary.csv", SUMMARY_COLUMNS),
        read_table(folder / "events.parquet", EVENT_COLUMNS),
        read_table(folder / "items.parquet", ITEM_COLUMNS),
        read_table(folder / "dispatches.parquet", DISPATCH_COLUMNS),
        read_json(folder / RUN_RECORD),
    )


def _plan(folder: Path, scenario: Scenario) -> PlanResults:
    if not (folder / "plan.csv").is_file():
        raise InputError(folder / "plan.csv", "", "file missing")
    return PlanResults(
        folder,
        load_plan(folder / "plan.csv", scenario),
        read_table(folder / "evaluation.csv", EVALUATION_COLUMNS),
        read_table(folder / "marginal_values.csv", ()),
        read_json(folder / "solve.json"),
        read_json(folder / RUN_RECORD),
        _optional_table(folder / SENSITIVITY_FILE, SENSITIVITY_COLUMNS),
    )


YEARS_COLUMNS = ("year", "budget_yuan", "replaced_yuan", "bought_yuan", "upkeep_yuan")
YEARS_COLUMNS += ("stock_value_end_yuan", "weighted_unmet_mean", "weighted_unmet_ci_low")
YEARS_COLUMNS += ("weighted_unmet_ci_high", "trapped_lost_per_year")
YEARS_COLUMNS += ("people_without_relief_per_year",)


def _years(folder: Path) -> YearsResults:
    years, record = read_table(folder / "years.csv", YEARS_COLUMNS), read_json(folder / RUN_RECORD)
    if not record.get("against_budgets_yuan"):
        return YearsResults(folder, years, record)
    second = folder / AGAINST
    against = read_table(second / "years.csv", YEARS_COLUMNS)
    judged = read_table(folder / "judged.parquet", JUDGED_COLUMNS)
    against_judged = read_table(second / "judged.parquet", JUDGED_COLUMNS)
    try:
        differences = paired_years(years, judged, against, against_judged)
    except ValueError as error:
        reason = f"does not pair with the first path's judged.parquet: {error}"
        raise InputError(second / "judged.parquet", "", reason) from None
    return YearsResults(folder, years, record, against, differences)


def _optional_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """A table a run writes only when asked for: ``None`` when it did not."""
    return read_table(path, columns) if path.exists() else None


def _sweep(folder: Path) -> SweepResults:
    manifest = read_json(folder / MANIFEST)
    summary, years = load_results(folder)
    if summary.empty:
        raise InputError(folder / CELLS, "", "the sweep has no finished cell yet")
    missing = [c for c in (*SUMMARY_COLUMNS, "cell", "plan") if c not in summary.columns]
    if missing:
        raise InputError(folder / CELLS, f"column {missing[0]!r}", "missing (damaged)")
    return SweepResults(folder, summary, years, manifest)


def _comparison(folder: Path) -> ComparisonResults:
    return ComparisonResults(
        folder,
        read_table(folder / "comparison.csv", COMPARISON_COLUMNS),
        read_table(folder / "evaluation.csv", EVALUATION_COLUMNS),
        read_json(folder / RUN_RECORD),
    )
