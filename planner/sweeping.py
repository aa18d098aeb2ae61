"""``yingji sweep``: every cell of a grid, on any executor, into a resumable Parquet dataset.

The output folder holds::

    manifest.json           the sweep file, the hash of every input, version, seed, cells
                            (and a province's counties: id, names, file, budget, seed)
    scenario.json           the base scenario as it was run (what the report reads)
    cells/cell-0007.parquet one finished cell: each plan's summary (tidy, as summary.csv)
    years/cell-0007.parquet one finished cell: each plan's headline per simulated year
    failed/cell-0003.json   a cell that failed, with its error (retried on the next run)
    sweep_summary.csv       the headline of every finished cell and plan

A cell counts as finished once its ``cells/`` file exists; that file is written
last and atomically, so a sweep killed at any moment leaves only whole cells,
and running the same command again runs only the missing ones. A folder that
holds another sweep's results (any input changed) is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from planner.cells import CellOutcome, CellTask, run_cell
from planner.errors import CellsFailedError
from planner.executors import Executor, open_executor
from planner.output import terminal
from planner.results import (
    CELLS,
    FAILED,
    MANIFEST_FORMAT,
    SWEEP_SUMMARY,
    YEARS,
    check_sweep_folder,
    finished_cells,
    hold,
    prepare_out_dir,
    remove_partial_files,
    version,
    write_cell,
    write_cell_failure,
    write_manifest,
    write_sweep_summary,
)
from planner.tables import sweep_table
from scenarios.sweep import Cell, Sweep, load_sweep


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """Everything ``yingji sweep`` was asked to do."""

    sweep_path: Path | None = None
    jobs: int = 1
    scheduler: str | None = None
    local_cluster: int | None = None
    out: Path = Path("results/sweep")
    connect_timeout_s: float = 20.0


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What a run of a sweep did."""

    out: Path
    cells: int
    done_before: int
    ran: int
    failed: tuple[int, ...] = field(default=())


def run_sweep(request: SweepRequest, console: Console | None = None) -> SweepReport:
    """Run the cells the folder does not hold yet; write the dataset and the summary."""
    console = console or terminal(stderr=True)
    sweep = load_sweep(request.sweep_path)
    out = prepare_out_dir(request.out)
    manifest = manifest_for(sweep)
    check_sweep_folder(out, manifest)
    with (
        hold(out),
        open_executor(
            request.jobs, request.scheduler, request.local_cluster, request.connect_timeout_s
        ) as executor,
    ):
        write_manifest(out, manifest, sweep.base)
        remove_partial_files(out)
        done = finished_cells(out)
        tasks = [_task(sweep, cell) for cell in sweep.cells if cell.index not in done]
        console.print(
            f"{sweep.name}: {len(sweep.cells)} cells, {len(done)} done before, "
            f"{len(tasks)} to run on {executor.description}",
            markup=False,
            highlight=False,
        )
        failed = _run_tasks(out, executor, tasks, console)
    summary = write_sweep_summary(out)
    terminal().print(sweep_table(summary, sweep))
    report = SweepReport(out, len(sweep.cells), len(done), len(tasks), tuple(sorted(failed)))
    if failed:
        raise CellsFailedError(
            f"{len(failed)} of {len(sweep.cells)} cells failed (errors in {out / FAILED}); "
            "the rest are saved: run the same command again to retry the failed cells"
        )
    console.print(f"wrote {out}/{CELLS}/, {YEARS}/, {SWEEP_SUMMARY}", markup=False)
    return report


def _task(sweep: Sweep, cell: Cell) -> CellTask:
    """A cell's task: its county is shared with the county's other cells, not copied."""
    county, seed = sweep.county(cell), sweep.cell_seed(cell)
    return CellTask(cell, county, sweep.settings, sweep.plans, seed, sweep.path)


def _run_tasks(out: Path, executor: Executor, tasks: list[CellTask], console: Console) -> list[int]:
    """Run the cells, saving each as it finishes; the indices of those that failed."""
    failed = []
    with _cell_progress(console, len(tasks), executor.slots) as advance:
        for task, returned in executor.run(run_cell, tasks):
            outcome = returned
            if isinstance(returned, BaseException):
                outcome = CellOutcome(task.cell.index, None, None, float("nan"), _lost(returned))
            _record(out, outcome, task)
            if outcome.error is not None:
                failed.append(outcome.index)
                console.print(
                    f"cell {outcome.index} ({task.cell.describe()}) failed: {outcome.error}",
                    markup=False,
                    highlight=False,
                )
            advance(outcome.error is not None)
    return failed


def _record(out: Path, outcome: CellOutcome, task: CellTask) -> None:
    """Save a finished cell, or why it failed."""
    if outcome.error is None:
        write_cell(out, outcome.index, outcome.summary, outcome.years)
        return
    failure = {
        "cell": outcome.index,
        "labels": dict(task.cell.labels),
        "error": outcome.error,
        "details": outcome.details,
    }
    write_cell_failure(out, outcome.index, failure)


def _lost(error: BaseException) -> str:
    message = " ".join(str(error).split())
    return f"worker lost: {type(error).__name__}{': ' + message if message else ''}"


def manifest_for(sweep: Sweep) -> dict[str, object]:
    """What identifies a sweep's results: its inputs' hash, the version, the seed, the cells."""
    return {
        "format": MANIFEST_FORMAT,
        "name_zh": sweep.settings.name_zh,
        "name_en": sweep.settings.name_en,
        "sweep_file": str(sweep.path.resolve()),
        "sweep_sha256": hashlib.sha256(sweep.path.read_bytes()).hexdigest(),
        "scenario_source": sweep.base.source_path,
        "inputs_sha256": sweep.inputs_sha256,
        "yingji_version": version(),
        "seed": sweep.seed,
        "reps": sweep.settings.reps,
        "action": sweep.settings.action,
        "axes": [
            {"name": axis.name, "values": list(axis.values), "labels": list(axis.labels)}
            for axis in sweep.axes
        ],
        "cells": [{"cell": cell.index, "labels": dict(cell.labels)} for cell in sweep.cells],
        **({"counties": _counties(sweep)} if sweep.county_paths else {}),
    }


def _counties(sweep: Sweep) -> list[dict[str, object]]:
    """A province's counties: id, names, file, budget and seed, in the sweep's order."""
    return [
        {
            "county": county.scenario_id,
            "name_zh": county.name_zh,
            "name_en": county.name_en,
            "file": str(path.resolve()),
            "procurement_budget_yuan": county.procurement_budget_yuan,
            "seed": county.seed if sweep.settings.seed is None else sweep.settings.seed,
        }
        for county, path in zip(sweep.counties, sweep.county_paths, strict=True)
    ]


@contextmanager
def _cell_progress(console: Console, total: int, slots: int) -> Iterator:
    """A bar of cells with how many are running and failed, and the time left."""
    with Progress(
        TextColumn("[bold]扫描 sweep[/] cells"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("running {task.fields[running]}, failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=total == 0,
    ) as progress:
        task = progress.add_task("cells", total=total, running=min(slots, total), failed=0)
        state = {"done": 0, "failed": 0}

        def advance(failed: bool) -> None:
            state["done"] += 1
            state["failed"] += int(failed)
            running = min(slots, total - state["done"])
            progress.update(task, advance=1, running=running, failed=state["failed"])

        yield advance
