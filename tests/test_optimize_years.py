"""A plan over several years: replacements by hand, and every unit kept across the years."""

from __future__ import annotations

import copy
import html
import json
import re
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict

import openpyxl
import pandas as pd
import pytest

import scenarios
from optimize.model import Budgets, InfeasibleRequestError, check_budgets
from optimize.records import DIFFERENCE_COLUMNS, paired_years
from optimize.years import YearsSettings, plan_years
from planner.errors import RequestError
from planner.planning_years import PathTask, _planned
from planner.results import find_results
from scenarios import InputError
from scenarios.ledger import opening_lots, units_by_place
from scenarios.plan import Plan, Purchase
from scenarios.schema import PlanningRules
from sim import build_network, simulate
from sim.metrics import weighted_unmet_per_year
from tests import builders
from tests.support import forget_file_hashes, run_main
from tests.test_scenarios_ledger import AGEING, _items

QUIET = 0.0  # no hazard strikes: nothing is used, only age takes stock away


def _county(folder, rate=None, stock=None):
    hazards = copy.deepcopy(builders.HAZARDS)
    if rate is not None:
        for hazard in hazards:
            hazard["annual_rate"] = rate
    toml = builders.TOML_BASE | {"ledger": {"plan_year": 2027}}
    tables = {"items": _items(AGEING)}
    if stock is not None:
        tables["stock"] = stock
    path = builders.write_scenario(folder, toml=toml, tables=tables, hazards=hazards)
    return scenarios.load(path)


HAND = [
    {"depot_id": "D_COUNTY", "item_id": "water", "quantity": 100, "purchase_year": 2026},
    {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 20, "purchase_year": 2026},
]


def test_replacements_and_spending_over_three_quiet_years_by_hand(tmp_path):
    """Water keeps 2 years; boats last 3, failing 10% new and 5 points more a year.

    2027: 3 of 20 boats fail (15% at one year old), the 100 water reach their last year.
    2028: both are replaced first (3 x 30,000 + 100 x 30 = 93,000); of the 17 old boats 3
    fail (20%: 3.4) and 14 reach their last year; the 3 new ones lose none (10%: 0.3).
    2029: the 17 boats are replaced (510,000); of them 2 fail new (10%: 1.7), the water of
    2028 reaches its last year.
    """
    county = _county(tmp_path, QUIET, HAND)
    planned = plan_years(county, (1_000_000.0,) * 3, YearsSettings(sampled_years=5, reps=5))
    spent = {row.year: row.replaced_yuan for row in planned.years}
    assert spent == {2027: 0.0, 2028: 93_000.0, 2029: 510_000.0}
    assert all(row.bought_yuan == 0 for row in planned.years)  # a quiet county needs nothing
    replaced = {(p.year, p.item_id): p.quantity for p in planned.purchases}
    assert replaced == {(2028, "boat"): 3, (2028, "water"): 100, (2029, "boat"): 17}
    gone = {}
    for row in planned.leaving:
        key = (row.year, row.how, row.item_id)
        gone[key] = gone.get(key, 0) + row.quantity
    assert gone == {
        (2027, "failed", "boat"): 3, (2027, "scrapped", "water"): 100,
        (2028, "failed", "boat"): 3, (2028, "scrapped", "boat"): 14,
        (2029, "failed", "boat"): 2, (2029, "scrapped", "water"): 100,
    }  # fmt: skip
    assert planned.years[0].upkeep_yuan == 20 * 1500  # the boats held in 2027


@pytest.mark.parametrize("restock", [True, False])
def test_village_stores_get_back_what_left_them_from_their_own_money(tmp_path, restock):
    """A village's water expires at the end of 2027; its village buys it back for 2028.

    The county's budget pays nothing for it (the quiet county buys nothing at all), and
    with ``villages_restock`` off the village store stays empty.
    """
    stock = [{"depot_id": "V_A", "item_id": "water", "quantity": 40, "purchase_year": 2026}]
    county = _county(tmp_path, QUIET, stock)
    ledger = county.ledger.model_copy(update={"villages_restock": restock})
    county = county.model_copy(update={"ledger": ledger})
    planned = plan_years(county, (1_000_000.0,) * 3, YearsSettings(sampled_years=5, reps=5))
    lines = {(p.year, p.kind, p.depot_id, p.item_id): p.quantity for p in planned.purchases}
    restocked = {row.year: row.village_restocked_yuan for row in planned.years}
    if restock:
        assert lines == {(2028, "village", "V_A", "water"): 40}
        assert restocked == {2027: 0.0, 2028: 40 * 30.0, 2029: 0.0}
        gone = {(r.year, r.how, r.purchase_year) for r in planned.leaving if r.depot_id == "V_A"}
        assert gone == {(2027, "scrapped", 2026), (2029, "scrapped", 2028)}  # two years each
    else:
        assert lines == {} and not planned.closing
    assert all(row.replaced_yuan == row.bought_yuan == 0 for row in planned.years)


def test_a_short_budget_replaces_the_most_critical_first(tmp_path):
    county = _county(tmp_path, QUIET, HAND)
    boat = next(i for i in county.items if i.item_id == "boat")
    county = county.model_copy(
        update={
            "items": tuple(
                i.model_copy(update={"criticality_weight": 1.0}) if i.item_id == "water" else i
                for i in county.items
            )
        }
    )
    planned = plan_years(county, (0.0, 95_000.0), YearsSettings(sampled_years=5, reps=5))
    replaced = {p.item_id: p.quantity for p in planned.purchases if p.year == 2028}
    # boats (criticality 5) before water (1): 3 boats for 90,000, then the 100 water for 3,000
    assert replaced == {"boat": 3, "water": 100} and boat.criticality_weight == 5
    planned = plan_years(county, (0.0, 91_000.0), YearsSettings(sampled_years=5, reps=5))
    replaced = {p.item_id: p.quantity for p in planned.purchases if p.year == 2028}
    assert replaced == {"boat": 3, "water": 33}  # 1,000 yuan left buys 33 cases


def test_every_unit_is_kept_across_years_with_events(tmp_path):
    """Conservation: opening lots + bought - used, failed, rotated, scrapped = closing lots."""
    county = _county(tmp_path)
    settings = YearsSettings(sampled_years=8, reps=12, jobs=2)
    planned = plan_years(county, (60_000.0, 40_000.0, 40_000.0), settings)
    units = dict(units_by_place(opening_lots(county)))
    for row in planned.purchases:
        units[(row.depot_id, row.item_id)] = (
            units.get((row.depot_id, row.item_id), 0) + row.quantity
        )
    for row in planned.leaving:
        units[(row.depot_id, row.item_id)] -= row.quantity
    closing = units_by_place(planned.closing)
    assert {k: v for k, v in units.items() if v} == closing
    assert any(row.how == "used" for row in planned.leaving)  # the events did use stock
    assert any(row.kind == "new" for row in planned.purchases)
    for row in planned.years:
        assert row.replaced_yuan + row.bought_yuan <= row.budget_yuan + 1e-6
        assert row.weighted_unmet_ci_low <= row.weighted_unmet_mean <= row.weighted_unmet_ci_high


def test_the_first_planned_year_is_the_county_as_it_stands_with_a_late_delivery(tmp_path):
    """Stock held at the plan year's start is on hand, even dated that year (a one-year item).

    With the money arriving in the autumn, the first year's simulated outcome is that of
    its plan on the county as loaded; a held line taken for one on order would arrive late.
    """
    stock = [dict(line) for line in builders.STOCK]  # no purchase years: assumed
    items = _items({"water": {"shelf_life_years": 1}})
    toml = builders.TOML_BASE | {
        "ledger": {"plan_year": 2027},
        "delivery": {"approval_day": "09-01", "lead_time_days": 30},
    }
    path = builders.write_scenario(tmp_path, toml=toml, tables={"items": items, "stock": stock})
    county = scenarios.load(path)
    assert any(lot.item_id == "water" and lot.purchase_year == 2027
               for lot in opening_lots(county))  # fmt: skip
    settings = YearsSettings(sampled_years=6, reps=20)
    planned = plan_years(county, (30_000.0,), settings)
    (first,) = planned.years
    bought = tuple(
        Purchase(p.item_id, p.depot_id, p.quantity) for p in planned.purchases if p.kind == "new"
    )
    result = simulate(county, Plan("first", bought), reps=20, seed=county.seed)
    assert first.weighted_unmet_mean == pytest.approx(
        float(weighted_unmet_per_year(result).mean()), rel=1e-12
    )


def test_the_same_seed_gives_the_same_plan_for_any_number_of_processes(tmp_path):
    county = _county(tmp_path)
    one = plan_years(county, (40_000.0,) * 2, YearsSettings(sampled_years=6, reps=8, jobs=1))
    two = plan_years(county, (40_000.0,) * 2, YearsSettings(sampled_years=6, reps=8, jobs=2))
    assert one == two


# --- two paths of budgets, paired on the same judging years ---------------------------------


def _weighted_replay(folder):
    """The tiny county replaying three recorded years with uneven probabilities, from 2027."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people,probability\n"
        "2018,4500,A,flood,900,0.20000\n"
        "2019,,,,,0.15000\n"
        "2020,4600,A,flood,2500,0.65000\n",
        encoding="utf-8",
    )
    toml = builders.TOML_BASE | {"ledger": {"plan_year": 2027}}
    path = builders.write_scenario(folder, toml=toml, extra_tables={"replay": "replay.csv"})
    return scenarios.load(path)


def _tables(planned):
    """A plan's years and judged years as frames, as plan-years writes them."""
    rows = (planned.years, planned.judged)
    return tuple(pd.DataFrame([asdict(row) for row in table]) for table in rows)


def _paired(first, second):
    return paired_years(*_tables(first), *_tables(second))


@pytest.mark.parametrize("weighted", [False, True])
def test_the_paired_difference_is_the_difference_of_the_means(tmp_path, weighted):
    """Each year's mean difference is the second path's mean minus the first's, weighted alike."""
    county = _weighted_replay(tmp_path / "replay") if weighted else _county(tmp_path)
    settings = YearsSettings(sampled_years=6, reps=9)
    flat = plan_years(county, (0.0,) * 3, settings)
    rising = plan_years(county, (0.0, 30_000.0, 60_000.0), settings)
    judged = _tables(flat)[1]
    assert judged.groupby("year").size().tolist() == [9, 9, 9]
    assert (judged["weight"].to_numpy() != 1.0).any() == weighted  # the replay's probabilities
    differences = _paired(flat, rising)
    assert list(differences.columns) == list(DIFFERENCE_COLUMNS)
    assert differences["cumulative_extra_yuan"].tolist() == [0.0, 30_000.0, 90_000.0]
    for first, second, row in zip(flat.years, rising.years, differences.to_dict("records"),
                                  strict=True):  # fmt: skip
        # the judged years give each year's own figures, weighted as the year's row is
        assert row["weighted_unmet_mean"] == pytest.approx(first.weighted_unmet_mean)
        assert row["against_weighted_unmet_mean"] == pytest.approx(second.weighted_unmet_mean)
        assert row["weighted_unmet_difference_mean"] == pytest.approx(
            second.weighted_unmet_mean - first.weighted_unmet_mean, abs=1e-6
        )
        assert row["people_without_relief_difference_mean"] == pytest.approx(
            second.people_without_relief_per_year - first.people_without_relief_per_year,
            abs=1e-9,
        )
        assert row["trapped_lost_difference_mean"] == pytest.approx(
            second.trapped_lost_per_year - first.trapped_lost_per_year, abs=1e-9
        )
        low, mean, high = (row[f"weighted_unmet_difference_{s}"] for s in ("ci_low", "mean",
                                                                          "ci_high"))  # fmt: skip
        assert low <= mean <= high
    assert (differences["weighted_unmet_difference_mean"] != 0).any()  # more money bought more


def test_paths_judged_on_other_years_are_not_paired(tmp_path):
    county = _county(tmp_path)
    first = plan_years(county, (30_000.0,), YearsSettings(sampled_years=4, reps=6))
    other = plan_years(county, (30_000.0,), YearsSettings(sampled_years=4, reps=5))
    with pytest.raises(ValueError, match="not judged on the same years"):
        _paired(first, other)


# --- yingji plan-years ----------------------------------------------------------------------


def test_plan_years_writes_its_tables_and_they_read_back(tmp_path, monkeypatch):
    path = builders.write_scenario(
        tmp_path / "county",
        toml=builders.TOML_BASE | {"ledger": {"plan_year": 2027}},
        tables={"items": _items(AGEING), "stock": HAND},
    )
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "plan-years", path, "--budgets", "50000", "120000", "--scenarios", "6", "--reps", "8",
        "--out", out, monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert "plan over the years" in " ".join(stdout.split())
    # each cell under its own column: the year first, then its budget
    assert re.search(r"│\s+2027\s+│\s+50,000\s+│", stdout), stdout
    years = pd.read_csv(out / "years.csv")
    assert years["year"].tolist() == [2027, 2028]
    assert years["budget_yuan"].tolist() == [50_000.0, 120_000.0]
    assert (years["replaced_yuan"] + years["bought_yuan"] <= years["budget_yuan"]).all()
    for name in ("purchases", "leaving", "closing_stock"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{name}.parquet"), pd.read_csv(out / f"{name}.csv"),
            check_dtype=False,
        )  # fmt: skip
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["command"] == "plan-years" and record["budgets_yuan"] == [50_000.0, 120_000.0]
    # the purchasing office's workbook: a year's list totals what the year spent
    book = openpyxl.load_workbook(out / "plan_years.xlsx")
    assert book.sheetnames == ["总表 years", "2027 采购 purchases", "2028 采购 purchases",
                               "出库 leaving"]  # fmt: skip
    for year, spent in zip(years["year"], years["replaced_yuan"] + years["bought_yuan"],
                           strict=True):  # fmt: skip
        rows = list(book[f"{year} 采购 purchases"].values)
        titles = rows[0]
        total = next(r for r in rows if r[0] == "合计 total")
        assert total[titles.index("金额 cost (yuan)")] == pytest.approx(spent)
    kinds = {r[0] for r in list(book["2028 采购 purchases"].values)[1:]}
    assert "更新 replacement" in kinds  # 2027's failed boats and expired water, replaced


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--years", "0"), "must be at least 1"),
        (("--years", "31"), "at most 30"),
        (("--years", "3", "--budgets", "1", "2"), "--years 3 but --budgets gives 2"),
        (("--budget", "inf"), "a finite amount of yuan"),
        (("--budgets", "1e6", "nan"), "a finite amount of yuan"),
        (("--budget", "1", "--budgets", "2"), "not allowed with argument"),
        (
            ("--years", "1", "--budget", "10", "--scenarios", "3", "--reps", "3"),
            "minimum purchases cost",
        ),
    ],
)
def test_bad_plan_years_requests_are_refused_in_one_line(tmp_path, monkeypatch, args, fragment):
    out = tmp_path / "out"
    code, stdout, err = run_main("plan-years", *args, "--out", out, monkeypatch=monkeypatch)
    assert code == 2 and fragment in err, err
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_a_floor_the_full_depots_cannot_meet_is_lowered_for_the_year_and_said(tmp_path):
    """Living at 50% of the money, but water may only go to a county depot nearly full."""
    path = builders.write_scenario(tmp_path, builders.ruled_toml(), builders.ruled_tables())
    ruled = scenarios.load(path)
    strict = PlanningRules(
        category_share={"living": (0.5, 1.0)},
        min_lots_per_item=1,
        holding_events={"county": 1, "township": 1},
    )
    county = ruled.model_copy(update={"rules": strict})
    with pytest.raises(InfeasibleRequestError, match="less than its 50% floor"):
        check_budgets(build_network(county), Budgets(100_000.0))
    planned = plan_years(county, (100_000.0,), YearsSettings(sampled_years=6, reps=6))
    (year,) = planned.years
    assert year.floors_lowered.startswith("living floor to ")
    lowered = float(year.floors_lowered.removeprefix("living floor to ").rstrip("%")) / 100
    assert 0 < lowered < 0.5
    living = sum(p.cost_yuan for p in planned.purchases if p.item_id == "water")
    assert living >= lowered * year.bought_yuan - 1.0  # the lowered floor is kept


def test_the_report_shows_a_plan_over_years_in_both_languages(tiny_path, tmp_path, monkeypatch):
    """plan-years' folder under results/ becomes a section with its chart and a row a year."""
    results = tmp_path / "results"
    for command in (
        ("simulate", tiny_path, "--reps", "10", "--out", results / "today"),
        ("plan-years", tiny_path, "--years", "1", "--scenarios", "4", "--reps", "4",
         "--out", results / "plan_years"),
    ):  # fmt: skip
        code, _, err = run_main(*command, monkeypatch=monkeypatch)
        assert code == 0, err
    for lang, title in (("en", "Several years ahead"), ("zh", "多年规划")):
        page = tmp_path / lang / "report.html"
        code, _, err = run_main(
            "report", results, "--lang", lang, "--out", page, monkeypatch=monkeypatch
        )
        assert code == 0, err
        html = page.read_text(encoding="utf-8")
        assert title in html and "2027" in html
    years = pd.read_csv(results / "plan_years" / "years.csv")
    shortfall = f"{years['weighted_unmet_mean'].iloc[0]:,.0f}"
    assert shortfall in html  # the year's row, as the table shows it


def test_plan_years_refuses_an_out_that_is_a_file_before_any_work(tmp_path, monkeypatch):
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    code, _, err = run_main("plan-years", "--out", taken, monkeypatch=monkeypatch)
    assert code == 2 and "exists and is not a folder" in err
    assert taken.read_text(encoding="utf-8") == "not a folder"


# --- yingji plan-years with a second path of budgets ---------------------------------------

AGAINST_FAST = ("--years", "2", "--scenarios", "4", "--reps", "6")


def _plan_years(monkeypatch, scenario, out, *args):
    code, stdout, err = run_main(
        "plan-years", scenario, *AGAINST_FAST, *args, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 0, err
    return stdout


def test_a_path_set_against_itself_differs_by_exactly_zero(tiny_path, tmp_path, monkeypatch):
    """--against-rise 0 plans the same budgets twice: every paired difference is exactly 0."""
    out = tmp_path / "out"
    stdout = _plan_years(monkeypatch, tiny_path, out, "--budget", "60000", "--against-rise", "0")
    assert "What the budgets set against the plan buy (+0% a year)" in " ".join(stdout.split())
    differences = pd.read_parquet(out / "against_difference.parquet")
    assert differences["year"].tolist() == [2027, 2028]
    assert (differences["extra_yuan"] == 0).all()
    stats = [c for c in differences.columns if "_difference_" in c]
    assert len(stats) == 9 and (differences[stats] == 0.0).all().all()
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "judged.parquet"), pd.read_parquet(out / "against" / "judged.parquet")
    )
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["against_budgets_yuan"] == [60_000.0, 60_000.0]
    assert record["against_rise_percent"] == 0.0


def test_a_rising_path_reads_back_paired_and_in_the_workbook(tiny_path, tmp_path, monkeypatch):
    """The second path's tables beside the first; the reader pairs them as the console did."""
    out = tmp_path / "out"
    _plan_years(
        monkeypatch, tiny_path, out, "--budget", "30000", "--against-budgets", "30000", "90000"
    )
    written = pd.read_parquet(out / "against_difference.parquet")
    assert written["cumulative_extra_yuan"].tolist() == [0.0, 60_000.0]
    for name in ("years", "purchases", "leaving", "closing_stock", "judged"):
        assert (out / "against" / f"{name}.parquet").is_file()
        assert (out / "against" / f"{name}.csv").is_file()
    read = find_results(out).years
    assert read is not None and read.against_years is not None
    pd.testing.assert_frame_equal(read.differences, written)
    assert read.against_years["budget_yuan"].tolist() == [30_000.0, 90_000.0]
    sheet = list(openpyxl.load_workbook(out / "plan_years.xlsx")["对照 against"].values)
    assert sheet[0][:4] == ("年 year", "预算 budget (yuan)", "对照预算 against budget (yuan)",
                            "多出 extra (yuan)")  # fmt: skip
    assert [row[3] for row in sheet[1:]] == [0.0, 60_000.0]
    # a plan without a second path into the same folder leaves no stale one to be read
    _plan_years(monkeypatch, tiny_path, out, "--budget", "30000")
    assert not (out / "against").exists() and not (out / "against_difference.csv").exists()
    assert find_results(out).years.differences is None


def test_a_damaged_second_path_is_one_line(tiny_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    _plan_years(monkeypatch, tiny_path, out, "--budget", "30000", "--against-rise", "10")
    judged = pd.read_parquet(out / "against" / "judged.parquet")
    judged.drop(columns="trapped_lost").to_parquet(out / "against" / "judged.parquet")
    with pytest.raises(InputError, match=r"against/judged.parquet: changed since the run"):
        find_results(out)  # not the file the run wrote
    forget_file_hashes(out)  # a folder recorded before the hashes were: the reader's own checks
    with pytest.raises(InputError, match=r"column 'trapped_lost'.*missing"):
        find_results(out)
    judged[judged["replication"] > 0].to_parquet(out / "against" / "judged.parquet")
    with pytest.raises(InputError, match=r"does not pair .* not judged on the same years"):
        find_results(out)


def test_two_paths_give_the_same_numbers_on_any_executor(tiny_path, tmp_path, monkeypatch):
    """The paths are two tasks: in this process, each in a process of its own, or on Dask."""
    executors = {"one": ("--jobs", "1"), "two": ("--jobs", "2"), "dask": ("--local-cluster", "2")}
    for name, where in executors.items():
        rising = ("--budget", "30000", "--against-rise", "50", *where)
        _plan_years(monkeypatch, tiny_path, tmp_path / name, *rising)
    names = ["judged", "years", "purchases", "leaving", "against_difference"]
    names += [f"against/{name}" for name in ("judged", "years", "purchases", "leaving")]
    for name in names:
        for other in ("two", "dask"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "one" / f"{name}.parquet"),
                pd.read_parquet(tmp_path / other / f"{name}.parquet"),
            )
    differences = pd.read_parquet(tmp_path / "one" / "against_difference.parquet")
    assert differences["against_budget_yuan"].tolist() == [30_000.0, 45_000.0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--against-rise", "5", "--against-budgets", "1", "2"), "not allowed with argument"),
        (("--against-budgets", "1", "2", "3"), "--against-budgets gives 3 budgets for 2 years"),
        (("--against-budgets", "1e6", "nan"), "a finite amount of yuan"),
        (("--against-rise", "inf"), "a rise from -50 to 100% a year"),
        (("--against-rise", "nan"), "a rise from -50 to 100% a year"),
        (("--against-rise", "101"), "a rise from -50 to 100% a year"),
        (("--against-rise", "-60"), "a rise from -50 to 100% a year"),
        (("--against-rise", "five"), "not a rise from -50 to 100% a year"),
        (("--jobs", "2", "--local-cluster", "2"), "not allowed with argument"),
    ],
)
def test_bad_second_paths_are_refused_in_one_line(tmp_path, monkeypatch, args, fragment):
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "plan-years", "--years", "2", *args, "--out", out, monkeypatch=monkeypatch
    )
    assert code == 2, err
    said = [line for line in err.splitlines() if "error:" in line]
    assert len(said) == 1 and fragment in said[0], err
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_a_second_path_its_rules_refuse_names_the_path(tmp_path, monkeypatch):
    """Budgets too small for the minimum purchases: refused, the path named, nothing written."""
    toml = builders.ruled_toml() | {"ledger": {"plan_year": 2027}}
    ruled = builders.write_scenario(tmp_path / "ruled", toml, builders.ruled_tables())
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "plan-years", ruled, *AGAINST_FAST, "--budget", "100000", "--against-budgets", "100000",
        "10",
        "--out", out, monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 2, err
    said = [line for line in err.splitlines() if line.strip()]
    assert len(said) == 1 and "the path set against it: 2028:" in said[0], err
    assert "minimum purchases cost" in said[0]
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_the_report_sets_the_two_paths_against_each_other_in_both_languages(
    tiny_path, tmp_path, monkeypatch
):
    """Only a plan-years folder with a second path: its chart, paragraph and table, zh and en."""
    results = tmp_path / "results"
    _plan_years(monkeypatch, tiny_path, results / "plan_years", "--budget", "30000",
                "--against-rise", "50")  # fmt: skip
    differences = pd.read_csv(results / "plan_years" / "against_difference.csv")
    shown = f"{differences['weighted_unmet_difference_mean'].iloc[-1]:+,.0f}"
    expected = {
        "en": ("Year by year", "two paths of budgets: each year's money",
               "the second path of budgets minus the first", "against: +50% a year", shown),
        "zh": ("两种预算路径：每年的预算与模拟的加权缺口", "两种预算路径的逐年配对差",
               "对照：每年+50%", "累计多出（元）", shown),
    }  # fmt: skip
    for lang, phrases in expected.items():
        page = tmp_path / lang / "report.html"
        code, _, err = run_main(
            "report", results, "--lang", lang, "--out", page, monkeypatch=monkeypatch
        )
        assert code == 0, err
        section = re.search(
            r'<section id="years">(.*?)</section>', page.read_text(encoding="utf-8"), re.DOTALL
        ).group(1)
        texts = [
            html.unescape(re.sub(r"<[^>]+>", "", inner))
            for _, inner in re.findall(
                r"<(p|caption|th|td|figcaption|h2)\b[^>]*>(.*?)</\1>", section, re.DOTALL
            )
        ]
        said = " ".join(texts)
        assert all(phrase in said for phrase in phrases), (lang, said)
        if lang == "zh":  # no English left: only numbers, signs and Chinese
            assert re.findall(r"[A-Za-z]+", said) == [], said
        assert "对照 against" in openpyxl.load_workbook(page.with_suffix(".xlsx")).sheetnames


def test_a_path_lost_with_its_worker_is_one_line(tiny_scenario):
    """A pool or Dask hands back the exception that lost a task: said in one line, named."""
    task = PathTask("against", tiny_scenario, (1.0,), YearsSettings())
    with pytest.raises(RequestError, match=r"^the path set against it failed: BrokenProcessPool"):
        _planned(task, BrokenProcessPool("A child process terminated abruptly"))
