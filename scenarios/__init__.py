"""Layer 1: the scenario schema, its loader and the bundled county files."""

from scenarios.county_workbook import write_county_workbook
from scenarios.errors import InputError
from scenarios.loader import default_scenario_path, load
from scenarios.plan import Plan, load_plan
from scenarios.schema import Scenario

__all__ = [
    "InputError",
    "Plan",
    "Scenario",
    "default_scenario_path",
    "load",
    "load_plan",
    "write_county_workbook",
]
