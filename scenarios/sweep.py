"""Sweep files: a base scenario (or many counties), a grid of changes, what every cell does.

A sweep file is TOML with two tables::

    [sweep]
    scenario = "default_county.toml"    # relative to this file; "default" is the bundled county
    action = "optimise"                 # optimise then evaluate, or "evaluate" the plans only
    plans = ["plans/ours.csv"]          # plan files evaluated in every cell
    baselines = ["status_quo", "last_year_rule"]
    reps = 200                          # simulated years per plan and cell
    sampled_years = 200                 # years in the optimiser's sample

    [grid]
    budget_yuan = [1_000_000, 2_000_000]
    rain_intensity = { values = [1.0, 1.8], labels = ["normal", "wet"] }
    "teams.T01.members" = [40, 60]      # any scenario field, by a dotted path

The cells are the Cartesian product of the axes. Every cell's scenario is built
and validated when the file is read, so a bad value is refused in one line
before any cell runs. Rows of the scenario's tables are addressed by their id
(``teams.T01``, ``items.sandbag``) or, where two columns make the key, by both
joined with ``/`` (``stock.D01/sandbag``, ``demand.flood/sandbag``).

A province sweeps many counties, one county file each, instead of one scenario::

    [sweep]
    counties = ["counties/*.toml", "north/north_county.xlsx"]   # relative to this file

    [grid]
    budget_factor = [1.0, 1.2]          # times each county's own procurement budget

Each entry is a county file (TOML with its tables, or an ``.xlsx`` workbook) or a
glob, expanded in sorted order; the counties are the sweep's first axis,
``county``, valued by each county's ``scenario_id`` and labelled by its names.
Every county is loaded and validated when the sweep file is read, so a bad
county is refused in one line naming its file; the grid is then applied to each.
Budgets differ by county, so ``budget_factor`` scales each county's own budget
(rounded to whole yuan), where ``budget_yuan`` would give every county the same
sum. Each county runs on its own seed unless ``[sweep] seed`` sets one for all;
``[grid]`` may be left out to run every county as it is. Plan files name one
county's depots and items, so ``plans`` is refused with ``counties``.

Only the counties are kept in memory (1.44 MB each for the bundled county, where
a cell's validated copy holds 2.3 MB): a cell's scenario is validated when the
file is read, then dropped, and built again from its county where the cell runs
(:meth:`Sweep.cell_scenario`); a cell that changes nothing is its county itself.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from scenarios.errors import InputError, from_validation
from scenarios.loader import (
    default_scenario_path,
    input_files,
    load,
    read_toml,
    validate_scenario,
)
from scenarios.plan import Plan, load_plan
from scenarios.schema import (
    Agreement,
    Count,
    DemandProfile,
    Depot,
    Dispatch,
    Frozen,
    Hazard,
    Item,
    Penalties,
    Procurement,
    RainEpisodes,
    Scenario,
    StockLine,
    Team,
    Township,
    Travel,
)

# Each cell is an optimisation of minutes: a thousand cells is days of solving. Cells were
# once all held as validated scenarios (2.3 MB each for the bundled county, measured), and
# 10,000 filled the memory while loading; now only the counties are held.
MAX_CELLS = 1000

BaselineName = Literal["status_quo", "last_year_rule", "equal_split", "top_up"]

# Axes with a name of their own; every other axis is a dotted path into the scenario.
SCENARIO_ALIASES = {"budget_yuan": "procurement_budget_yuan"}
STAFF_BUDGET_AXIS = "staff_budget_yuan"
JOINT_BUDGET_AXIS = "joint_budget_yuan"
REQUEST_AXES = {STAFF_BUDGET_AXIS, JOINT_BUDGET_AXIS}  # what the optimiser is given, not data
BUDGET_FACTOR_AXIS = "budget_factor"
MULTIPLIER_AXES = {
    "hazard_intensity": "every hazard's annual rate",
    "rain_intensity": "the annual rate of every rain-triggered hazard",
    BUDGET_FACTOR_AXIS: "the county's own procurement budget",
}
# the field each named axis sets, where two axes could set the same one
AXIS_TARGETS = SCENARIO_ALIASES | {BUDGET_FACTOR_AXIS: "procurement_budget_yuan"}
COUNTY_AXIS = "county"  # the counties of [sweep] counties: chosen, not a change to a scenario
NAMED_AXES = set(SCENARIO_ALIASES) | REQUEST_AXES | set(MULTIPLIER_AXES)
SECTIONS: dict[str, type[BaseModel]] = {
    "penalties": Penalties,
    "travel": Travel,
    "dispatch": Dispatch,
    "rain_episodes": RainEpisodes,
    "procurement": Procurement,
}
ROWS: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "townships": (Township, ("township_id",)),
    "items": (Item, ("item_id",)),
    "depots": (Depot, ("depot_id",)),
    "stock": (StockLine, ("depot_id", "item_id")),
    "teams": (Team, ("team_id",)),
    "agreements": (Agreement, ("agreement_id", "item_id")),
    "demand": (DemandProfile, ("hazard", "item_id")),
    "hazards": (Hazard, ("hazard_id",)),
}
NOT_SWEPT = {"source_path", "replay", "replay_years"}


class SweepSettings(Frozen):
    """The ``[sweep]`` table: the base scenario and what every cell does."""

    name_zh: str = ""
    name_en: str = ""
    scenario: str = "default"
    counties: tuple[str, ...] = ()  # county files or globs, instead of one scenario
    action: Literal["optimise", "evaluate"] = "optimise"
    plans: tuple[str, ...] = ()
    baselines: tuple[BaselineName, ...] = ("status_quo", "last_year_rule")
    # the CLI's bounds on --reps and --scenarios (planner/cli.py): beyond, a cell does not fit
    reps: Annotated[int, Field(ge=1, le=100_000)] = 200
    seed: Count | None = None
    sampled_years: Annotated[int, Field(ge=1, le=5_000)] = 200
    time_limit_s: Annotated[float, Field(gt=0.0, le=7 * 24 * 3600.0)] = 120.0  # a week a solve
    mip_gap: Annotated[float, Field(ge=0.0, lt=1.0)] = 1e-3
    solver: Literal["highs", "cbc"] = "highs"

    @field_validator("action", mode="before")
    @classmethod
    def _either_spelling(cls, value: object) -> object:
        return "optimise" if value == "optimize" else value


@dataclass(frozen=True, slots=True)
class Axis:
    """One dimension of the grid: a name, its values and a label for each value."""

    name: str
    values: tuple[Any, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """One point of the grid: a value (and its label) for every axis."""

    index: int
    choices: tuple[tuple[str, Any], ...]
    labels: tuple[tuple[str, str], ...]

    def value(self, axis: str, default: Any = None) -> Any:
        """This cell's value on ``axis``, or ``default`` if the grid has no such axis."""
        return dict(self.choices).get(axis, default)

    def describe(self) -> str:
        """``budget_yuan=1000000, rain_intensity=wet``: the cell in one line."""
        return ", ".join(f"{name}={label}" for name, label in self.labels)


@dataclass(frozen=True, slots=True)
class Sweep:
    """A validated sweep: settings, the counties, the grid, its cells and the plan files.

    ``counties`` is the one base scenario for a sweep of one county. A cell's
    scenario is built from its county when asked for (:meth:`cell_scenario`):
    every cell was validated when the file was read, so building it again cannot fail.
    """

    path: Path
    settings: SweepSettings
    counties: tuple[Scenario, ...]
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    plans: tuple[Plan, ...]
    inputs_sha256: str
    county_paths: tuple[Path, ...] = ()

    @property
    def base(self) -> Scenario:
        """The base scenario (a province's first county)."""
        return self.counties[0]

    @property
    def seed(self) -> int:
        """The base seed of every cell (common random numbers across the grid)."""
        return self.base.seed if self.settings.seed is None else self.settings.seed

    @property
    def name(self) -> str:
        """The sweep's display name."""
        return self.settings.name_en or self.settings.name_zh or self.path.stem

    def county(self, cell: Cell) -> Scenario:
        """The county (base scenario) ``cell`` changes."""
        return self.counties[self._county_index(cell)]

    def _county_index(self, cell: Cell) -> int:
        if not self.county_paths:
            return 0
        return self.axes[0].values.index(cell.value(COUNTY_AXIS))

    def cell_seed(self, cell: Cell) -> int:
        """``cell``'s seed: the sweep's, else its county's own."""
        return self.county(cell).seed if self.settings.seed is None else self.settings.seed

    def cell_scenario(self, cell: Cell) -> Scenario:
        """``cell``'s scenario, built from its county (its county itself when nothing changes)."""
        return apply_changes(self.county(cell), cell.choices, self.path)

    @property
    def cell_scenarios(self) -> Sequence[Scenario]:
        """Every cell's scenario, each built when it is read (none kept)."""
        return _CellScenarios(self)


class _CellScenarios(Sequence):
    """The cells' scenarios as a sequence that builds each one on demand."""

    def __init__(self, sweep: Sweep) -> None:
        self._sweep = sweep

    def __len__(self) -> int:
        return len(self._sweep.cells)

    def __getitem__(self, index):  # a slice is not needed by any caller
        return self._sweep.cell_scenario(self._sweep.cells[index])

    def __iter__(self) -> Iterator[Scenario]:
        return (self._sweep.cell_scenario(cell) for cell in self._sweep.cells)


def default_sweep_path() -> Path:
    """Path of the bundled example sweep (the default county over budgets, normal and wet)."""
    return default_scenario_path().with_name("budget_sweep.toml")


def load_sweep(path: str | Path | None = None) -> Sweep:
    """Read a sweep file and validate every cell; ``None`` reads the bundled example."""
    path = Path(path) if path is not None else default_sweep_path()
    document = read_toml(path)
    unknown = sorted(set(document) - {"sweep", "grid"})
    if unknown:
        raise InputError(path, unknown[0], "unknown section (a typo?); use [sweep] and [grid]")
    settings = _settings(document.get("sweep", {}), path)
    county_paths = _county_paths(settings, path)
    grid = document.get("grid")
    axes = _axes(grid, path) if grid is not None or not county_paths else ()
    _check_cell_count(axes, len(county_paths) or 1, path)
    scenario_paths = list(county_paths) or [_scenario_path(settings, path)]
    counties = _counties(scenario_paths, path) if county_paths else (load(scenario_paths[0]),)
    if county_paths:
        axes = (_county_axis(counties), *axes)
    base = counties[0]
    plan_paths = [_plan_path(text, index, path) for index, text in enumerate(settings.plans)]
    plans = tuple(load_plan(plan_path, base) for plan_path in plan_paths)
    _check_plan_ids(plans, plan_paths, settings, path)
    cells = _cells(axes)
    sweep = Sweep(path, settings, counties, axes, cells, plans, "", tuple(county_paths))
    _check_cells(sweep, plan_paths)
    files = [path, *(f for p in scenario_paths for f in input_files(p)), *plan_paths]
    return Sweep(
        path,
        settings,
        counties,
        axes,
        cells,
        plans,
        _inputs_sha256(files, path),
        tuple(county_paths),
    )


def _check_cells(sweep: Sweep, plan_paths: list[Path]) -> None:
    """Build every axis value's and every cell's scenario once, to refuse a bad one now.

    Each is dropped once checked: a province's cells would not fit in memory.
    """
    changed = {a.name for a in sweep.axes} - REQUEST_AXES - {COUNTY_AXIS}
    for index, county in enumerate(sweep.counties):
        with _naming_county(sweep, index):
            for axis in (a for a in sweep.axes if a.name in changed):
                for value in axis.values:
                    apply_changes(county, ((axis.name, value),), sweep.path)
    for cell in sweep.cells:
        # a cell of one change was built just above, as its axis's value
        if sum(name in changed for name, _ in cell.choices) > 1:
            _cell_scenario(sweep.county(cell), cell, sweep.path)
        if plan_paths and any(name in changed for name, _ in cell.choices):
            cell_scenario = sweep.cell_scenario(cell)
            for plan_path in plan_paths:
                load_plan(plan_path, cell_scenario)


@contextmanager
def _naming_county(sweep: Sweep, index: int) -> Iterator[None]:
    """A grid value that breaks one county of several: the refusal names that county's file."""
    try:
        yield
    except InputError as error:
        if not sweep.county_paths:
            raise
        county = f"for county {sweep.counties[index].scenario_id} ({sweep.county_paths[index]})"
        raise InputError(
            error.file, error.field, f"{error.problem} {county}", error.value
        ) from None


def _settings(raw: object, path: Path) -> SweepSettings:
    if not isinstance(raw, dict):
        raise InputError(path, "sweep", "must be a table", raw)
    try:
        settings = SweepSettings(**raw)
    except ValidationError as error:
        raise from_validation(error, path, "sweep") from None
    if settings.action == "evaluate" and not (settings.plans or settings.baselines):
        raise InputError(path, "sweep.plans", "an evaluate sweep needs plan files or baselines")
    if settings.counties and "scenario" in raw:
        problem = "name one scenario or a list of counties, not both"
        raise InputError(path, "sweep.counties", problem)
    if settings.counties and settings.plans:
        problem = "plan files name one county's depots and items: not with counties"
        raise InputError(path, "sweep.plans", problem, settings.plans[0])
    if "counties" in raw and not settings.counties:
        raise InputError(path, "sweep.counties", "empty list: name at least one county file")
    return settings


def _scenario_path(settings: SweepSettings, path: Path) -> Path:
    if settings.scenario == "default":
        return default_scenario_path()
    scenario_path = path.parent / settings.scenario
    if not scenario_path.is_file():
        raise InputError(path, "sweep.scenario", "file not found", settings.scenario)
    return scenario_path


def _county_paths(settings: SweepSettings, path: Path) -> list[Path]:
    """The county files ``[sweep] counties`` names: globs expanded, in sorted order."""
    found: list[Path] = []
    resolved: set[Path] = set()
    for index, text in enumerate(settings.counties):
        field = f"sweep.counties[{index}]"
        if any(mark in text for mark in "*?["):
            matched = sorted(p for p in path.parent.glob(text) if p.is_file() and p != path)
            if not matched:
                raise InputError(path, field, "matches no county file", text)
        else:
            matched = [path.parent / text]
            if not matched[0].is_file():
                raise InputError(path, field, "county file not found", text)
        for county_path in matched:
            if county_path.resolve() in resolved:
                raise InputError(path, field, "names a county file listed already", text)
            resolved.add(county_path.resolve())
            found.append(county_path)
    return found


def _counties(paths: list[Path], path: Path) -> tuple[Scenario, ...]:
    """Load and validate every county; two counties with one id or one name are refused."""
    counties: list[Scenario] = []
    seen: dict[str, Path] = {}
    for county_path in paths:
        county = load(county_path)  # a bad county: one line naming its own file
        for key in (county.scenario_id, _county_label(county)):
            if key in seen:
                problem = f"names a county {key!r} as {seen[key].name} does; give each its own"
                raise InputError(county_path, "scenario", problem)
            seen[key] = county_path
        counties.append(county)
    return tuple(counties)


def _county_label(county: Scenario) -> str:
    """A county's label: its names, Chinese first (each report shows its language's)."""
    return f"{county.name_zh} {county.name_en}".strip()


def _county_axis(counties: tuple[Scenario, ...]) -> Axis:
    """The counties as the sweep's first axis: valued by id, labelled by name."""
    ids = tuple(county.scenario_id for county in counties)
    return Axis(COUNTY_AXIS, ids, tuple(_county_label(county) for county in counties))


def _plan_path(text: str, index: int, path: Path) -> Path:
    plan_path = path.parent / text
    if not plan_path.is_file():
        raise InputError(path, f"sweep.plans[{index}]", "plan file not found", text)
    return plan_path


def _check_plan_ids(
    plans: tuple[Plan, ...], paths: list[Path], settings: SweepSettings, path: Path
) -> None:
    taken = {*settings.baselines, "optimised"}
    for index, (plan, plan_path) in enumerate(zip(plans, paths, strict=True)):
        if plan.plan_id in taken:
            problem = f"another plan is already called {plan.plan_id!r}; rename the file"
            raise InputError(path, f"sweep.plans[{index}]", problem, plan_path.name)
        taken.add(plan.plan_id)


def _axes(grid: object, path: Path) -> tuple[Axis, ...]:
    if grid is None:
        raise InputError(path, "grid", "missing table: name at least one axis to sweep")
    if not isinstance(grid, dict):
        raise InputError(path, "grid", "must be a table", grid)
    if COUNTY_AXIS in grid:
        problem = "counties are listed in [sweep] counties, not on the grid"
        raise InputError(path, f"grid.{COUNTY_AXIS}", problem)
    axes = [_axis(name, raw, path) for name, raw in _flatten(grid)]
    if not axes:
        raise InputError(path, "grid", "empty grid: name at least one axis to sweep")
    targets: dict[str, str] = {}
    for axis in axes:
        target = AXIS_TARGETS.get(axis.name, axis.name)
        if target in targets:
            other = targets[target]
            problem = "named twice" if other == axis.name else f"sets the same field as {other}"
            raise InputError(path, f"grid.{axis.name}", problem)
        targets[target] = axis.name
    if set(targets) >= REQUEST_AXES:
        problem = f"excludes {STAFF_BUDGET_AXIS}: one joint pot, or a staffing budget of its own"
        raise InputError(path, f"grid.{JOINT_BUDGET_AXIS}", problem)
    return tuple(axes)


def _check_cell_count(axes: tuple[Axis, ...], counties: int, path: Path) -> None:
    """Refuse more cells than :data:`MAX_CELLS`, before any county is loaded or cell built."""
    count = counties * math.prod(len(axis.values) for axis in axes)
    if count > MAX_CELLS:
        sizes = [f"{len(axis.values)} {axis.name}" for axis in axes]
        sizes = " x ".join([f"{counties} counties"] * (counties > 1) + sizes)
        problem = (
            f"{sizes} is {count:,} cells, more than the {MAX_CELLS:,} one sweep holds: "
            "split the grid into several sweeps (each its own --out)"
        )
        raise InputError(path, "grid", problem)


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Axes from ``[grid]``: unquoted dotted keys arrive as nested tables, so join them."""
    axes = []
    for key, raw in table.items():
        name = f"{prefix}{key}"
        if isinstance(raw, dict) and raw and not _is_axis_table(name, raw):
            axes.extend(_flatten(raw, f"{name}."))
        else:
            axes.append((name, raw))
    return axes


def _is_axis_table(name: str, raw: dict[str, Any]) -> bool:
    """``{ values = [...], labels = [...] }``, as opposed to a nested dotted key."""
    return name in NAMED_AXES or "values" in raw or "labels" in raw


def _axis(name: str, raw: object, path: Path) -> Axis:
    field = f"grid.{name}"
    labels: list[str] | None = None
    if isinstance(raw, dict):
        extra = sorted(set(raw) - {"values", "labels"})
        if extra:
            raise InputError(path, f"{field}.{extra[0]}", "unknown key: use values and labels")
        if "values" not in raw:
            raise InputError(path, field, "an axis table needs values (and may have labels)", raw)
        labels = raw.get("labels")
        raw = raw.get("values")
    if not isinstance(raw, list):
        raise InputError(path, field, "must be a list of values", raw)
    if not raw:
        raise InputError(path, field, "empty list: give at least one value")
    values = _same_number_type(tuple(_axis_value(name, value, path) for value in raw))
    if len({value_label(v) for v in values}) != len(values):
        raise InputError(path, field, "values repeat", raw)
    if labels is None:
        labels = [value_label(value) for value in values]
    if not isinstance(labels, list) or len(labels) != len(values):
        raise InputError(path, f"{field}.labels", "must be a list as long as values", labels)
    if len(set(map(str, labels))) != len(labels):
        raise InputError(path, f"{field}.labels", "labels repeat", labels)
    return Axis(name, values, tuple(str(label) for label in labels))


def _axis_value(name: str, value: object, path: Path) -> Any:
    if name in NAMED_AXES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(path, f"grid.{name}", "must be a number", value)
        if not math.isfinite(value) or value < 0:
            raise InputError(path, f"grid.{name}", "must be a finite number >= 0", value)
        return float(value)
    return value


def _same_number_type(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Whole numbers become floats when the axis also has fractions (one column type)."""
    numbers = [isinstance(v, int | float) and not isinstance(v, bool) for v in values]
    if all(numbers) and any(isinstance(v, float) for v in values):
        return tuple(float(v) for v in values)
    return values


def value_label(value: object) -> str:
    """How a grid value is shown: ``1000000`` for 1e6, JSON for lists and tables."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _cells(axes: tuple[Axis, ...]) -> tuple[Cell, ...]:
    choices = [list(zip(axis.values, axis.labels, strict=True)) for axis in axes]
    cells = []
    for index, picked in enumerate(itertools.product(*choices)):
        values = tuple((axis.name, value) for axis, (value, _) in zip(axes, picked, strict=True))
        labels = tuple((axis.name, label) for axis, (_, label) in zip(axes, picked, strict=True))
        cells.append(Cell(index, values, labels))
    return tuple(cells)


def _cell_scenario(base: Scenario, cell: Cell, path: Path) -> Scenario:
    try:
        return apply_changes(base, cell.choices, path)
    except InputError as error:
        if sum(name != COUNTY_AXIS for name, _ in cell.choices) == 1:
            raise
        raise InputError(
            path, "grid", f"cell {cell.index} ({cell.describe()}) is invalid: {error.problem}"
        ) from None


def apply_changes(base: Scenario, values: tuple[tuple[str, Any], ...], path: Path) -> Scenario:
    """The base scenario with a cell's values set; refused in one line if that breaks it.

    Dotted paths are set first, then the multipliers scale the rates and the budget.
    The staffing and joint budgets are given to the optimiser and leave it unchanged,
    and so does the county, chosen before.
    """
    kept = REQUEST_AXES | {COUNTY_AXIS}
    changes = [(name, value) for name, value in values if name not in kept]
    if not changes:
        return base
    data, before = base.model_dump(), base.model_dump()
    for name, value in changes:
        if name not in MULTIPLIER_AXES:
            target = SCENARIO_ALIASES.get(name, name)
            _set(data, target.split("."), value, Scenario, name, path)
    for name, value in changes:
        if name == BUDGET_FACTOR_AXIS:
            # whole yuan: 2,800,000 x 1.2 is 3,360,000, not 3,360,000.0000000005
            data["procurement_budget_yuan"] = round(data["procurement_budget_yuan"] * value)
        elif name in MULTIPLIER_AXES:
            _scale_rates(data, name, value)
    if data == before:  # a factor of 1, a value as it was: the base, checked already
        return base
    try:
        return validate_scenario(data, path)
    except InputError as error:
        shown = dict(changes)
        label = next(iter(shown)) if len(shown) == 1 else "grid"
        field = f"grid.{label}" if label != "grid" else label
        value = shown[label] if label != "grid" else None
        raise InputError(
            path, field, f"makes the scenario invalid: {_inner(error)}", value
        ) from None


def _inner(error: InputError) -> str:
    return f"{error.field}: {error.problem}" if error.field else error.problem


def _scale_rates(data: dict[str, Any], axis: str, factor: float) -> None:
    for hazard in data["hazards"]:
        if axis == "hazard_intensity" or hazard["trigger"] == "rain":
            hazard["annual_rate"] *= factor


def _set(
    data: dict[str, Any],
    parts: list[str],
    value: Any,
    model: type[BaseModel],
    axis: str,
    path: Path,
) -> None:
    head, rest = parts[0], parts[1:]
    field = f"grid.{axis}"
    if head not in model.model_fields or (model is Scenario and head in NOT_SWEPT):
        raise InputError(path, field, f"unknown field {head!r} (a typo?)")
    if not rest:
        data[head] = value
        return
    if model is Scenario and head in ROWS:
        row_model, keys = ROWS[head]
        row = _find_row(data[head], keys, rest[0], head, field, path)
        if not rest[1:]:
            raise InputError(path, field, f"names a row of {head}; add the field to set")
        _set(row, rest[1:], value, row_model, axis, path)
    elif model is Scenario and head in SECTIONS:
        if data[head] is None:
            raise InputError(path, field, f"the scenario has no [{head}] section")
        _set(data[head], rest, value, SECTIONS[head], axis, path)
    elif typing.get_origin(model.model_fields[head].annotation) is dict and len(rest) == 1:
        data[head] = {**data[head], rest[0]: value}
    else:
        raise InputError(path, field, f"{head!r} has no field {'.'.join(rest)!r}")


def _find_row(
    rows: list[dict[str, Any]], keys: tuple[str, ...], text: str, table: str, field: str, path
) -> dict[str, Any]:
    wanted = text.split("/")
    if len(wanted) > len(keys):
        raise InputError(path, field, f"rows of {table} are keyed by {'/'.join(keys)}", text)
    found = [row for row in rows if [row[k] for k in keys[: len(wanted)]] == wanted]
    if not found:
        raise InputError(path, field, f"no row of {table} has {'/'.join(keys)} {text!r}")
    if len(found) > 1:
        raise InputError(path, field, f"{text!r} matches several rows; use {'/'.join(keys)}")
    return found[0]


def _inputs_sha256(files: list[Path], sweep_path: Path) -> str:
    """One hash over the sweep file, the scenario and its tables, and the plan files."""
    digest = hashlib.sha256()
    for file in files:
        try:
            content = file.read_bytes()
        except OSError as error:
            raise InputError(file, "", f"cannot read the file: {error}") from None
        digest.update(file.name.encode())
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    digest.update(str(sweep_path.name).encode())
    return digest.hexdigest()
