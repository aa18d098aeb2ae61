"""``yingji simulate``: county years as they are (or under a plan), summarised and written."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from planner.output import over_budget_records, terminal
from planner.progress import progress_bar
from planner.results import (
    SIMULATION_FRAMES,
    SUMMARY_FILE,
    run_folder,
    write_run_record,
    write_simulation,
)
from planner.tables import summary_table
from scenarios import load, load_plan
from sim import simulate
from sim.metrics import summarize


def run_simulate(
    scenario_path: Path | None,
    plan_path: Path | None,
    reps: int,
    seed: int | None,
    jobs: int,
    out: Path,
    console: Console | None = None,
) -> Path:
    """Run, print the summary, write the frames; returns the folder."""
    console = console or terminal(stderr=True)
    scenario = load(scenario_path)
    plan = load_plan(plan_path, scenario) if plan_path is not None else None
    over = over_budget_records(console, [plan] if plan is not None else [], scenario)
    with run_folder(out, "simulate"):
        with progress_bar(console, "模拟 simulating", reps, show=reps >= 20) as advance:
            result = simulate(scenario, plan, reps=reps, seed=seed, jobs=jobs, progress=advance)
        summary = summarize(result)
        write_simulation(out, result, summary)
        used_seed = scenario.seed if seed is None else seed
        write_run_record(
            out, "simulate", scenario, plan=plan_path, reps=reps, seed=used_seed, over_budget=over
        )
    terminal().print(summary_table(summary, scenario, reps, used_seed, plan))
    frames = ", ".join(f"{name}.parquet" for name in SIMULATION_FRAMES)
    console.print(
        f"wrote {out}/{frames}, {SUMMARY_FILE}, run.json, scenario.json",
        markup=False,
        highlight=False,
    )
    return out
