"""The results folders as a format: what each command writes, and reading it back.

One command's run per folder. ``run.json`` names the command and its settings,
and ``scenario.json`` is the validated scenario the run used, so a folder
reports the county as it was run (an edited or moved scenario file changes
nothing) and can be moved or mailed whole. A sweep has its ``manifest.json``
and ``cells/`` instead. Every file appears whole or not at all (temporary file,
then rename), and is read with its expected columns checked, so a missing or
damaged file is one line naming it, never a traceback from deep inside pandas.

The file names and column lists live here and in the record types of the
layers below; this module imports no command, and no solver or cluster.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from optimize.comparison import COMPARISON_COLUMNS
from optimize.evaluate import EVALUATION_COLUMNS
from optimize.records import (
    JUDGED_COLUMNS,
    SENSITIVITY_COLUMNS,
    SENSITIVITY_FILE,
    YEAR_COLUMNS,
    paired_years,
)
from scenarios import InputError, files, load, load_plan
from scenarios.files import write_atomic
from scenarios.loader import validate_scenario
from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim.metrics import HEADLINE, SUMMARY_COLUMNS
from sim.records import SimulationResult
from sim.rows import DISPATCH_COLUMNS, EVENT_COLUMNS, ITEM_COLUMNS

KINDS = ("simulate", "optimize", "sweep", "compare", "plan-years")
SEARCH_DEPTH = 2  # the folder, its subfolders and theirs: results/ -> results/optimize

RUN_RECORD = "run.json"
SCENARIO_RECORD = "scenario.json"
LOCK_FILE = ".yingji.lock"  # held while a run writes into its folder

# simulate: a tidy frame per record type of the simulation, and the summary
SIMULATION_FRAMES = ("events", "items", "dispatches", "stock", "calls")
SUMMARY_FILE = "summary.csv"
# optimize: the plan (plan.csv, .xlsx, .json by scenarios.plan.write_plan) and its judgement
PLAN_FILE = "plan.csv"
EVALUATION_FILE = "evaluation.csv"
MARGINAL_FILE = "marginal_values.csv"
COMPLIANCE_FILE = "compliance.csv"
SOLVE_FILE = "solve.json"
BOUNDS_FILE = "saa_bounds.json"
# compare
COMPARISON_FILE = "comparison.csv"
# plan-years: each table as CSV and Parquet; the second path's in AGAINST/
YEARS_TABLES = ("years", "purchases", "leaving", "closing_stock", "judged")
AGAINST = "against"  # the second path's folder, and the name of its comparison
DIFFERENCE = "against_difference"  # the per-year paired differences
# sweep
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
CELLS, YEARS, FAILED = "cells", "years", "failed"
CELL_FILE = re.compile(r"^cell-(\d+)\.parquet$")
SWEEP_SUMMARY = "sweep_summary.csv"
RUN_SUBFOLDERS = (CELLS, YEARS, FAILED, AGAINST)  # every folder a run writes inside its own


# ---------------------------------------------------------------------------- writing


def prepare_out_dir(path: Path, command: str | None = None) -> Path:
    """Create the output folder, or refuse with one line if it cannot be used.

    A folder holds one command's run: ``command``'s files written over another
    command's would leave the other's record describing them (and the report
    would drop a section without a word), so such a folder is refused.
    """
    if path.exists() and not path.is_dir():
        raise InputError(path, "--out", "exists and is not a folder")
    record = path / RUN_RECORD
    if command is not None and record.is_file():
        other = _recorded_command(record)
        if other != command:
            raise InputError(
                path,
                "--out",
                f"holds the results of yingji {other}: give --out another folder "
                "(one command's run per folder)",
            )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(path, "--out", f"cannot create the folder: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise InputError(path, "--out", "folder is not writable")
    return path


@contextmanager
def run_folder(path: Path, command: str) -> Iterator[Path]:
    """A run's folder: created, held against a second run, its files checked when read.

    The run's record (:func:`write_run_record`, written last) holds the sha256 of
    every file the run wrote, so a file a later run replaced before it was killed
    no longer matches, and the reader refuses the folder: a report never mixes
    two runs' files. A first run into a folder marks it unfinished (``run.json``
    saying ``finished: false``) until its record replaces the mark; a run refused
    before it wrote anything takes its mark away again, and an earlier run's
    record is never touched until the new one is written.
    """
    out = prepare_out_dir(path, command)
    with hold(out):
        remove_partial_files(out)
        record = out / RUN_RECORD
        fresh = not record.exists()
        if fresh:
            write_json({"command": command, "finished": False}, record)
        try:
            yield out
        except Exception:
            if fresh and _nothing_but(out, record):
                record.unlink(missing_ok=True)
            raise


def _nothing_but(out: Path, record: Path) -> bool:
    """Whether ``out`` holds no file of the run but its unfinished mark."""
    return all(p == record or p.name.startswith(".") for p in out.iterdir())


@contextmanager
def hold(out: Path) -> Iterator[Path]:
    """Hold ``out`` for this run: a second run into it is refused in one line, not mixed in.

    An advisory lock on a file in the folder: the system releases it when the
    process ends, however it ends, so a killed run never leaves the folder held.
    The file is removed when the run ends; a run that locked a file just removed
    (the inode is no longer the path's) is refused as well, so two never both hold.
    """
    path = out / LOCK_FILE
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = _same_file(handle, path)
        except BlockingIOError:
            held = False
        if not held:
            raise InputError(
                out,
                "--out",
                "another yingji run is writing into this folder: wait for it to finish, "
                "or give --out another folder",
            )
        os.utime(handle.fileno())  # the hold's start, on the files' clock (_hold_started)
        try:
            yield out
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _same_file(handle, path: Path) -> bool:
    """Whether the open lock file is still the one at ``path`` (not one a run just removed)."""
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _recorded_command(record: Path) -> str:
    """The command a run record names ('an unreadable run' when it cannot be read)."""
    try:
        found = json.loads(record.read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return "an unreadable run"
    return str(found) if found else "an unreadable run"


def version() -> str:
    """The installed yingji version (``unknown`` when run from an uninstalled tree)."""
    try:
        return metadata.version("yingji")
    except metadata.PackageNotFoundError:
        return "unknown"


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as Parquet, atomically."""
    return write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as UTF-8 CSV, atomically."""
    return write_atomic(path, lambda p: frame.to_csv(p, index=False, encoding="utf-8"))


def write_json(document: object, path: Path) -> Path:
    """Write a JSON document (UTF-8, indented), atomically."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=float) + "\n"
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as ``name.csv`` (for people) and ``name.parquet`` (for programs)."""
    for name, frame in tables.items():
        write_csv(frame, out / f"{name}.csv")
        write_parquet(frame, out / f"{name}.parquet")


def write_scenario(out: Path, scenario: Scenario) -> Path:
    """``scenario.json``: the validated scenario a run used, read back by the report."""
    text = scenario.model_dump_json(indent=1) + "\n"
    return write_atomic(out / SCENARIO_RECORD, lambda p: p.write_text(text, encoding="utf-8"))


def write_run_record(out: Path, command: str, scenario: Scenario, **fields) -> Path:
    """``run.json`` (and ``scenario.json``), last: the command, its settings, the files it wrote.

    ``yingji report`` reads them to know the run and the county it was run for,
    and checks every file against the sha256 recorded here.
    """
    write_scenario(out, scenario)
    source = str(Path(scenario.source_path).resolve()) if scenario.source_path else ""
    record = {
        "command": command,
        "finished": True,
        "scenario": SCENARIO_RECORD,
        "scenario_source": source,
        "yingji_version": version(),
        **{key: str(value) if isinstance(value, Path) else value for key, value in fields.items()},
        "files": _file_hashes(out),
    }
    return write_json(record, out / RUN_RECORD)


def _file_hashes(out: Path) -> dict[str, str]:
    """The sha256 of every file a run wrote in ``out`` (and below), by its path there.

    A subfolder holding a run of its own (``results/`` run into, beside
    ``results/optimize``) is that run's, not this one's, and is left out; so is a
    file older than this run's hold (an earlier run's ``sensitivity.csv``, say, that
    this run was not asked to write): the reader takes it as absent.
    """
    since = _hold_started(out)
    hashes = {}
    for folder, subfolders, names in os.walk(out):
        here = Path(folder)
        subfolders[:] = sorted(
            name for name in subfolders if not _holds_a_run(here / name) and name[0] != "."
        )
        for name in sorted(names):
            relative = (here / name).relative_to(out)
            if relative.as_posix() == RUN_RECORD or _ignored(relative):
                continue
            if since is None or (here / name).stat().st_mtime_ns >= since:
                hashes[relative.as_posix()] = _sha256(here / name)
    return hashes


def _hold_started(out: Path) -> int | None:
    """When this run's hold began (its lock file's time, on the files' own clock); None: none.

    The file system's clock, not Python's: a file written just after the hold began
    is never stamped before it, as it could be against a finer clock.
    """
    try:
        return (out / LOCK_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _holds_a_run(folder: Path) -> bool:
    return (folder / RUN_RECORD).is_file() or (folder / MANIFEST).is_file()


def _ignored(relative: Path) -> bool:
    """Not a run's own file: hidden (the lock, temporary files) or a report written later."""
    hidden = any(part.startswith(".") for part in relative.parts)
    return hidden or relative.name.startswith("report.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_simulation(out: Path, result: SimulationResult, summary: pd.DataFrame) -> list[Path]:
    """``simulate``'s files: each frame of the result as Parquet, and the summary as CSV."""
    written = [write_parquet(getattr(result, n), out / f"{n}.parquet") for n in SIMULATION_FRAMES]
    return [*written, write_csv(summary, out / SUMMARY_FILE)]


# ---------------------------------------------------------------------- a sweep's folder


def write_manifest(out: Path, manifest: dict[str, object], scenario: Scenario) -> None:
    """Write the manifest into a folder that has none yet (a resumed sweep keeps its own)."""
    path = out / MANIFEST
    if path.exists():
        return
    write_scenario(out, scenario)
    stamped = {**manifest, "created": datetime.now(UTC).isoformat(timespec="seconds")}
    write_json(stamped | {"scenario": SCENARIO_RECORD}, path)


def check_sweep_folder(out: Path, manifest: dict[str, object]) -> None:
    """Refuse a folder that holds another sweep's results (or results without a manifest)."""
    path = out / MANIFEST
    if not path.exists():
        if (out / CELLS).exists():
            raise InputError(out, CELLS, "holds cell results but no manifest.json; use a new --out")
        return
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise InputError(path, "", f"cannot read the manifest: {reason}") from None
    for key in ("format", "inputs_sha256", "yingji_version"):
        if not isinstance(existing, dict) or existing.get(key) != manifest[key]:
            shown = existing.get(key) if isinstance(existing, dict) else None
            raise InputError(
                path,
                key,
                "this folder holds the results of a different sweep or version; "
                "use another --out or remove the folder",
                shown,
            )


def remove_partial_files(out: Path) -> None:
    """Temporary files a killed run left in its folder; never a finished file.

    Every run removes them when it starts, holding the folder (:func:`hold`), from
    the folder and the subfolders runs write: never from a folder below that may be
    another run's, still writing.
    """
    for folder in (out, *(out / name for name in RUN_SUBFOLDERS)):
        files.remove_partial_files(folder)


def cell_file(index: int) -> str:
    """File name of cell ``index`` in ``cells/`` and ``years/``."""
    return f"cell-{index:04d}.parquet"


def finished_cells(out: Path) -> set[int]:
    """Indices of the cells whose results are in the folder."""
    found = set()
    for path in (out / CELLS).glob("cell-*.parquet"):
        match = CELL_FILE.match(path.name)
        if match and (out / YEARS / path.name).is_file():
            found.add(int(match.group(1)))
    return found


def write_cell(out: Path, index: int, summary: pd.DataFrame, years: pd.DataFrame) -> None:
    """Save a finished cell: its years first, the cell file last (it marks the cell done)."""
    write_parquet(years, out / YEARS / cell_file(index))
    write_parquet(summary, out / CELLS / cell_file(index))
    _failure_file(out, index).unlink(missing_ok=True)


def write_cell_failure(out: Path, index: int, document: dict[str, object]) -> None:
    """Record why cell ``index`` failed (it runs again on the next run)."""
    write_json(document, _failure_file(out, index))


def _failure_file(out: Path, index: int) -> Path:
    return out / FAILED / f"cell-{index:04d}.json"


def load_results(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The finished cells' summary rows and yearly rows, in cell order."""
    out = Path(out)
    indices = sorted(finished_cells(out))
    if not indices:
        return pd.DataFrame(), pd.DataFrame()
    summary = pd.concat([_read_cell(out / CELLS / cell_file(i)) for i in indices])
    years = pd.concat([_read_cell(out / YEARS / cell_file(i)) for i in indices])
    return summary.reset_index(drop=True), years.reset_index(drop=True)


def _read_cell(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as error:  # any reader failure means a damaged file
        reason = " ".join(str(error).split())[:120]
        raise InputError(path, "", f"damaged cell file: {reason}") from None


def write_sweep_summary(out: Path) -> pd.DataFrame:
    """``sweep_summary.csv``: the headline of every finished cell and plan (returned)."""
    summary, _ = load_results(out)
    if summary.empty:
        return summary
    headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
    headline = headline.drop(columns=["metric", "group"]).reset_index(drop=True)
    write_csv(headline, out / SWEEP_SUMMARY)
    return headline


# ---------------------------------------------------------------------------- reading


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
    paths' judged years (:func:`optimize.records.paired_years`).
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
        record = read_json(folder / RUN_RECORD)
        command = record.get("command")
        if command not in KINDS:
            raise InputError(folder / RUN_RECORD, "command", "not a yingji command", command)
        _check_finished(folder, record)
        return command
    return None


def _check_finished(folder: Path, record: dict[str, Any]) -> None:
    """Refuse a run that stopped part-way, or whose files are no longer the ones it wrote."""
    if record.get("finished") is False:
        raise InputError(
            folder / RUN_RECORD,
            "",
            f"holds a run of yingji {record.get('command')} that did not finish (stopped "
            "part-way): run it again into this folder",
        )
    files = record.get("files", {})  # runs recorded before the files were: trusted as they are
    for name, digest in files.items() if isinstance(files, dict) else ():
        path = folder / name
        if not path.is_file() or _sha256(path) != digest:
            what = "missing" if not path.is_file() else "changed"
            raise InputError(
                path,
                "",
                f"{what} since the run recorded in {RUN_RECORD} wrote it (another run stopped "
                "part-way, or an edit): run the command again into this folder",
            )


def _stamp(folder: Path) -> Path:
    return folder / (MANIFEST if (folder / MANIFEST).is_file() else RUN_RECORD)


def recorded_scenario(folder: Path) -> Scenario:
    """The scenario a run in ``folder`` used: its ``scenario.json``, as it was run.

    Folders written before runs recorded their scenario name its file instead
    (relative to the folder, or absolute); that file is read as it is now.
    """
    record_path = _stamp(folder)
    text = read_json(record_path).get("scenario")
    if not isinstance(text, str):
        raise InputError(record_path, "scenario", "missing: cannot tell which scenario")
    path = folder / text
    if text == SCENARIO_RECORD:
        return _scenario_record(path)
    if not path.is_file():
        raise InputError(record_path, "scenario", "scenario file not found", text)
    return load(path)


def _scenario_record(path: Path) -> Scenario:
    """A recorded scenario, validated again (a hand-edited record is refused in one line)."""
    return validate_scenario(read_json(path), path)


def _one_scenario(found: dict[str, Path]) -> Scenario:
    """The scenario every result came from; results of two counties are refused."""
    scenarios = {kind: recorded_scenario(folder) for kind, folder in found.items()}
    ids = {scenario.scenario_id: kind for kind, scenario in scenarios.items()}
    if len(ids) > 1:
        (a, first), (b, second) = list(ids.items())[:2]
        raise InputError(
            _stamp(found[second]),
            "scenario",
            f"results of two counties ({a} in {found[first].name}, {b} here); "
            "report one county at a time",
        )
    return next(iter(scenarios.values()))


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


def _today(folder: Path) -> TodayResults:
    return TodayResults(
        folder,
        read_table(folder / SUMMARY_FILE, SUMMARY_COLUMNS),
        read_table(folder / "events.parquet", EVENT_COLUMNS),
        read_table(folder / "items.parquet", ITEM_COLUMNS),
        read_table(folder / "dispatches.parquet", DISPATCH_COLUMNS),
        read_json(folder / RUN_RECORD),
    )


def _plan(folder: Path, scenario: Scenario) -> PlanResults:
    if not (folder / PLAN_FILE).is_file():
        raise InputError(folder / PLAN_FILE, "", "file missing")
    return PlanResults(
        folder,
        load_plan(folder / PLAN_FILE, scenario),
        read_table(folder / EVALUATION_FILE, EVALUATION_COLUMNS),
        read_table(folder / MARGINAL_FILE, ()),
        read_json(folder / SOLVE_FILE),
        read_json(folder / RUN_RECORD),
        _optional_table(folder / SENSITIVITY_FILE, SENSITIVITY_COLUMNS),
    )


def _years(folder: Path) -> YearsResults:
    years = read_table(folder / "years.csv", YEAR_COLUMNS)
    record = read_json(folder / RUN_RECORD)
    if not record.get("against_budgets_yuan"):
        return YearsResults(folder, years, record)
    second = folder / AGAINST
    against = read_table(second / "years.csv", YEAR_COLUMNS)
    judged = read_table(folder / "judged.parquet", JUDGED_COLUMNS)
    against_judged = read_table(second / "judged.parquet", JUDGED_COLUMNS)
    try:
        differences = paired_years(years, judged, against, against_judged)
    except ValueError as error:
        reason = f"does not pair with the first path's judged.parquet: {error}"
        raise InputError(second / "judged.parquet", "", reason) from None
    return YearsResults(folder, years, record, against, differences)


def _optional_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """A table a run writes only when asked for: ``None`` when it did not.

    A file its run's record does not list is an earlier run's, left in the folder:
    absent for this run.
    """
    files = read_json(path.parent / RUN_RECORD).get("files")
    if isinstance(files, dict) and path.name not in files:
        return None
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
        read_table(folder / COMPARISON_FILE, COMPARISON_COLUMNS),
        read_table(folder / EVALUATION_FILE, EVALUATION_COLUMNS),
        read_json(folder / RUN_RECORD),
    )
