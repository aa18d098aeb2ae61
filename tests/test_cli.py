"""``yingji simulate`` end to end: real processes, output files, plans and bad input."""

from __future__ import annotations

import copy
import csv
import errno
import json
import os
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from rich.console import Console

from planner import cli
from planner.report_content import unit_name
from planner.results import finished_cells
from planner.tables import summary_table
from scenarios import load
from scenarios.files import WriteError, write_atomic
from scenarios.plan import PLAN_CSV_COLUMNS, Plan, Purchase, Staffing
from scenarios.schema import Capability, Scenario
from tests import builders, support
from tests.support import run_process

OUTPUT_FILES = (
    "events.parquet",
    "items.parquet",
    "dispatches.parquet",
    "stock.parquet",
    "calls.parquet",
    "summary.csv",
    "run.json",
    "scenario.json",
)
EVENT_COLUMNS = ("replication", "event_id", "hazard", "township_id", "response_h")
EVENT_COLUMNS += ("handled_level",)
ITEM_COLUMNS = ("replication", "event_id", "item_id", "category", "demand", "served_in_time")
ITEM_COLUMNS += ("served_late", "unmet", "shortfall_yuan")
SUMMARY_COLUMNS = ("metric", "group", "unit", "mean", "ci_low", "ci_high", "n")
HEADLINE_ZH = "加权未满足需求"
BUY = Plan(
    "buy",
    purchases=(Purchase("water", "V_C", 500), Purchase("boat", "D_COUNTY", 2)),
)
PLAN_SEED = "5"  # seed 5 with 20 years has unmet water and boats to improve on
PLAN_REPS = "20"


# --- helpers -------------------------------------------------------------------------------


def run_main(*args: str | Path) -> int:
    """Call ``planner.cli.main`` in this process; argparse's exits become return codes."""
    try:
        return cli.main([str(a) for a in args])
    except SystemExit as stop:
        return int(stop.code or 0)


def written_files(folder: Path) -> list[str]:
    """Result or temporary files in ``folder`` (none if it does not exist)."""
    if not folder.is_dir():
        return []
    suffixes = (".parquet", ".csv", ".json", ".part")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(suffixes))


def write_plan_csv(plan: Plan, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLAN_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(plan.to_csv_rows())
    return path


def unmet_by_year(items: pd.DataFrame, item_id: str, reps: int) -> pd.Series:
    rows = items[items["item_id"] == item_id]
    return rows.groupby("replication")["unmet"].sum().reindex(range(reps), fill_value=0.0)


def assert_one_line_error(stderr: str, *fragments: str) -> str:
    """stderr is one ``error: ...`` line holding every fragment; returns that line."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


# --- 1, 6: smoke run of the tiny county through the console script --------------------------


@pytest.fixture(scope="module")
def tiny_run(tiny_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke") / "results"
    done = run_process("simulate", tiny_path, "--reps", "30", "--out", out, script=True)
    return done, out


def test_smoke_exit_code_and_files(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name


def test_smoke_frames_read_back_with_key_columns(tiny_run):
    _, out = tiny_run
    events = pd.read_parquet(out / "events.parquet")
    items = pd.read_parquet(out / "items.parquet")
    dispatches = pd.read_parquet(out / "dispatches.parquet")
    stock = pd.read_parquet(out / "stock.parquet")
    assert set(EVENT_COLUMNS) <= set(events.columns)
    assert set(ITEM_COLUMNS) <= set(items.columns)
    assert {"replication", "event_id", "team_id"} <= set(dispatches.columns)
    assert "replication" in stock.columns
    assert len(events) > 0
    assert len(items) > 0
    for frame in (events, items, dispatches, stock):
        assert frame["replication"].between(0, 29).all()
    assert set(items["item_id"].astype(str)) <= {"sandbag", "boat", "water", "blower"}
    assert set(events["township_id"].astype(str)) <= {"A", "B", "C"}
    assert not events.duplicated(["replication", "event_id"]).any()
    # every item row belongs to an event of the same year
    keys = set(zip(events["replication"], events["event_id"], strict=True))
    assert set(zip(items["replication"], items["event_id"], strict=True)) <= keys


def test_smoke_summary_headline_first(tiny_run):
    _, out = tiny_run
    summary = pd.read_csv(out / "summary.csv")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    first = summary.iloc[0]
    assert first["metric"] == "weighted_unmet"
    assert first["group"] == "all"
    assert first["ci_low"] <= first["mean"] <= first["ci_high"]
    assert first["n"] == 30


def test_smoke_stdout_table_and_stderr_progress(tiny_run):
    done, _ = tiny_run
    assert HEADLINE_ZH in done.stdout
    assert "30 年 years, seed 7" in done.stdout  # the tiny scenario's own seed
    assert "现状 status quo" in done.stdout
    assert "summary.csv" in done.stderr
    assert "wrote" not in done.stdout


def test_atomic_output_leaves_no_temporary_files(tiny_run):
    _, out = tiny_run
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_write_atomic_failure_keeps_old_file_and_cleans_up(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old\n", encoding="utf-8")

    def broken(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_output_files_follow_the_umask(tiny_run):
    _, out = tiny_run
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    for name in OUTPUT_FILES:
        assert stat.S_IMODE((out / name).stat().st_mode) == expected, name


# --- 2: the bundled default county --------------------------------------------------------


def test_default_county_without_scenario_argument(tmp_path):
    out = tmp_path / "default"
    done = run_process("simulate", "--reps", "3", "--out", out, script=True)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert written_files(out) == sorted(OUTPUT_FILES)
    assert HEADLINE_ZH in done.stdout
    assert "3 年 years" in done.stdout
    summary = pd.read_csv(out / "summary.csv")
    assert (summary.iloc[0]["metric"], summary.iloc[0]["group"]) == ("weighted_unmet", "all")
    assert summary.iloc[0]["n"] == 3
    events = pd.read_parquet(out / "events.parquet")
    assert set(events["replication"]) <= {0, 1, 2}


# --- 3: reproducibility ----------------------------------------------------------------------


def test_same_seed_gives_identical_summary_bytes(tiny_path, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_main("simulate", tiny_path, "--reps", "10", "--seed", "11", "--out", first) == 0
    assert run_main("simulate", tiny_path, "--reps", "10", "--seed", "11", "--out", second) == 0
    assert (first / "summary.csv").read_bytes() == (second / "summary.csv").read_bytes()
    assert_frame_equal(
        pd.read_parquet(first / "items.parquet"), pd.read_parquet(second / "items.parquet")
    )


def test_in_process_run_matches_the_console_script(tiny_run, tiny_path, tmp_path):
    _, script_out = tiny_run
    out = tmp_path / "inproc"
    assert run_main("simulate", tiny_path, "--reps", "30", "--seed", "7", "--out", out) == 0
    assert (out / "summary.csv").read_bytes() == (script_out / "summary.csv").read_bytes()


def test_two_jobs_give_the_same_events_as_one(tiny_run, tiny_path, tmp_path):
    _, serial_out = tiny_run
    out = tmp_path / "jobs2"
    done = run_process("simulate", tiny_path, "--reps", "30", "--jobs", "2", "--out", out)
    assert done.returncode == 0, done.stderr
    for name in ("events.parquet", "items.parquet", "dispatches.parquet", "stock.parquet",
                 "calls.parquet"):  # fmt: skip
        assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(serial_out / name))
    assert (out / "summary.csv").read_bytes() == (serial_out / "summary.csv").read_bytes()


def test_different_seed_gives_a_different_summary(tiny_run, tiny_path, tmp_path):
    _, seed7_out = tiny_run
    out = tmp_path / "seed8"
    assert run_main("simulate", tiny_path, "--reps", "30", "--seed", "8", "--out", out) == 0
    assert (out / "summary.csv").read_bytes() != (seed7_out / "summary.csv").read_bytes()
    first = pd.read_csv(out / "summary.csv").iloc[0]
    other = pd.read_csv(seed7_out / "summary.csv").iloc[0]
    assert first["mean"] != other["mean"]


# --- 4: plans --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_items(tiny_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline")
    args = ("--reps", PLAN_REPS, "--seed", PLAN_SEED, "--out", out)
    assert run_main("simulate", tiny_path, *args) == 0
    return pd.read_parquet(out / "items.parquet")


@pytest.fixture(scope="module")
def plan_items(tiny_path, tmp_path_factory):
    """Items frames of the same purchase plan given as CSV and as JSON."""
    folder = tmp_path_factory.mktemp("plans")
    csv_path = write_plan_csv(BUY, folder / "buy.csv")
    json_path = folder / "buy.json"
    json_path.write_text(BUY.to_json(), encoding="utf-8")
    frames = {}
    for form, path in (("csv", csv_path), ("json", json_path)):
        out = folder / f"out_{form}"
        args = ("--plan", path, "--reps", PLAN_REPS, "--seed", PLAN_SEED, "--out", out)
        assert run_main("simulate", tiny_path, *args) == 0
        frames[form] = pd.read_parquet(out / "items.parquet")
    return frames


@pytest.mark.parametrize("form", ["csv", "json"])
@pytest.mark.parametrize("item_id", ["water", "boat"])
def test_buying_never_increases_unmet_demand(baseline_items, plan_items, form, item_id):
    reps = int(PLAN_REPS)
    before = unmet_by_year(baseline_items, item_id, reps)
    after = unmet_by_year(plan_items[form], item_id, reps)
    worse = after[after > before + 1e-9]
    assert worse.empty, f"unmet {item_id} rose in years {list(worse.index)}"
    assert after.sum() < before.sum()  # the purchase is actually applied


def test_csv_and_json_plans_give_the_same_run(plan_items):
    assert_frame_equal(plan_items["csv"], plan_items["json"])


def test_plan_keeps_the_events_of_each_year(baseline_items, plan_items):
    keys = ["replication", "event_id", "item_id"]
    before = baseline_items[[*keys, "demand"]].reset_index(drop=True)
    after = plan_items["csv"][[*keys, "demand"]].reset_index(drop=True)
    assert_frame_equal(before, after)


@pytest.mark.parametrize("form", ["csv", "json"])
def test_staffing_plan_loads_and_runs(tiny_path, tmp_path, capsys, form):
    plan = Plan(
        "more_staff",
        purchases=(Purchase("sandbag", "D_B", 100),),
        staffing=(Staffing("town_C", 80), Staffing("social_1", 1)),
    )
    path = tmp_path / f"more_staff.{form}"
    if form == "csv":
        write_plan_csv(plan, path)
    else:
        path.write_text(plan.to_json(), encoding="utf-8")
    out = tmp_path / "out"
    assert run_main("simulate", tiny_path, "--plan", path, "--reps", "5", "--out", out) == 0
    assert written_files(out) == sorted(OUTPUT_FILES)
    assert "plan: more_staff" in capsys.readouterr().out
    dispatches = pd.read_parquet(out / "dispatches.parquet")
    largest = dispatches.groupby("team_id", observed=True)["members"].max()
    assert largest["town_C"] == 80  # was 50: the staffing plan was applied
    assert largest["social_1"] == 1  # was 20


# --- 5: bad input ----------------------------------------------------------------------------


def _missing_scenario(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    path = folder / "no_such_scenario.toml"
    return [path], (str(path), "file not found")


def _invalid_toml(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    path = folder / "broken.toml"
    path.write_text('[scenario\nscenario_id = "x"\n', encoding="utf-8")
    return [path], ("broken.toml", "not valid TOML")


def _negative_price(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    items = copy.deepcopy(builders.ITEMS)
    items[1]["unit_price_yuan"] = -30000  # boat, CSV row 3
    path = builders.write_scenario(folder / "negative", tables={"items": items})
    return [path], ("items.csv", "row 3, field unit_price_yuan", "-30000")


def _unknown_item(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    plan = folder / "unknown_item.csv"
    plan.write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,unicorn,D_A,,3\n", encoding="utf-8"
    )
    return [tiny_path, "--plan", plan], ("unknown_item.csv", "row 2, field item_id", "unicorn")


def _fractional_quantity(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    plan = folder / "fraction.json"
    plan.write_text(
        '{"purchases": [{"item_id": "water", "depot_id": "V_C", "quantity": 2.5}]}',
        encoding="utf-8",
    )
    fragments = ("fraction.json", "purchases[0], field quantity", "whole number", "2.5")
    return [tiny_path, "--plan", plan], fragments


def _fractional_staffing(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    plan = folder / "fraction_staff.csv"
    plan.write_text(
        "part,item_id,depot_id,team_id,quantity\nstaffing,,,town_A,10.5\n", encoding="utf-8"
    )
    fragments = ("fraction_staff.csv", "row 2, field quantity", "whole number", "10.5")
    return [tiny_path, "--plan", plan], fragments


def _missing_plan(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    plan = folder / "no_such_plan.csv"
    return [tiny_path, "--plan", plan], (str(plan), "file not found")


def _out_is_a_file(folder: Path, tiny_path: Path) -> tuple[list, tuple[str, ...]]:
    return [tiny_path], ("--out", "exists and is not a folder")


BAD_INPUTS = {
    "missing-scenario": _missing_scenario,
    "invalid-toml": _invalid_toml,
    "negative-price": _negative_price,
    "plan-unknown-item": _unknown_item,
    "plan-fractional-quantity": _fractional_quantity,
    "plan-fractional-members": _fractional_staffing,
    "plan-missing": _missing_plan,
    "out-is-a-file": _out_is_a_file,
}
SUBPROCESS_BAD_INPUTS = ("missing-scenario", "plan-unknown-item", "out-is-a-file")


def _bad_case(name: str, tmp_path: Path, tiny_path: Path) -> tuple[list, tuple[str, ...], Path]:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    args, fragments = BAD_INPUTS[name](inputs, tiny_path)
    if name == "out-is-a-file":
        out = tmp_path / "taken" / "results"
        out.parent.mkdir()
        out.write_text("not a folder\n", encoding="utf-8")
        fragments = (str(out), *fragments)
    else:
        out = tmp_path / "out"
    return ["simulate", *args, "--reps", "5", "--out", out], fragments, out


def _assert_nothing_written(name: str, out: Path) -> None:
    if name == "out-is-a-file":
        assert out.read_text(encoding="utf-8") == "not a folder\n"
        assert sorted(p.name for p in out.parent.iterdir()) == ["results"]
    else:
        assert written_files(out) == []


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_in_process(name, tiny_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    args, fragments, out = _bad_case(name, tmp_path, tiny_path)
    assert run_main(*args) == cli.EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *fragments)
    _assert_nothing_written(name, out)


@pytest.mark.parametrize("name", SUBPROCESS_BAD_INPUTS)
def test_bad_input_in_a_real_process(name, tiny_path, tmp_path):
    args, fragments, out = _bad_case(name, tmp_path, tiny_path)
    done = run_process(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_line_error(done.stderr, *fragments)
    _assert_nothing_written(name, out)


def test_error_line_format(tiny_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    args, _, _ = _bad_case("plan-unknown-item", tmp_path, tiny_path)
    assert run_main(*args) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    plan = tmp_path / "inputs" / "unknown_item.csv"
    assert line == f"error: {plan}: row 2, field item_id: unknown item (got 'unicorn')"


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--reps", "0", "must be at least 1"),
        ("--reps", "ten", "not a whole number"),
        ("--jobs", "0", "must be at least 1"),
        ("--seed", "-1", "must be at least 0"),
    ],
)
def test_argparse_errors_exit_2(option, value, problem, tiny_path, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_main("simulate", tiny_path, option, value, "--out", out) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    # argparse prints its usage line, then one error line
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("yingji simulate: error: ")
    assert f"argument {option}: {problem}" in last
    assert not out.exists()


def test_reps_zero_in_a_real_process(tiny_path, tmp_path):
    out = tmp_path / "out"
    done = run_process("simulate", tiny_path, "--reps", "0", "--out", out)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith("must be at least 1: '0'")
    assert not out.exists()


def test_error_text_is_not_read_as_markup(tiny_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    plan = tmp_path / "odd.csv"
    plan.write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,[/x] [red]y,D_A,,3\n", encoding="utf-8"
    )
    code = run_main("simulate", tiny_path, "--plan", plan, "--out", tmp_path / "out")
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, "unknown item", "'[/x] [red]y'")


def test_run_record_names_the_scenario_and_settings(tiny_run, tiny_path):
    """run.json names the settings; scenario.json is the scenario as run, for the report."""
    _, out = tiny_run
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["command"] == "simulate"
    assert record["scenario"] == "scenario.json"
    assert record["scenario_source"] == str(tiny_path.resolve())
    recorded = Scenario.model_validate_json((out / "scenario.json").read_text(encoding="utf-8"))
    assert recorded == load(tiny_path)
    assert record["seed"] == 7
    assert record["plan"] is None
    assert record["yingji_version"]


def test_an_error_shows_the_value_as_written_not_as_an_emoji(tmp_path):
    """A value like ':x:' in a refused cell is printed as typed (rich would draw an emoji)."""
    items = copy.deepcopy(builders.ITEMS)
    items[0]["unit_price_yuan"] = ":x: [bold]"
    path = builders.write_scenario(tmp_path, tables={"items": items})
    done = run_process("simulate", path, "--reps", "2", "--out", tmp_path / "out")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert ":x: [bold]" in lines[0] and "\u274c" not in lines[0]
    assert "unit_price_yuan" in lines[0] and "items.csv" in lines[0]


@pytest.mark.parametrize(
    ("command", "option", "value", "words"),
    [
        ("simulate", "--reps", "1000000000", "at most 100,000 simulated years"),
        ("optimize", "--scenarios", "1000000", "at most 5,000 sampled years"),
        ("compare", "--jobs", "100000", "at most 256 processes"),
    ],
)
def test_absurd_run_sizes_are_refused_before_anything_runs(
    tiny_path, tmp_path, command, option, value, words
):
    """A billion years would fill the memory first: refused up front, exit 2, no traceback."""
    out = tmp_path / "out"
    args = [command, tiny_path, option, value, "--out", out]
    if command == "compare":
        args[2:2] = ["status_quo", "status_quo"]
    done = run_process(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert words in done.stderr and f"'{value}'" in done.stderr
    assert not out.exists()


def test_summary_table_shows_counted_figures_whole_and_small_ones_to_two_places(tiny_scenario):
    """463.25 person-hours reads 463; 0.56 people keeps its decimals; a rate keeps two."""
    summary = pd.DataFrame(
        [
            ("kit_saved_h", "all", "person-hours / year", 463.25, 391.1, 535.4, 200),
            ("trapped_lost", "all", "people / year", 0.56, 0.06, 1.07, 200),
            ("events", "all", "events / year", 10.79, 9.74, 11.84, 200),
        ],
        columns=["metric", "group", "unit", "mean", "ci_low", "ci_high", "n"],
    )
    kit = (Capability(item_id="boat", hazard="flood", saves_person_hours=40, max_share=0.3),)
    kitted = tiny_scenario.model_copy(update={"capabilities": kit})
    console = Console(width=200, record=True)
    console.print(summary_table(summary, kitted, 200, 1, None))
    text = console.export_text()
    assert "463 " in text and "463.25" not in text and "391 – 535" in text
    assert "0.56" in text and "10.79" in text
    console = Console(width=200, record=True)
    console.print(summary_table(summary, tiny_scenario, 200, 1, None))
    assert "rescue work saved by kit" not in console.export_text()  # it states no kit effects
    assert unit_name("person-hours / year", "zh") == "人·小时/年"  # the report's Chinese unit


@pytest.mark.parametrize(
    "command", ["simulate", "optimize", "sweep", "compare", "plan-years", "report"]
)
def test_help_shows_percentages_as_people_read_them(command, monkeypatch):
    """argparse formats help but not descriptions: no '95%%' reaches the screen."""
    code, out, _ = support.run_main(command, "--help", monkeypatch=monkeypatch)
    assert code == 0 and "usage:" in out
    assert "%%" not in out


def test_a_folder_holds_one_commands_run_and_another_command_is_refused(
    tiny_path, tmp_path, monkeypatch
):
    """simulate then optimize into one folder: refused in one line, simulate's files intact."""
    out = tmp_path / "results"
    code, _, _ = support.run_main(
        "simulate", tiny_path, "--reps", "4", "--out", out, monkeypatch=monkeypatch
    )
    assert code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    code, _, err = support.run_main(
        "optimize", tiny_path, "--scenarios", "4", "--reps", "4", "--out", out,
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 2
    assert err.strip().count("\n") == 0 and "holds the results of yingji simulate" in err
    assert str(out) in err and "--out" in err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    code, _, _ = support.run_main(
        "simulate", tiny_path, "--reps", "4", "--seed", "3", "--out", out, monkeypatch=monkeypatch
    )
    assert code == 0  # the same command may write its run again


def test_simulate_and_optimize_default_to_folders_of_their_own():
    from planner.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["simulate"]).out == Path("results/simulate")
    assert parser.parse_args(["optimize"]).out == Path("results/optimize")


# --- a full disk, a read-only folder: one line naming the file, nothing half-written ----------


@contextmanager
def mounted_tmpfs(folder: Path, options: str):
    """A tmpfs at ``folder`` (``size=16k``: a full disk; ``ro``: read-only), or skip the test.

    Mounting needs root (CI containers often run as root; elsewhere the test is skipped,
    and test_write_atomic_names_the_target_of_a_real_enospc still runs).
    """
    folder.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]
    try:
        done = subprocess.run(mount, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        pytest.skip("no mount command to make a small or read-only filesystem")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _partial_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.part")) if folder.exists() else []


def test_write_atomic_names_the_target_of_a_real_enospc(tmp_path):
    full = Path("/dev/full")  # every write to it fails with ENOSPC, from the kernel
    if not full.exists():
        pytest.skip("no /dev/full on this system")
    target = tmp_path / "events.parquet"
    with pytest.raises(WriteError) as caught:
        write_atomic(target, lambda _: full.write_bytes(b"x" * 100_000))
    assert str(caught.value) == f"{target}: no space left on device"
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # no target, no temporary file


def test_simulate_onto_a_full_disk_says_so_in_one_line(tiny_path, tmp_path):
    with mounted_tmpfs(tmp_path / "disk", "size=16k") as disk:
        done = run_process("simulate", tiny_path, "--reps", "50", "--out", disk / "sim")
        assert done.returncode == cli.EXIT_CANNOT_WRITE, done.stderr
        line = assert_one_line_error(done.stderr, "no space left on device")
        assert line.startswith(f"error: {disk / 'sim'}/")
        assert not _partial_files(disk)
        assert not (disk / "sim" / "run.json").exists()  # nothing written: no unfinished mark


def test_a_sweep_onto_a_full_disk_keeps_its_whole_cells_and_says_so(tiny_path, tmp_path):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'[sweep]\nscenario = "{tiny_path}"\naction = "evaluate"\nbaselines = ["status_quo"]\n'
        "reps = 50\n[grid]\nhazard_intensity = [0.5, 1.0, 1.5, 2.0]\n",
        encoding="utf-8",
    )
    with mounted_tmpfs(tmp_path / "disk", "size=48k") as disk:
        done = run_process("sweep", sweep, "--out", disk / "sweep")
        assert done.returncode == cli.EXIT_CANNOT_WRITE, done.stderr
        assert "Traceback" not in done.stderr
        *_, last = done.stderr.strip().splitlines()  # after the line saying what will run
        assert last.startswith(f"error: {disk / 'sweep'}/"), last
        assert last.endswith("no space left on device"), last
        assert not _partial_files(disk)
        # the cells saved before the disk filled are whole: the sweep resumes from them
        for cell in finished_cells(disk / "sweep"):
            pd.read_parquet(disk / "sweep" / "cells" / f"cell-{cell:04d}.parquet")


def test_a_report_onto_a_read_only_filesystem_says_so_in_one_line(tiny_run, tmp_path):
    _, results = tiny_run
    with mounted_tmpfs(tmp_path / "ro", "ro,size=16k") as folder:
        done = run_process("report", results, "--out", folder / "report.html")
        assert done.returncode == cli.EXIT_CANNOT_WRITE, done.stderr
        assert_one_line_error(done.stderr, f"{folder}/report.html: read-only file system")
        assert list(folder.iterdir()) == []


def test_a_report_into_sys_is_refused_in_one_line(tiny_run):
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs at /sys")
    _, results = tiny_run
    done = run_process("report", results, "--out", "/sys/yingji-report.html")
    assert done.returncode == cli.EXIT_CANNOT_WRITE, done.stderr
    line = assert_one_line_error(done.stderr, "/sys/yingji-report.html: ")
    assert line.endswith(("permission denied", "read-only file system")), line
