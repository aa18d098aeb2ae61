"""``yingji compare`` and the paired comparison behind it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from optimize.baselines import status_quo
from optimize.comparison import (
    BETTER,
    IDENTICAL,
    NOT_SIGNIFICANT,
    WORSE,
    compare_results,
    paired_row,
    verdict,
)
from optimize.evaluate import simulate_plans
from scenarios.plan import Plan, Purchase
from sim import simulate
from tests.support import run_main, run_process

MORE_STOCK = Plan(
    "more_stock",
    (
        Purchase("sandbag", "D_A", 3000),
        Purchase("boat", "D_COUNTY", 4),
        Purchase("water", "D_COUNTY", 2000),
        Purchase("blower", "D_C", 20),
    ),
)


@pytest.fixture(scope="module")
def results(tiny_scenario):
    plans = [status_quo(), MORE_STOCK]
    return simulate_plans(tiny_scenario, plans, reps=30, seed=4)


@pytest.fixture(scope="module")
def comparison(results):
    return compare_results(results, "status_quo")


def test_paired_interval_is_the_paired_t_interval():
    """The difference's CI equals scipy's paired t-test interval on the same numbers."""
    rng = np.random.default_rng(1)
    base = rng.gamma(2.0, 1000.0, size=40)
    values = base - rng.normal(200.0, 300.0, size=40)
    row = paired_row("b", "a", "all", "all", values, base)
    interval = stats.ttest_rel(values, base).confidence_interval(0.95)
    assert row["difference_mean"] == pytest.approx(np.mean(values - base))
    assert row["difference_ci_low"] == pytest.approx(interval.low)
    assert row["difference_ci_high"] == pytest.approx(interval.high)
    assert row["relative_difference"] == pytest.approx(np.mean(values - base) / np.mean(base))
    assert row["verdict"] == BETTER


def test_verdict_follows_the_interval():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    assert verdict(a, a, 0.0, 0.0) == IDENTICAL
    assert verdict(a, b, -3.0, -1.0) == BETTER
    assert verdict(a, b, 1.0, 3.0) == WORSE
    assert verdict(a, b, -1.0, 1.0) == NOT_SIGNIFICANT


def test_breakdowns_add_up_to_the_headline_difference(comparison):
    """Conservation: hazards, categories and townships each split the same total."""
    headline = comparison[comparison["breakdown"] == "all"].iloc[0]
    for breakdown in ("hazard", "category", "township"):
        rows = comparison[comparison["breakdown"] == breakdown]
        assert rows["difference_mean"].sum() == pytest.approx(headline["difference_mean"])
        assert rows["plan_mean"].sum() == pytest.approx(headline["plan_mean"])
        assert rows["reference_mean"].sum() == pytest.approx(headline["reference_mean"])


def test_one_row_per_group_of_every_breakdown(comparison, tiny_scenario):
    groups = comparison.groupby("breakdown")["group"].apply(list).to_dict()
    assert groups["all"] == ["all"]
    assert sorted(groups["hazard"]) == sorted(h.hazard_id for h in tiny_scenario.hazards)
    assert sorted(groups["township"]) == ["A", "B", "C"]
    assert "rescue_work" in groups["category"]
    assert (comparison["replications"] == 30).all()


def test_more_stock_is_never_worse_anywhere(comparison):
    """Stock only added: no item's unmet demand can rise in any year, so no row is worse."""
    assert WORSE not in set(comparison["verdict"])
    assert (comparison["difference_mean"] <= 1e-9).all()
    headline = comparison[comparison["breakdown"] == "all"].iloc[0]
    assert headline["verdict"] == BETTER
    rescue = comparison[comparison["group"] == "rescue_work"].iloc[0]
    assert rescue["verdict"] == IDENTICAL  # items do not change rescue work


def test_a_plan_against_itself_is_identical_everywhere(results):
    same = {"status_quo": results["status_quo"], "again": results["status_quo"]}
    rows = compare_results(same, "status_quo")
    assert set(rows["verdict"]) == {IDENTICAL}


def test_plans_simulated_on_other_years_are_not_compared(results, tiny_scenario):
    other = simulate(tiny_scenario, MORE_STOCK, reps=30, seed=4, first_replication=30)
    with pytest.raises(ValueError, match="other years"):
        compare_results({"status_quo": results["status_quo"], "more_stock": other}, "status_quo")


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "more_stock.csv"
    rows = "".join(
        f"purchase,{p.item_id},{p.depot_id},,{p.quantity}\n" for p in MORE_STOCK.purchases
    )
    path.write_text("part,item_id,depot_id,team_id,quantity\n" + rows, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compared(tiny_path, plan_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    done = run_process(
        "compare", tiny_path, "status_quo", plan_file, "--reps", "30", "--seed", "4", "--out", out
    )
    return done, out


def test_compare_cli_prints_verdicts_and_writes_tidy_csvs(compared, comparison):
    done, out = compared
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out / "comparison.csv", keep_default_na=False)
    assert list(written.columns) == list(comparison.columns)
    pd.testing.assert_series_equal(
        written["difference_mean"], comparison["difference_mean"], check_exact=False
    )
    evaluation = pd.read_csv(out / "evaluation.csv")
    assert list(evaluation["plan"]) == ["status_quo", "more_stock"]
    assert (evaluation["reference"] == "status_quo").all()
    assert "vs_reference_mean" in evaluation.columns
    assert "more_stock 更好 better" in done.stdout
    assert "Overall, more_stock is better: more_stock cuts weighted unmet demand by" in done.stdout
    assert "乡镇 Townships:" in done.stdout


def test_compare_gives_the_same_numbers_on_two_processes(tiny_path, plan_file, compared, tmp_path):
    _, out = compared
    done = run_process(
        "compare", tiny_path, "status_quo", plan_file, "--reps", "30", "--seed", "4",
        "--jobs", "2", "--out", tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "comparison.csv"), pd.read_csv(out / "comparison.csv")
    )


def test_compare_default_county_smoke(tmp_path):
    done = run_process(
        "compare", "default", "status_quo", "status_quo", "--reps", "3", "--out", tmp_path
    )
    assert done.returncode == 2  # two plans with one name
    assert "same name (status_quo)" in done.stderr
    plan = tmp_path / "empty.csv"
    plan.write_text("part,item_id,depot_id,team_id,quantity\n", encoding="utf-8")
    done = run_process("compare", "default", "status_quo", plan, "--reps", "5", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(tmp_path / "comparison.csv")
    assert set(written["verdict"]) == {IDENTICAL}  # an empty plan is the status quo


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (("status_quo", "missing.csv"), "missing.csv: file not found"),
        (("status_quo",), "compare needs at least two plans"),
    ],
    ids=["missing-plan", "one-plan"],
)
def test_compare_refusals_are_one_line(tiny_path, tmp_path, monkeypatch, arguments, fragment):
    code, _, err = run_main(
        "compare", tiny_path, *arguments, "--out", tmp_path, monkeypatch=monkeypatch
    )
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err
    assert not (tmp_path / "comparison.csv").exists()


def test_compare_refuses_a_plan_the_scenario_does_not_know(tiny_path, tmp_path, monkeypatch):
    plan = tmp_path / "bad.csv"
    plan.write_text(
        "part,item_id,depot_id,team_id,quantity\npurchase,gold,D_A,,1\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    code, _, err = run_main(
        "compare", tiny_path, "status_quo", plan, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2
    assert f"{plan}: row 2, field item_id: unknown item (got 'gold')" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_compare_refuses_a_missing_scenario(tmp_path, monkeypatch):
    missing = tmp_path / "nope.toml"
    code, _, err = run_main("compare", missing, "status_quo", "status_quo", monkeypatch=monkeypatch)
    assert code == 2
    assert f"{missing}: file not found" in err
