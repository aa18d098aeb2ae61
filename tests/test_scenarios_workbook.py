"""The county as one Excel workbook, and budgets written as people write them.

A workbook (``write_county_workbook``) holds every table of a scenario as a
sheet and its settings on a settings sheet; ``scenarios.load`` reads it back
through the same validation as TOML and CSV. Each refusal names the workbook,
the sheet, the row, the column and the value, in one line.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from scenarios import load
from tests import builders
from tests.support import expect_input_error

# ---------------------------------------------------------------- money as people write it


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        ("2.8M", 2_800_000),
        ("280万", 2_800_000),
        ("280万元", 2_800_000),
        ("1.5亿", 150_000_000),
        ("2,800,000", 2_800_000),
        ("2800000元", 2_800_000),
        ("2800000", 2_800_000),
        (2_800_000, 2_800_000),
    ],
)
def test_a_budget_in_the_toml_is_read_as_written_in_a_plan(
    tmp_path: Path, written: object, yuan: float
) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = written
    toml["procurement"] = {
        "last_year_category_shares": {"flood": 1.0},
        "staffing_budget_yuan": written,
    }
    scenario = load(builders.write_scenario(tmp_path, toml=toml))
    assert scenario.procurement_budget_yuan == yuan
    assert scenario.procurement is not None
    assert scenario.procurement.staffing_budget_yuan == yuan


def test_every_yuan_setting_reads_ten_thousands(tmp_path: Path) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["penalties"]["rescue_work_yuan_per_person_hour"] = "0.03万"
    toml["everyday"] = {"unanswered_yuan": "2,250元"}
    toml["objective"] = {"minimise": "mix", "life_yuan": "300万", "relief_person_yuan": "1万"}
    scenario = load(builders.write_scenario(tmp_path, toml=toml))
    assert scenario.penalties.rescue_work_yuan_per_person_hour == 300
    assert scenario.everyday.unanswered_yuan == 2250
    assert (scenario.objective.life_yuan, scenario.objective.relief_person_yuan) == (3e6, 1e4)


@pytest.mark.parametrize("written", ["2.8 million", "2,80,000", "¥2800000", "280 thousand", "2.8m"])
def test_a_budget_in_another_form_is_refused_showing_the_forms_read(
    tmp_path: Path, written: str
) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = written
    path = builders.write_scenario(tmp_path, toml=toml)
    message = expect_input_error(
        lambda: load(path),
        path,
        "scenario.procurement_budget_yuan",
        "not an amount of yuan",
        "280万",
        "2.8M",
        f"(got {written!r})",
    )
    assert message.count("\n") == 0


def test_a_negative_budget_is_refused_as_below_zero(tmp_path: Path) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["procurement_budget_yuan"] = "-280万"
    path = builders.write_scenario(tmp_path, toml=toml)
    expect_input_error(lambda: load(path), path, "procurement_budget_yuan", "greater than or equal")
