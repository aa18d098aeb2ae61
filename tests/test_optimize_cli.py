"""``yingji optimize`` end to end: output files, plans read back, budgets and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import scenarios
from scenarios.plan import Plan
from tests import builders
from tests.support import run_main, run_process

FAST = ("--scenarios", "8", "--reps", "20", "--time-limit", "30", "--greedy-steps", "0")
OUTPUT_FILES = (
    "compliance.csv",
    "evaluation.csv",
    "marginal_values.csv",
    "plan.csv",
    "plan.json",
    "plan.xlsx",
    "solve.json",
    "run.json",
    "scenario.json",
)
PLAN_FILES = ("plan.csv", "plan.json", "plan.xlsx")
SMOKE = (*FAST, "--greedy-steps", "2", "--seed", "3")  # the smoke run, with greedy
PLANS = ["status_quo", "optimised", "top_up", "last_year_rule", "equal_split", "greedy"]
MINIMUM_STAFFING_YUAN = 9 * 1 * 1000  # nine teams, at least one member, 1,000 yuan each


def written(folder: Path) -> list[str]:
    """Files in ``folder``, hidden temporary ones included (none if it does not exist)."""
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def refused_line(code: int, stdout: str, err: str) -> str:
    """The one line a refused run printed: exit 2, nothing else, no traceback."""
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err + stdout
    return lines[0]


def parts(plan: Plan) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
    """A plan's purchases and staffing as sorted tuples (the plan_id left out)."""
    purchases = sorted((p.item_id, p.depot_id, p.quantity) for p in plan.purchases)
    return purchases, sorted((s.team_id, s.members) for s in plan.staffing)


@pytest.fixture(scope="module")
def smoke(tiny_path, tmp_path_factory):
    """One real run of the console script on the tiny county."""
    out = tmp_path_factory.mktemp("smoke") / "out"
    done = run_process("optimize", tiny_path, *SMOKE, "--out", out, script=True)
    return done, out


# --- the real console script ----------------------------------------------------------------


def test_console_script_writes_every_output(smoke):
    done, out = smoke
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert written(out) == sorted(OUTPUT_FILES)
    assert "proved optimal" in done.stdout  # "proved optimal" or "NOT proved optimal"
    assert "wrote" in done.stderr


def test_plan_files_load_back_as_the_same_plan(smoke, tiny_scenario):
    _, out = smoke
    forms = [scenarios.load_plan(out / name, tiny_scenario) for name in PLAN_FILES]
    first = forms[0]
    assert first.purchases, "the tiny county with 100,000 yuan should buy something"
    for other in forms[1:]:
        assert parts(other) == parts(first)
    evaluation = pd.read_csv(out / "evaluation.csv").set_index("plan")
    cost = evaluation.loc["optimised", "purchase_cost_yuan"]
    assert first.purchase_cost_yuan(tiny_scenario) == pytest.approx(cost)
    assert cost <= tiny_scenario.procurement_budget_yuan


def test_evaluation_lists_the_optimised_plan_and_the_baselines(smoke):
    _, out = smoke
    evaluation = pd.read_csv(out / "evaluation.csv")
    assert sorted(evaluation["plan"]) == sorted(PLANS)
    assert evaluation["plan"].iloc[0] == "status_quo"
    assert evaluation["vs_status_quo_mean"].iloc[1:].notna().all()
    assert evaluation["vs_status_quo_mean"].iloc[:1].isna().all()
    assert (evaluation["replications"] == 20).all()


def test_solve_report_and_marginal_values_are_written(smoke, tiny_scenario):
    _, out = smoke
    report = json.loads((out / "solve.json").read_text(encoding="utf-8"))
    assert {"status", "gap", "optimal", "objective"} <= set(report["solve"])
    assert report["solve"]["solver"] == "highs"
    assert report["solve"]["gap"] >= 0
    assert report["budgets"] == {
        "procurement_yuan": tiny_scenario.procurement_budget_yuan,
        "staffing_yuan": None,
        "joint_yuan": None,
    }
    assert report["request"]["seed"] == 3
    marginal = pd.read_csv(out / "marginal_values.csv")
    assert set(marginal["kind"]) == {"purchase", "staffing"}
    measured = marginal[marginal["method"] == "finite_difference"]
    assert (measured["saving_per_unit_yuan"] >= 0).all()
    assert measured["saving_per_yuan"].is_monotonic_decreasing


def test_same_seed_gives_identical_files(smoke, tiny_path, tmp_path, monkeypatch):
    """Twice in this process, and once in a fresh one: the same bytes."""
    _, first = smoke
    runs = [tmp_path / "a", tmp_path / "b"]
    for out in runs:
        code, _, err = run_main(
            "optimize", tiny_path, *SMOKE, "--out", out, monkeypatch=monkeypatch
        )
        assert code == 0, err
    for name in ("plan.csv", "evaluation.csv"):
        expected = (first / name).read_bytes()
        for out in runs:
            assert (out / name).read_bytes() == expected, name


# --- budgets ----------------------------------------------------------------------------------


def test_zero_budget_buys_nothing(tiny_path, tiny_scenario, tmp_path, monkeypatch):
    code, _, err = run_main(
        "optimize", tiny_path, *FAST, "--budget", "0", "--out", tmp_path, monkeypatch=monkeypatch
    )
    assert code == 0, err
    plan = scenarios.load_plan(tmp_path / "plan.csv", tiny_scenario)
    assert plan.purchases == ()
    assert plan.staffing == ()
    evaluation = pd.read_csv(tmp_path / "evaluation.csv")
    assert (evaluation["purchase_cost_yuan"] == 0).all()
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert report["budgets"]["procurement_yuan"] == 0


def test_budget_option_overrides_the_scenario(tiny_path, tiny_scenario, tmp_path, monkeypatch):
    code, _, err = run_main(
        "optimize",
        tiny_path,
        *FAST,
        "--budget",
        "35,000",
        "--out",
        tmp_path,
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    plan = scenarios.load_plan(tmp_path / "plan.json", tiny_scenario)
    assert 0 < plan.purchase_cost_yuan(tiny_scenario) <= 35_000
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert report["budgets"]["procurement_yuan"] == 35_000


@pytest.mark.parametrize("option", ["--staff-budget", "--joint-budget"])
def test_budget_below_minimum_staffing_is_refused_in_one_line(
    option, tiny_path, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    money = str(MINIMUM_STAFFING_YUAN - 1)
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, option, money, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "below the cost of every team" in lines[0]
    assert "9,000" in lines[0]
    assert "Traceback" not in err + stdout
    assert not out.exists()  # refused before the output folder is made


def test_staff_budget_at_the_minimum_is_accepted(tiny_path, tiny_scenario, tmp_path, monkeypatch):
    money = str(MINIMUM_STAFFING_YUAN)
    code, _, err = run_main(
        "optimize",
        tiny_path,
        *FAST,
        "--staff-budget",
        money,
        "--out",
        tmp_path,
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    plan = scenarios.load_plan(tmp_path / "plan.csv", tiny_scenario)
    assert {s.members for s in plan.staffing} == {1}


def test_staff_budget_sets_team_sizes_within_their_limits(
    tiny_path, tiny_scenario, tmp_path, monkeypatch
):
    budget = 400_000
    code, _, err = run_main(
        "optimize",
        tiny_path,
        *FAST,
        "--staff-budget",
        str(budget),
        "--out",
        tmp_path,
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    rows = pd.read_csv(tmp_path / "plan.csv", keep_default_na=False)
    staffing = rows[rows["part"] == "staffing"]
    teams = {t.team_id: t for t in tiny_scenario.teams}
    assert sorted(staffing["team_id"]) == sorted(teams)
    for team_id, members in zip(staffing["team_id"], staffing["quantity"], strict=True):
        assert teams[team_id].min_members <= members <= teams[team_id].max_members
    plan = scenarios.load_plan(tmp_path / "plan.csv", tiny_scenario)
    assert plan.staffing_cost_yuan(tiny_scenario) <= budget
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert report["budgets"]["staffing_yuan"] == budget
    evaluation = pd.read_csv(tmp_path / "evaluation.csv").set_index("plan")
    assert evaluation.loc["optimised", "staffing_cost_yuan"] == plan.staffing_cost_yuan(
        tiny_scenario
    )
    assert evaluation.loc["status_quo", "staffing_cost_yuan"] == 310_000


def test_cbc_solves_the_tiny_county(tiny_path, tiny_scenario, tmp_path, monkeypatch):
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, "--solver", "cbc", "--out", tmp_path, monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert "proved optimal" in stdout
    assert "no bound or gap reported by cbc" in " ".join(stdout.split())
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert report["solve"]["solver"] == "cbc"
    # CBC reports no bound: none is made up from the gap asked for (it was objective x (1 - gap))
    assert math.isnan(report["solve"]["best_bound"]) and math.isnan(report["solve"]["gap"])
    plan = scenarios.load_plan(tmp_path / "plan.csv", tiny_scenario)
    assert plan.purchase_cost_yuan(tiny_scenario) <= tiny_scenario.procurement_budget_yuan


# --- refused on the command line --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--staff-budget", "400000", "--joint-budget", "500000"),
        ("--budget", "-5"),
        ("--budget", "abc"),
        ("--budget", "nan"),
        ("--budget", "inf"),
        ("--budget", "1e300"),  # ran, and wrote a scenario.json the report could not read
        ("--joint-budget", "2e10"),
        ("--staff-budget", "-1"),
        ("--time-limit", "0"),
        ("--time-limit", "-3"),
        ("--scenarios", "0"),
        ("--reps", "0"),
        ("--solver", "gurobi"),
    ],
    ids=" ".join,
)
def test_bad_options_are_refused_by_argparse(args, tiny_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, *args, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2
    assert "Traceback" not in err + stdout
    assert "error:" in err
    assert not out.exists()


@pytest.mark.parametrize("gap", ["nan", "-1"])
def test_meaningless_mip_gaps_are_refused(gap, tiny_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    code, _, _ = run_main(
        "optimize", tiny_path, *FAST, "--mip-gap", gap, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2


def test_bounds_option_writes_the_saa_gap(tiny_path, tmp_path, monkeypatch):
    code, out, err = run_main(
        "optimize", tiny_path, *FAST, "--bounds", "2", "--out", tmp_path, monkeypatch=monkeypatch
    )
    assert code == 0, err
    bounds = json.loads((tmp_path / "saa_bounds.json").read_text(encoding="utf-8"))
    assert bounds["replications"] == 2
    assert bounds["gap"] >= 0
    assert bounds["gap_high"] >= bounds["gap"]
    assert "SAA gap" in out


# --- a replay table with year probabilities ---------------------------------------------------


@pytest.fixture(scope="module")
def weighted_replay_path(tmp_path_factory):
    """The tiny county replaying three recorded years with five-decimal probabilities."""
    folder = tmp_path_factory.mktemp("weighted_replay")
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people,probability\n"
        "2018,4500,A,flood,900,0.20000\n"
        "2019,,,,,0.15000\n"
        "2020,4600,A,flood,2500,0.65000\n"
        "2020,4610,C,forest_fire,0,0.65000\n",
        encoding="utf-8",
    )
    return builders.write_scenario(folder, extra_tables={"replay": "replay.csv"})


def test_weighted_replay_is_optimised_on_every_recorded_year_once(
    weighted_replay_path, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    code, _, err = run_main(
        "optimize", weighted_replay_path, *FAST, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert "3 recorded years, each weighed by its probability" in err
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["sampled_years"] == 3  # not --scenarios 8


def test_weighted_replay_refuses_bounds_in_one_line(weighted_replay_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "optimize", weighted_replay_path, *FAST, "--bounds", "2", "--out", out,
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "--bounds" in lines[0]
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_run_says_what_the_gap_is_a_gap_of_and_how_the_engines_agree(smoke):
    done, out = smoke
    text = " ".join(done.stdout.split())  # rich wraps lines
    assert "for the sampled model of 8 years" in text
    assert "a gap of that model, not of the county" in text
    assert "the plan on the 20 judging years (out of sample): model" in text
    assert "simulation / model" in text
    assert "stability: plans solved on the two halves of the sample (4 years each)" in text
    report = json.loads((out / "solve.json").read_text(encoding="utf-8"))
    check = report["model_check"]
    assert check["years"] == 20 and check["first_replication"] == 0
    assert check["model_ci"][0] <= check["model_mean"] <= check["model_ci"][1]
    assert check["ratio"] == pytest.approx(check["simulated_mean"] / check["model_mean"])
    evaluation = pd.read_csv(out / "evaluation.csv").set_index("plan")
    assert check["simulated_mean"] == pytest.approx(
        evaluation.loc["optimised", "weighted_unmet_mean"]
    )
    assert report["stability"]["years"] == 4 and report["stability"]["pairs"] == 1
    assert "improvement step:" in text
    moves = report["improvement"]["moves"]
    assert all(move["kept"] == (move["change_ci"][1] < 0) for move in moves)
    kept = any(move["kept"] for move in moves)
    assert (report["improvement"]["gain_on_judging_years"] is not None) == kept
    assert 0.0 <= report["stability"]["by_item"][0] <= 1.0


def test_planning_rules_that_cannot_be_met_are_refused_in_one_line(tmp_path, monkeypatch):
    toml = builders.ruled_toml(category_share={"flood": [0.0, 0.1]})
    path = builders.write_scenario(tmp_path / "county", toml, builders.ruled_tables())
    out = tmp_path / "out"
    code, stdout, err = run_main("optimize", path, *FAST, "--out", out, monkeypatch=monkeypatch)
    line = refused_line(code, stdout, err)
    assert "required flood purchases" in line and "10% ceiling" in line
    assert not out.exists()  # refused before the output folder is made


def test_a_bad_years_objective_is_solved_said_and_judged(tiny_path, tmp_path, monkeypatch):
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, "--worst-weight", "1", "--worst-share", "0.2",
        "--out", tmp_path, monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert "the mean of the worst 20% of years" in " ".join(stdout.split())
    evaluation = pd.read_csv(tmp_path / "evaluation.csv").set_index("plan")
    assert (evaluation["worst_share"] == 0.2).all()
    # The mean of the worst fifth of years is never below the mean of all of them.
    assert (evaluation["worst_years_mean"] >= evaluation["weighted_unmet_mean"] - 1e-6).all()
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert report["request"]["worst_weight"] == 1.0


def test_lives_first_is_solved_in_stages_said_and_judged(tiny_path, tmp_path, monkeypatch):
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, "--objective", "lives-first", "--out", tmp_path,
        monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    said = " ".join(stdout.split())
    assert "lives lost to delay, then people without relief at 12 h" in said
    assert "aims reached first, in the sampled model" in said
    assert "against top_up, paired on the" in said and "lives lost to delay" in said
    report = json.loads((tmp_path / "solve.json").read_text(encoding="utf-8"))
    assert [name for name, _ in report["solve"]["stages"]] == ["lives", "relief"]
    evaluation = pd.read_csv(tmp_path / "evaluation.csv").set_index("plan")
    assert (evaluation["trapped_lost_per_year"] >= 0).all()
    page = tmp_path / "report" / "report.html"
    code, _, err = run_main(
        "report", tmp_path, "--lang", "en", "--out", page, monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert "This plan puts lives first" in " ".join(page.read_text(encoding="utf-8").split())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--objective", "mix"), "needs life_yuan or relief_person_yuan above 0"),
        (("--objective", "lives-first", "--staff-budget", "1e9"), "today's team sizes"),
        (("--objective", "lives-first", "--bounds", "2"), "leave out --bounds"),
        (("--objective", "lives"), "invalid choice"),
        (("--worst-weight", "1", "--bounds", "2"), "leave out --bounds"),
        (("--worst-weight", "1.5"), "a weight from 0 to 1"),
        (("--worst-share", "0"), "a share above 0"),
        (("--worst-share", "nan"), "a share above 0"),
    ],
)
def test_bad_objective_options_are_refused_in_one_line(
    args, fragment, tiny_path, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "optimize", tiny_path, *FAST, *args, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_rules_found_infeasible_by_the_solve_are_refused_in_one_line(tmp_path, monkeypatch):
    tables = builders.ruled_tables()
    room = {"D_COUNTY": 7.5, "D_A": 1.2}  # no room for the one boat the rules ask for
    for depot in tables["depots"]:
        if depot["depot_id"] in room:
            depot["capacity_m3"] = room[depot["depot_id"]]
    path = builders.write_scenario(tmp_path / "county", builders.ruled_toml(), tables)
    out = tmp_path / "out"
    code, stdout, err = run_main("optimize", path, *FAST, "--out", out, monkeypatch=monkeypatch)
    line = refused_line(code, stdout, err)
    assert "planning rules" in line and "cannot all be met" in line
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_sensitivity_is_written_and_the_same_for_any_number_of_processes(
    tiny_path, tiny_scenario, tmp_path, monkeypatch
):
    tables = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        args = (*FAST, "--improve-steps", "0", "--sensitivity", "--jobs", jobs, "--out", out)
        code, stdout, err = run_main("optimize", tiny_path, *args, monkeypatch=monkeypatch)
        assert code == 0, err
        assert "What the list rests on" in stdout
        tables.append((out / "sensitivity.csv").read_bytes())
    assert tables[0] == tables[1]
    rows = pd.read_csv(tmp_path / "jobs1" / "sensitivity.csv")
    categories = {item.category for item in tiny_scenario.items}
    assert len(rows) == 6 * 2 * len(categories)  # judgements x factors x categories
    spent = rows.groupby(["parameter", "factor"])["base_money_yuan"].sum()
    plan = scenarios.load_plan(tmp_path / "jobs1" / "plan.csv", tiny_scenario)
    prices = {item.item_id: item.unit_price_yuan for item in tiny_scenario.items}
    bought = sum(p.quantity * prices[p.item_id] for p in plan.purchases)
    assert spent.eq(bought).all()  # every row compares with the plan the run recommends
