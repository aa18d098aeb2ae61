"""``yingji sweep``: serial, process pool and a real Dask LocalCluster give the same dataset;
a sweep killed by a real signal resumes to the same dataset; failures are recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import distributed.config  # noqa: F401 - registers the distributed settings read below
import pandas as pd
import pytest
from rich.console import Console

from planner import charts
from planner.cli import main
from planner.errors import CellsFailedError, RequestError
from planner.executors import LOCAL_WORKER_CONFIG, open_executor
from planner.report_content import build_report
from planner.results import find_results, finished_cells, load_results
from planner.sweeping import SweepRequest, run_sweep
from planner.tables import sweep_table
from scenarios import InputError
from scenarios.sweep import load_sweep
from tests.builders import write_province, write_scenario
from tests.support import run_process

TIMING = ["cell_s", "solve_s"]
SWEEP = """
[sweep]
scenario = "scenario.toml"
reps = {reps}
sampled_years = 6
time_limit_s = 60
{extra}
[grid]
budget_yuan = [0, 60000]
rain_intensity = {{ values = [1.0, 2.0], labels = ["normal", "wet"] }}
"""


def write_sweep(folder: Path, reps: int = 8, extra: str = "", text: str | None = None) -> Path:
    """The tiny county and a four-cell sweep over it, written into ``folder``."""
    if not (folder / "scenario.toml").exists():
        write_scenario(folder)
    path = folder / "sweep.toml"
    path.write_text(text or SWEEP.format(reps=reps, extra=extra), encoding="utf-8")
    return path


def numbers(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dataset without the wall-clock columns, which no two runs share."""
    summary, years = load_results(out)
    return summary.drop(columns=TIMING), years


def assert_same_numbers(out: Path, reference: Path) -> None:
    """Both datasets hold exactly the same numbers (summary and yearly frames)."""
    for ours, theirs in zip(numbers(out), numbers(reference), strict=True):
        pd.testing.assert_frame_equal(ours, theirs)


@pytest.fixture(scope="module")
def sweep_path(tmp_path_factory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep"))


@pytest.fixture(scope="module")
def serial(sweep_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "out"
    run_sweep(SweepRequest(sweep_path, out=out))
    return out


def test_serial_sweep_writes_one_file_per_cell_and_a_manifest(serial, sweep_path):
    assert finished_cells(serial) == set(range(4))
    assert sorted(p.name for p in (serial / "cells").iterdir()) == [
        f"cell-{i:04d}.parquet" for i in range(4)
    ]
    manifest = json.loads((serial / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["reps"] == 8
    assert manifest["sweep_file"] == str(sweep_path.resolve())
    assert len(manifest["inputs_sha256"]) == 64
    assert manifest["yingji_version"]
    assert [c["labels"] for c in manifest["cells"]][1] == {
        "budget_yuan": "0",
        "rain_intensity": "wet",
    }
    summary, years = load_results(serial)
    assert set(summary["plan"]) == {"optimised", "status_quo", "last_year_rule"}
    assert set(summary["rain_intensity_label"]) == {"normal", "wet"}
    # every plan of every cell simulated the same 8 years
    assert years.groupby(["cell", "plan"]).size().eq(8).all()
    headline = pd.read_csv(serial / "sweep_summary.csv")
    assert len(headline) == 4 * 3
    assert not list(serial.rglob("*.part"))


def test_sweep_cells_share_their_years_so_more_budget_is_never_worse(serial):
    """Common random numbers across cells: at zero budget every plan is the status quo."""
    _, years = load_results(serial)
    table = years.pivot_table(
        index=["rain_intensity", "replication"],
        columns=["budget_yuan", "plan"],
        values="weighted_unmet",
    )
    for plan in ("optimised", "last_year_rule"):
        assert table[(0.0, plan)].equals(table[(0.0, "status_quo")])
    # the status quo does not depend on the budget: the same years in every budget cell
    assert table[(0.0, "status_quo")].equals(table[(60000.0, "status_quo")])
    mean = table.groupby(level=0).mean()
    for intensity in mean.index:
        assert (
            mean.loc[intensity, (60000.0, "optimised")] <= mean.loc[intensity, (0.0, "optimised")]
        )


def test_process_pool_gives_the_serial_numbers(sweep_path, serial, tmp_path):
    out = tmp_path / "pool"
    report = run_sweep(SweepRequest(sweep_path, jobs=2, out=out))
    assert report.ran == 4
    assert_same_numbers(out, serial)


def test_dask_local_cluster_gives_the_serial_numbers(sweep_path, serial, tmp_path):
    """A real LocalCluster: two worker processes talking over loopback TCP."""
    out = tmp_path / "dask"
    report = run_sweep(SweepRequest(sweep_path, local_cluster=2, out=out))
    assert report.ran == 4
    assert_same_numbers(out, serial)


@pytest.fixture
def environ_kept():
    """Dask's nannies write their workers' settings into this process's environment."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_local_cluster_workers_run_with_the_quiet_settings_and_no_malloc_trim(monkeypatch):
    """Dask's MALLOC_TRIM_THRESHOLD_, profiler and 20 ms ticks slow a cell; none is used."""
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    before = dict(os.environ)
    tick = dask.config.get("distributed.admin.tick.interval")
    in_config = {k: v for k, v in LOCAL_WORKER_CONFIG.items() if "environ" not in k}
    with open_executor(local_cluster=1) as executor:
        settings = dict(executor.run(os.getenv, ["MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS"]))
        config = dict(executor.run(dask.config.get, list(in_config)))
    assert settings == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}
    assert config == in_config
    assert dask.config.get("distributed.admin.tick.interval") == tick  # only the cluster's
    assert dict(os.environ) == before


def test_the_readme_gives_a_cluster_of_your_own_the_local_cluster_settings(tmp_path):
    """The README's YAML, read by Dask as a config file, sets what --local-cluster sets."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "yingji.yaml").write_text(block, encoding="utf-8")
    config = dask.config.collect(paths=[str(tmp_path)], env={})
    for key, value in LOCAL_WORKER_CONFIG.items():
        assert dask.config.get(key, default="missing", config=config) == value, key


def test_pool_workers_get_one_thread_and_this_process_keeps_its_environment(monkeypatch):
    # A machine-wide setting must neither reach the workers nor be lost afterwards.
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    before = dict(os.environ)
    with open_executor(jobs=2) as executor:
        settings = dict(executor.run(os.getenv, ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"]))
    assert settings == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    assert dict(os.environ) == before


@pytest.mark.usefixtures("environ_kept")
def test_an_existing_dask_scheduler_runs_the_cells(sweep_path, serial, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        out = tmp_path / "remote"
        run_sweep(SweepRequest(sweep_path, scheduler=cluster.scheduler_address, out=out))
    assert_same_numbers(out, serial)


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(sweep_path, tmp_path):
    out = tmp_path / "nowhere"
    request = SweepRequest(
        sweep_path, scheduler="tcp://127.0.0.1:9", out=out, connect_timeout_s=1.0
    )
    with pytest.raises(
        RequestError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run_sweep(request)
    assert not (out / "manifest.json").exists()


def test_running_again_runs_nothing_and_changes_no_file(sweep_path, serial):
    before = {p: p.stat().st_mtime_ns for p in serial.rglob("*.parquet")}
    report = run_sweep(SweepRequest(sweep_path, out=serial))
    assert (report.done_before, report.ran) == (4, 0)
    assert {p: p.stat().st_mtime_ns for p in serial.rglob("*.parquet")} == before


def test_missing_cells_are_run_and_partial_files_removed(sweep_path, serial, tmp_path):
    out = tmp_path / "partial"
    out.mkdir()
    for name in ("manifest.json",):
        (out / name).write_bytes((serial / name).read_bytes())
    for folder in ("cells", "years"):
        (out / folder).mkdir()
        for index in (0, 3):
            name = f"cell-{index:04d}.parquet"
            (out / folder / name).write_bytes((serial / folder / name).read_bytes())
    # a cell whose years were written but not its cell file is not finished
    (out / "years" / "cell-0002.parquet").write_bytes(
        (serial / "years" / "cell-0002.parquet").read_bytes()
    )
    (out / "cells" / ".cell-0003.parquet.abc.part").write_bytes(b"half a file")
    report = run_sweep(SweepRequest(sweep_path, out=out))
    assert (report.done_before, report.ran) == (2, 2)
    assert not list(out.rglob("*.part"))
    assert_same_numbers(out, serial)


def test_a_changed_sweep_file_is_refused_not_mixed_in(serial, tmp_path):
    folder = tmp_path / "changed"
    folder.mkdir()
    changed = write_sweep(folder, reps=9)
    expected = f"{serial / 'manifest.json'}: inputs_sha256: this folder holds the results"
    with pytest.raises(InputError, match="different sweep"):
        run_sweep(SweepRequest(changed, out=serial))
    try:
        run_sweep(SweepRequest(changed, out=serial))
    except InputError as error:
        assert str(error).startswith(expected)
        assert "\n" not in str(error)


def test_a_changed_scenario_table_is_refused_too(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    path = write_sweep(folder, reps=5)
    out = tmp_path / "out"
    text = path.read_text(encoding="utf-8").replace("[0, 60000]", "[0]")
    path.write_text(text.replace('[1.0, 2.0], labels = ["normal", "wet"]', "[1.0]"), "utf-8")
    run_sweep(SweepRequest(path, out=out))
    stock = folder / "stock.csv"
    stock.write_text(stock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="inputs_sha256"):
        run_sweep(SweepRequest(path, out=out))


def test_cell_results_without_a_manifest_are_refused(sweep_path, tmp_path):
    out = tmp_path / "orphan"
    (out / "cells").mkdir(parents=True)
    with pytest.raises(InputError, match=r"no manifest\.json"):
        run_sweep(SweepRequest(sweep_path, out=out))


def test_a_failing_cell_is_recorded_and_the_others_finish(tmp_path):
    """A staffing budget below minimum staffing makes cell 0 infeasible; cell 1 is fine."""
    folder = tmp_path / "f"
    folder.mkdir()
    text = SWEEP.format(reps=4, extra="").split("[grid]")[0] + (
        "[grid]\nstaff_budget_yuan = [0, 100_000_000]\n"
    )
    path = write_sweep(folder, text=text)
    out = tmp_path / "out"
    with pytest.raises(CellsFailedError, match="1 of 2 cells failed"):
        run_sweep(SweepRequest(path, out=out))
    assert finished_cells(out) == {1}
    failure = json.loads((out / "failed" / "cell-0000.json").read_text(encoding="utf-8"))
    assert failure["labels"] == {"staff_budget_yuan": "0"}
    assert "staffing" in failure["error"]
    assert "Traceback" in failure["details"]
    # the CLI says it in one line, exits 1, and a rerun retries only the failed cell
    done = run_process("sweep", path, "--out", out)
    assert done.returncode == 1, done.stderr
    assert "1 done before, 1 to run" in done.stderr
    assert "error: 1 of 2 cells failed" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_evaluate_sweep_judges_plan_files_in_every_cell(tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    write_scenario(folder)
    (folder / "ours.csv").write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,sandbag,D_COUNTY,,500\n",
        encoding="utf-8",
    )
    text = (
        '[sweep]\nscenario = "scenario.toml"\naction = "evaluate"\nplans = ["ours.csv"]\n'
        'baselines = ["status_quo"]\nreps = 10\n[grid]\nhazard_intensity = [0.5, 1.0]\n'
    )
    path = write_sweep(folder, text=text)
    run_sweep(SweepRequest(path, out=tmp_path / "out"))
    summary, _ = load_results(tmp_path / "out")
    assert set(summary["plan"]) == {"status_quo", "ours"}
    assert (summary["solver_solution"] == "").all()
    costs = summary.groupby("plan")["purchase_cost_yuan"].first()
    assert costs["status_quo"] == 0
    assert costs["ours"] > 0


def _cell_files(out: Path) -> int:
    return len(list((out / "cells").glob("cell-*.parquet"))) if (out / "cells").exists() else 0


def _start(*args: str | Path) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "planner.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def _wait_for_cells(process: subprocess.Popen, out: Path, count: int, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while _cell_files(out) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no cell finished in time"
        time.sleep(0.02)


def test_a_sweep_killed_mid_way_resumes_to_the_same_dataset(tmp_path, serial):
    """SIGKILL, which no code can catch, after the first cell: rerun finishes the rest."""
    folder = tmp_path / "k"
    folder.mkdir()
    path = write_sweep(folder)
    out = tmp_path / "out"
    process = _start("sweep", path, "--out", out)
    _wait_for_cells(process, out, 1)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed_with = finished_cells(out)
    assert 1 <= len(killed_with) < 4, killed_with
    done = run_process("sweep", path, "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"{len(killed_with)} done before, {4 - len(killed_with)} to run" in done.stderr
    summary, years = numbers(out)
    assert not summary.duplicated(["cell", "plan", "metric", "group"]).any()
    assert sorted(summary["cell"].unique()) == list(range(4))
    for ours, theirs in zip((summary, years), numbers(serial), strict=True):
        pd.testing.assert_frame_equal(ours, theirs)


def test_sigterm_stops_a_pool_sweep_cleanly(tmp_path):
    """SIGTERM to the parent: exit 130, one line, worker processes gone, whole files only."""
    folder = tmp_path / "t"
    folder.mkdir()
    path = write_sweep(folder, reps=30)
    out = tmp_path / "out"
    process = _start("sweep", path, "--jobs", "2", "--out", out)
    _wait_for_cells(process, out, 1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "run the same command again to finish the sweep" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while True:  # the workers are in the parent's session; wait for the last to go
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "worker processes outlived the sweep"
        time.sleep(0.1)
    assert not list(out.rglob("*.part"))
    for name in (out / "cells").glob("cell-*.parquet"):
        pd.read_parquet(name)


def test_default_county_sweep_smoke(tmp_path):
    """One cell of the default county through the CLI, the bundled file's settings cut down."""
    text = (
        '[sweep]\nscenario = "default"\nreps = 10\nsampled_years = 5\n'
        "[grid]\nbudget_yuan = [2_800_000]\n"
    )
    path = tmp_path / "one.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 0
    summary, _ = load_results(tmp_path / "out")
    optimised = summary[summary["plan"] == "optimised"]
    assert optimised["purchase_cost_yuan"].iloc[0] <= 2_800_000
    assert optimised["solver_solution"].iloc[0]


def test_sweep_table_says_which_cells_are_proved_optimal(serial, sweep_path):
    """The table on the terminal marks each cell's solve, and NOT proved where it was not."""
    summary, _ = load_results(serial)
    sweep = load_sweep(sweep_path)
    console = Console(width=250, record=True)
    console.print(sweep_table(summary, sweep))
    text = console.export_text()
    assert "求解 solve (sampled model)" in text
    assert text.count("proved, gap") == 4  # four cells, each proved for its sampled model
    summary.loc[summary["cell"] == 2, "proved_optimal"] = False
    console = Console(width=250, record=True)
    console.print(sweep_table(summary, sweep))
    text = console.export_text()
    assert text.count("proved, gap") == 3 and "NOT proved" in text


# ---------------------------------------------------------------- a province: many counties

PROVINCE = """
[sweep]
name_zh = "小省"
name_en = "Tiny province"
counties = ["counties/*/scenario.toml"]
reps = 6
sampled_years = 5
time_limit_s = 60

[grid]
budget_factor = [1.0, 1.5]
"""


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> tuple[Path, Path]:
    """Three tiny counties at their own budget and half as much again: (sweep file, results)."""
    folder = tmp_path_factory.mktemp("province")
    write_province(folder, 3)
    path = folder / "sweep.toml"
    path.write_text(PROVINCE, encoding="utf-8")
    out = folder / "out"
    run_sweep(SweepRequest(path, out=out), Console(stderr=True, quiet=True))
    return path, out


def test_province_sweep_writes_the_county_and_its_budget_in_every_row(province):
    path, out = province
    headline = pd.read_csv(out / "sweep_summary.csv")
    assert list(headline.columns[:5]) == [
        "cell", "county", "county_label", "budget_factor", "plan",
    ]  # fmt: skip
    cells = headline.groupby("cell").first()
    assert list(cells["county"]) == ["tiny_1", "tiny_1", "tiny_2", "tiny_2", "tiny_3", "tiny_3"]
    assert list(cells["county_label"])[:2] == ["小县1 Tiny county 1"] * 2
    assert list(cells["procurement_budget_yuan"]) == [60000, 90000, 80000, 120000, 100000, 150000]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [c["county"] for c in manifest["counties"]] == ["tiny_1", "tiny_2", "tiny_3"]
    assert [c["seed"] for c in manifest["counties"]] == [7, 8, 9]
    assert manifest["counties"][1]["file"] == str(
        (path.parent / "counties/02/scenario.toml").resolve()
    )
    assert manifest["name_en"] == "Tiny province"


def test_province_cells_run_on_their_own_countys_seed(province):
    """A county's status quo is the same in both its cells and differs from the other counties'."""
    _, out = province
    _, years = load_results(out)
    today = years[years["plan"] == "status_quo"].pivot_table(
        index="replication", columns=["county", "budget_factor"], values="weighted_unmet"
    )
    for county in ("tiny_1", "tiny_2", "tiny_3"):
        assert today[(county, 1.0)].equals(today[(county, 1.5)])
    assert not today[("tiny_1", 1.0)].equals(today[("tiny_2", 1.0)])


def test_province_frames_add_the_counties_in_each_simulated_year(province):
    _, out = province
    summary, years = load_results(out)
    totals, province_years, left_out = charts.province_frames(summary, years)
    assert left_out == 0
    assert sorted(totals["budget_yuan"].unique()) == [240000.0, 360000.0]
    optimised = years[(years["plan"] == "optimised") & (years["budget_factor"] == 1.5)]
    by_year = optimised.groupby("replication")["weighted_unmet"].sum()
    ours = province_years[
        (province_years["plan"] == "optimised") & (province_years["budget_yuan"] == 360000.0)
    ].set_index("replication")["weighted_unmet"]
    pd.testing.assert_series_equal(ours, by_year, check_names=False)
    row = totals[(totals["plan"] == "optimised") & (totals["budget_yuan"] == 360000.0)].iloc[0]
    assert row["mean"] == pytest.approx(by_year.mean())
    assert row["n"] == 6


def test_province_frames_leave_out_a_budget_some_county_has_not_finished(province):
    _, out = province
    summary, years = load_results(out)
    summary, years = (frame[frame["cell"] != 3] for frame in (summary, years))
    totals, _, left_out = charts.province_frames(summary, years)
    assert left_out == 2  # the other two counties' cells at factor 1.5
    assert list(totals["budget_yuan"].unique()) == [240000.0]


def test_province_sweep_table_on_the_terminal_has_a_county_column(province):
    path, out = province
    console = Console(width=250, record=True)
    console.print(sweep_table(pd.read_csv(out / "sweep_summary.csv"), load_sweep(path)))
    text = console.export_text()
    assert "县 county" in text and "预算倍数" in text
    assert text.count("小县2 Tiny county 2") == 2


@pytest.mark.parametrize(
    ("lang", "county", "title", "finding"),
    [
        ("zh", "小县2", "小省", "全省 3 个县：各县预算合计从 24万元 增加到 36万元"),
        ("en", "Tiny county 2", "Tiny province", "The province's 3 counties: going from 240k yuan"),
    ],
)
def test_province_report_has_one_table_of_every_county_and_one_province_curve(
    province, lang, county, title, finding
):
    _, out = province
    report = build_report(find_results(out), lang)
    assert report.title.startswith(title)
    section = next(s for s in report.sections if s.key == "sweep")
    assert len(section.figures) == 1 and len(section.tables) == 1
    table = section.tables[0].frame
    assert len(table) == 6  # a row per county and budget, the plans side by side
    assert list(table.iloc[:, 0]).count(county) == 2
    assert table.iloc[3, 1] == "120,000"
    findings = next(s for s in report.sections if s.key == "findings").bullets
    assert any(finding in bullet for bullet in findings), findings


def test_a_bad_county_stops_the_province_sweep_in_one_line_before_any_cell(tmp_path):
    write_province(tmp_path, 3)
    stock = tmp_path / "counties" / "03" / "stock.csv"
    stock.write_text(stock.read_text(encoding="utf-8").replace(",2000", ",-5", 1), "utf-8")
    path = tmp_path / "sweep.toml"
    path.write_text(PROVINCE, encoding="utf-8")
    out = tmp_path / "out"
    done = run_process("sweep", path, "--out", out)
    assert done.returncode != 0
    assert done.stderr.startswith(f"error: {stock}: row 3, field quantity:"), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not out.exists()  # nothing written, not even the folder
