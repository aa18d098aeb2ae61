"""Read a scenario (TOML plus side CSV tables, or one workbook) into a validated :class:`Scenario`.

Parse, fill defaults, validate each row, then check every cross-reference.
Anything wrong raises :class:`InputError` with one line naming the file, the
field path (in a workbook: the sheet, row and column) and the value. A workbook
(:mod:`scenarios.workbook`) gives the same rows and settings document as TOML and
CSV, and from there both take the one path through :func:`_scenario`.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from scenarios import ledger, rules, size
from scenarios.errors import InputError, from_validation
from scenarios.files import read_csv_text
from scenarios.schema import (
    ReplayEvent,
    ReplayYear,
    Scenario,
)
from scenarios.sources import (
    OPTIONAL_TABLES,
    REFUSED_WORKBOOK_SUFFIXES,
    REPLAY_COLUMNS,
    REPLAY_EVENT_FIELDS,
    REPLAY_WEIGHT_COLUMNS,
    REQUIRED_TABLES,
    ROW_MODELS,
    SCENARIO_SECTION_FIELDS,
    TOP_LEVEL_KEYS,
    WORKBOOK_SUFFIX,
    Settings,
    Table,
    default_scenario_path,
)
from scenarios.workbook import read_workbook

PROBABILITY_TOLERANCE = 1e-6  # how far from 1 a published set's probabilities may sum


def load(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario: TOML and its CSV tables, or one .xlsx workbook.

    ``None`` loads the bundled default county.
    """
    path = Path(path) if path is not None else default_scenario_path()
    document, tables, settings = read_sources(path)
    return _scenario(document, tables, settings)


def read_sources(path: Path) -> tuple[dict[str, Any], dict[str, Table], Settings]:
    """A scenario's settings as a TOML document, its tables, and where the settings are."""
    suffix = path.suffix.lower()
    if suffix in REFUSED_WORKBOOK_SUFFIXES:
        problem = f"a {suffix} workbook is not read: save it as an Excel workbook (.xlsx)"
        raise InputError(path, "", problem)
    if suffix == WORKBOOK_SUFFIX:
        return read_workbook(path)
    document = read_toml(path)
    _check_sections(document, Settings(path))
    paths = _table_paths(document.get("tables"), path)
    return document, {name: _read_csv(file) for name, file in paths.items()}, Settings(path)


def _check_sections(document: dict[str, Any], settings: Settings) -> None:
    unknown = sorted(set(document) - TOP_LEVEL_KEYS)
    if unknown:
        raise settings.error(unknown[0], "unknown section (a typo?)")


def _scenario(document: dict[str, Any], tables: dict[str, Table], settings: Settings) -> Scenario:
    """Validate a scenario read from either form: every rule of the loader is here, once."""
    rows = {name: _read_rows(tables[name], name) for name in ROW_MODELS if name in tables}
    for name in ("townships", "items", "depots", "teams"):
        if not rows[name]:
            table = tables[name]
            raise table.error(table.named(), "table has no rows")
    raw = dict(_section(document, "scenario", settings))
    unknown = sorted(set(raw) - SCENARIO_SECTION_FIELDS)
    if unknown:
        raise settings.error(f"scenario.{unknown[0]}", "unknown key (a typo?)")
    sections = ("penalties", "travel", "dispatch", "rain_episodes", "procurement", "rules")
    later = ("outcomes", "objective", "norm_rules", "everyday", "ledger", "delivery")
    for name in (*sections, *later):
        if name in document:
            raw[name] = _section(document, name, settings)
    hazards = document.get("hazards", [])
    if not isinstance(hazards, list):
        raise settings.error("hazards", "must be a list of [[hazards]] tables", hazards)
    raw["hazards"] = hazards
    raw.update({name: values for name, values in rows.items()})
    raw["source_path"] = str(settings.file)
    if "travel_matrix" in tables and isinstance(raw.get("travel"), dict):
        ids = [row.township_id for row in rows["townships"]]
        raw["travel"] = {**raw["travel"], "matrix_h": _read_matrix(tables["travel_matrix"], ids)}
    replay_lines: list[int] = []
    if "replay" in tables:
        raw["replay"], raw["replay_years"], replay_lines = _read_replay(tables["replay"])
    try:
        scenario = Scenario(**raw)
    except ValidationError as error:
        names = [h.get("hazard_id", "") if isinstance(h, dict) else "" for h in hazards]
        raise _scenario_error(error, settings, names) from None
    _check_references(scenario, settings, tables, replay_lines)
    return scenario


def input_files(path: str | Path | None = None) -> list[Path]:
    """The scenario file and every table it names, in a stable order (for hashing inputs).

    A workbook holds its tables: it is its own one input.
    """
    path = Path(path) if path is not None else default_scenario_path()
    if path.suffix.lower() == WORKBOOK_SUFFIX:
        return [path]
    tables = _table_paths(read_toml(path).get("tables"), path)
    return [path, *(tables[name] for name in sorted(tables))]


def validate_scenario(data: dict[str, Any], file: Path) -> Scenario:
    """Validate scenario data made in code (a sweep cell's changes); errors name ``file``."""
    try:
        scenario = Scenario(**data)
    except ValidationError as error:
        raise from_validation(error, file) from None
    tables = dict.fromkeys(REQUIRED_TABLES + OPTIONAL_TABLES, Table(file))
    _check_references(scenario, Settings(file), tables)
    return scenario


def _scenario_error(error: ValidationError, settings: Settings, names: list[str]) -> InputError:
    loc = error.errors()[0]["loc"]
    prefix = "scenario" if loc and loc[0] in SCENARIO_SECTION_FIELDS else ""
    inner = from_validation(error, settings.file, prefix, names if loc[0] == "hazards" else ())
    return settings.error(inner.field, inner.problem, inner.value)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict (a byte-order mark, as Windows editors write, is allowed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, "", f"cannot read the file: {error}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, "", f"not valid TOML: {error}") from None


def _section(document: dict[str, Any], name: str, settings: Settings) -> dict[str, Any]:
    value = document.get(name)
    if value is None:
        raise settings.error(name, "missing section")
    if not isinstance(value, dict):
        raise settings.error(name, "must be a table", value)
    return value


def _table_paths(tables: Any, path: Path) -> dict[str, Path]:
    if not isinstance(tables, dict):
        raise InputError(path, "tables", "missing section naming the CSV tables")
    for key, value in tables.items():
        if key not in REQUIRED_TABLES + OPTIONAL_TABLES:
            raise InputError(path, f"tables.{key}", "unknown table (a typo?)")
        if not isinstance(value, str):
            raise InputError(path, f"tables.{key}", "must be a file name", value)
    for key in REQUIRED_TABLES:
        if key not in tables:
            raise InputError(path, f"tables.{key}", "missing")
    resolved = {key: path.parent / value for key, value in tables.items()}
    for key, table in resolved.items():
        if not table.is_file():
            raise InputError(path, f"tables.{key}", "file not found", str(tables[key]))
    return resolved


def _read_csv(path: Path) -> Table:
    try:
        reader = csv.DictReader(io.StringIO(read_csv_text(path), newline=""))
        rows = list(reader)
        header = list(reader.fieldnames or [])
    except UnicodeDecodeError:
        raise InputError(path, "", "not UTF-8 or GB18030/GBK text: save it as CSV UTF-8") from None
    except (OSError, csv.Error) as error:
        raise InputError(path, "", f"cannot read the file: {error}") from None
    if not header:
        raise InputError(path, "", "empty table (no header row)")
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"row {line}", "more values than header columns")
    return Table(path, tuple(header), tuple(rows), tuple(range(2, len(rows) + 2)))


def _read_rows(table: Table, name: str) -> list[BaseModel]:
    model = ROW_MODELS[name]
    known = set(model.model_fields)
    for column in table.header:
        if column not in known:
            shown = column if table.sheet else None  # a header cell says more than its key
            raise table.error(table.column(column), "unknown column (a typo?)", shown)
    parsed = []
    for line, row in zip(table.lines, table.rows, strict=True):
        values = {k: v for k, v in row.items() if v is not None and v.strip() != ""}
        try:
            parsed.append(model(**values))
        except ValidationError as error:
            raise table.row_error(error, line) from None
    return parsed


def _read_matrix(table: Table, township_ids: list[str]) -> tuple[tuple[float, ...], ...]:
    header, rows = table.header, table.rows
    columns = header[1:]
    if header[0] != "township_id":
        where = table.column("1") if table.sheet else "column 1"
        raise table.error(where, "must be 'township_id'", header[0])
    row_ids = [row["township_id"] for row in rows]
    if len(columns) != len(rows):
        shape = f"{len(rows)} rows x {len(columns)} columns"
        raise table.error(table.named(), f"travel matrix is not square ({shape})")
    if sorted(columns) != sorted(township_ids) or sorted(row_ids) != sorted(township_ids):
        missing = sorted(set(township_ids) ^ set(columns)) or sorted(
            set(township_ids) ^ set(row_ids)
        )
        shown = missing[:3] or [_duplicates(row_ids) or _duplicates(columns)]
        raise table.error(table.named("township_id"), "does not list exactly the townships", shown)
    numbered = zip(table.lines, rows, strict=True)
    matrix = []
    for line, row in sorted(numbered, key=lambda pair: township_ids.index(pair[1]["township_id"])):
        values = []
        for column in township_ids:
            text = row[column]
            value = _number(text)
            if value is None or value < 0:
                where = table.at(line, column, "column")
                raise table.error(where, "travel time must be >= 0 h", text)
            values.append(value)
        matrix.append(tuple(values))
    return tuple(matrix)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _read_replay(
    table: Table,
) -> tuple[tuple[ReplayEvent, ...], tuple[ReplayYear, ...], list[int]]:
    """The replayed events, the recorded years, and each event's line in the file.

    A row that gives its year and nothing about an event records a quiet year.
    A ``probability`` or ``weight`` column gives each year's probability.
    """
    header, rows = table.header, table.rows
    weight_column = _check_replay_header(table)
    if not rows:
        raise table.error(table.named(), "event table has no rows")
    numbered = list(zip(table.lines, rows, strict=True))
    positions: dict[int, int] = {}
    if "year" in header:
        numbers = {_year(row["year"], table, line) for line, row in numbered}
        positions = {year: position for position, year in enumerate(sorted(numbers))}
    events, lines, replications = [], [], []
    for line, row in numbered:
        values: dict[str, Any] = {
            k: v for k, v in row.items() if k in REPLAY_COLUMNS and v is not None and v.strip()
        }
        if "year" in values:
            values["replication"] = positions[int(values.pop("year"))]
        demand = {
            k.removeprefix("demand."): v for k, v in row.items() if k.startswith("demand.") and v
        }
        if demand or any(field in values for field in REPLAY_EVENT_FIELDS):
            events.append(_replay_event(values, demand, table, line))
            lines.append(line)
            replications.append(events[-1].replication)
        else:
            replications.append(_quiet_year(values, table, line))
    probabilities = _year_probabilities(table, replications, weight_column)
    years = tuple(
        ReplayYear(replication=year, probability=probabilities.get(year))
        for year in sorted(set(replications))
    )
    return tuple(events), years, lines


def _check_replay_header(table: Table) -> str | None:
    """Refuse unknown or missing columns; the name of the probability column, if any."""
    header = table.header
    for column in header:
        known = column in REPLAY_COLUMNS or column in REPLAY_WEIGHT_COLUMNS
        if not known and not column.startswith("demand."):
            raise table.error(table.column(column), "unknown column (a typo?)")
    if "replication" not in header and "year" not in header:
        raise table.error(table.named("replication"), "needs a 'replication' or 'year' column")
    if "time_h" not in header and "date" not in header:
        raise table.error(table.named("time_h"), "needs a 'time_h' or 'date' column")
    given = [column for column in REPLAY_WEIGHT_COLUMNS if column in header]
    if len(given) > 1:
        raise table.error(table.column("weight"), "give 'probability' or 'weight', not both")
    return given[0] if given else None


def _replay_event(
    values: dict[str, Any], demand: dict[str, str], table: Table, line: int
) -> ReplayEvent:
    if "date" in values:
        values["time_h"] = _hours_into_year(values.pop("date"), table, line)
    try:
        return ReplayEvent(**values, demand=demand)
    except ValidationError as error:
        raise table.row_error(error, line) from None


def _quiet_year(values: dict[str, Any], table: Table, line: int) -> int:
    """The year of a row that records a year without events."""
    try:
        return ReplayYear(replication=values.get("replication")).replication
    except ValidationError as error:
        raise table.row_error(error, line) from None


def _year_probabilities(
    table: Table, replications: list[int], column: str | None
) -> dict[int, float]:
    """Each year's probability, normalised to sum to 1; empty without a probability column.

    Every row of a year gives the same value. A ``weight`` column may sum to
    anything positive; a ``probability`` column must sum to 1 (within 1e-6).
    """
    if column is None:
        return {}
    first: dict[int, tuple[int, str, float]] = {}
    numbered = zip(table.lines, table.rows, replications, strict=True)
    for line, row, year in numbered:
        text = (row[column] or "").strip()
        value = _weight(text, column, table, line)
        seen = first.setdefault(year, (line, text, value))
        if seen[2] != value:
            problem = f"differs from row {seen[0]} of the same year ({seen[1]})"
            raise table.error(table.at(line, column), problem, text)
    total = math.fsum(value for _, _, value in first.values())
    if total <= 0:
        raise table.error(table.column(column), "the years' values sum to 0", total)
    if column == "probability" and abs(total - 1.0) > PROBABILITY_TOLERANCE:
        problem = f"the years' probabilities sum to {total:.9g}, not 1 (within 1e-6)"
        where = table.column("probability")
        raise table.error(where, f"{problem}; a 'weight' column is normalised")
    return {year: value / total for year, (_, _, value) in first.items()}


def _weight(text: str, column: str, table: Table, line: int) -> float:
    """One row's probability or weight: a finite number >= 0."""
    where = table.at(line, column)
    if not text:
        raise table.error(where, "missing (every row gives its year's value)")
    try:
        value = float(text)
    except ValueError:
        raise table.error(where, "not a number", text) from None
    if not math.isfinite(value):
        raise table.error(where, "must be a finite number", text)
    if value < 0:
        raise table.error(where, "must be >= 0", text)
    return value


def _year(text: str | None, table: Table, line: int) -> int:
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise table.error(table.at(line, "year"), "not a whole year", text) from None


def _hours_into_year(text: str, table: Table, line: int) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise table.error(table.at(line, "date"), "not an ISO date", text) from None
    start = datetime(moment.year, 1, 1, tzinfo=moment.tzinfo)
    return (moment - start).total_seconds() / 3600.0


def _duplicates(ids: Iterable[str]) -> str | None:
    repeated = [key for key, count in Counter(ids).items() if count > 1]
    return repeated[0] if repeated else None


def _check_unique(scenario: Scenario, settings: Settings, tables: dict[str, Table]) -> None:
    hazard_ids = [h.hazard_id for h in scenario.hazards]
    repeated = _duplicates(hazard_ids)
    if repeated is not None:
        raise settings.error("hazards.hazard_id", "duplicate id", repeated)
    checks = [
        (tables["townships"], "township_id", [t.township_id for t in scenario.townships]),
        (tables["items"], "item_id", [i.item_id for i in scenario.items]),
        (tables["depots"], "depot_id", [d.depot_id for d in scenario.depots]),
        (tables["teams"], "team_id", [t.team_id for t in scenario.teams]),
    ]
    if "agreements" in tables:
        ids = [(a.agreement_id, a.item_id) for a in scenario.agreements]
        checks.append((tables["agreements"], "agreement_id", [f"{a}/{i}" for a, i in ids]))
    if "stock" in tables:
        # one line per depot, item and purchase year: the ledger's lots (scenarios/ledger.py),
        # and apart from them what is still on order
        keys = [
            f"{s.depot_id}/{s.item_id}/{s.purchase_year or ''}{'/on order' if s.on_order else ''}"
            for s in scenario.stock
        ]
        checks.append((tables["stock"], "depot_id/item_id/purchase_year", keys))
    pairs = [f"{d.hazard}/{d.item_id}" for d in scenario.demand]
    checks.append((tables["demand"], "hazard/item_id", pairs))
    if "norms" in tables:
        checks.append((tables["norms"], "item_id", [n.item_id for n in scenario.norms]))
    if "capabilities" in tables:
        pairs = [f"{c.hazard}/{c.item_id}" for c in scenario.capabilities]
        checks.append((tables["capabilities"], "hazard/item_id", pairs))
    for table, name, ids in checks:
        repeated = _duplicates(ids)
        if repeated is not None:
            raise table.error(table.named(name), "duplicate id", repeated)


def _check_known(
    table: Table, rows: Sequence[Any], name: str, known: set[str], lines: Sequence[int] = ()
) -> None:
    """Refuse a row whose ``name`` is not a known id; ``lines`` default to the table's."""
    numbered = zip(lines, rows, strict=True) if lines else table.numbered(rows)
    for line, row in numbered:
        value = getattr(row, name)
        if value not in known:
            raise table.error(table.at(line, name), "unknown id", value)


def _check_references(
    scenario: Scenario,
    settings: Settings,
    tables: dict[str, Table],
    replay_lines: Sequence[int] = (),
) -> None:
    """Cross-references; ``replay_lines`` are the replayed events' lines in their file."""
    _check_unique(scenario, settings, tables)
    townships = {t.township_id for t in scenario.townships}
    items = {i.item_id for i in scenario.items}
    depots = {d.depot_id for d in scenario.depots}
    hazards = {h.hazard_id for h in scenario.hazards}
    _check_known(tables["depots"], scenario.depots, "township_id", townships)
    _check_known(tables["teams"], scenario.teams, "base_township", townships)
    _check_known(tables["demand"], scenario.demand, "hazard", hazards)
    _check_known(tables["demand"], scenario.demand, "item_id", items)
    if "stock" in tables:
        _check_known(tables["stock"], scenario.stock, "depot_id", depots)
        _check_known(tables["stock"], scenario.stock, "item_id", items)
        _check_ages(scenario, tables["stock"])
    if "norms" in tables:
        _check_known(tables["norms"], scenario.norms, "item_id", items)
    if "agreements" in tables:
        _check_known(tables["agreements"], scenario.agreements, "township_id", townships)
        _check_known(tables["agreements"], scenario.agreements, "item_id", items)
    teams = tables["teams"]
    for line, team in teams.numbered(scenario.teams):
        if not team.min_members <= team.members <= team.max_members:
            bounds = f"min_members {team.min_members} .. max_members {team.max_members}"
            raise teams.error(teams.at(line, "members"), f"outside {bounds}", team.members)
    _check_dispatch(scenario, settings)
    _check_delivery(scenario, settings, tables["items"])
    if "capabilities" in tables:
        _check_capabilities(scenario, tables["capabilities"], hazards, items)
    _check_rules(scenario, tables["items"])
    _check_recruitment(scenario, tables["townships"])
    _check_counties(scenario, tables["townships"])
    _check_outcomes(scenario, settings)
    _check_size(scenario, settings)
    if scenario.replay is not None:
        table = tables["replay"]
        lines = replay_lines or range(2, len(scenario.replay) + 2)
        _check_known(table, scenario.replay, "township_id", townships, lines)
        _check_known(table, scenario.replay, "hazard", hazards, lines)
        for line, event in zip(lines, scenario.replay, strict=True):
            for item_id in event.demand:
                if item_id not in items:
                    where = table.at(line, f"demand.{item_id}", "column")
                    raise table.error(where, "unknown item")
    _check_replay_years(scenario, tables.get("replay", Table(settings.file)))


def _check_replay_years(scenario: Scenario, table: Table) -> None:
    """Years given in code cover the events, once each, with probabilities for all or none."""
    declared = [year.replication for year in scenario.replay_years]
    if not declared:
        return
    if scenario.replay is None:
        raise table.error(table.named("replay_years"), "years given without a replay table")
    repeated = _duplicates(map(str, declared))
    if repeated is not None:
        raise table.error(table.named("replay_years"), "year listed twice", repeated)
    missing = {event.replication for event in scenario.replay} - set(declared)
    if missing:
        raise table.error(
            table.named("replay_years"), "a year with events is not listed", min(missing)
        )
    given = [year.probability for year in scenario.replay_years]
    if any(p is not None for p in given) and (
        None in given or abs(math.fsum(given) - 1.0) > PROBABILITY_TOLERANCE  # type: ignore[arg-type]
    ):
        raise table.error(
            table.named("replay_years"), "probabilities must cover every year and sum to 1"
        )


def _check_capabilities(
    scenario: Scenario, table: Table, hazards: set[str], items: set[str]
) -> None:
    """Kit reaches the events it helps (the demand table asks for it), and people do some work."""
    _check_known(table, scenario.capabilities, "hazard", hazards)
    _check_known(table, scenario.capabilities, "item_id", items)
    demanded = {(d.hazard, d.item_id) for d in scenario.demand}
    share: dict[str, float] = defaultdict(float)
    for line, capability in table.numbered(scenario.capabilities):
        if (capability.hazard, capability.item_id) not in demanded:
            raise table.error(
                table.at(line, "item_id"),
                f"the demand table never asks for it in a {capability.hazard}, so it never "
                "reaches one",
                capability.item_id,
            )
        share[capability.hazard] += capability.max_share
        if share[capability.hazard] >= 1.0:
            raise table.error(
                table.at(line, "max_share"),
                f"the {capability.hazard} kit would save all of its work (max_share sums to "
                f"{share[capability.hazard]:g}; it must stay below 1)",
                capability.max_share,
            )


def _check_ages(scenario: Scenario, table: Table) -> None:
    """A stock line's purchase year is no later than the plan year, and its units still last."""
    items = {item.item_id: item for item in scenario.items}
    plan_year = scenario.ledger.plan_year
    for line, stock in table.numbered(scenario.stock):
        if stock.on_order and stock.purchase_year not in (None, plan_year):
            raise table.error(
                table.at(line, "purchase_year"),
                f"stock on order is bought with the plan year's money ({plan_year})",
                stock.purchase_year,
            )
        if stock.purchase_year is None:
            continue
        if stock.purchase_year > plan_year:
            raise table.error(
                table.at(line, "purchase_year"),
                f"after the plan year {plan_year} ([ledger] plan_year)",
                stock.purchase_year,
            )
        last = ledger.last_year(items[stock.item_id], stock.purchase_year)
        if last is not None and last < plan_year:
            raise table.error(
                table.at(line, "purchase_year"),
                f"{stock.item_id} bought then lasted to the end of {last}, before the plan year "
                f"{plan_year}: take the line out of the stock (scrapped) or correct the year",
                stock.purchase_year,
            )


def _check_delivery(scenario: Scenario, settings: Settings, items: Table) -> None:
    """Every item's purchases reach their depots inside the simulated year."""
    delivery, end = scenario.delivery, scenario.horizon_days
    if delivery.approval_day - 1 >= end:
        problem = f"after the year's end (horizon_days {end:g})"
        raise settings.error("delivery.approval_day", problem, delivery.approval_day)
    for line, item in items.numbered(scenario.items):
        day = delivery.days_to(item)
        if day < end:
            continue
        problem = (
            f"{item.item_id} would reach its depots {day:g} days after the year's start, "
            f"after the year's end (horizon_days {end:g})"
        )
        if item.lead_time_days is not None:
            raise items.error(items.at(line, "lead_time_days"), problem, item.lead_time_days)
        raise settings.error("delivery.lead_time_days", problem, delivery.lead_time_days)


def _check_size(scenario: Scenario, settings: Settings) -> None:
    """One simulated horizon fits in a run (rates x years: 1e5 a year for ten years hung)."""
    problem = size.too_busy(scenario)
    if problem is not None:
        raise settings.error("hazards.annual_rate", problem)


def _check_outcomes(scenario: Scenario, settings: Settings) -> None:
    items = {item.item_id for item in scenario.items}
    for need, ids in scenario.outcomes.relief_items.items():
        for item_id in ids:
            if item_id not in items:
                raise settings.error(f"outcomes.relief_items.{need}", "unknown item", item_id)


def _check_rules(scenario: Scenario, table: Table) -> None:
    """An item's rules can be kept: some team operates it, some depot may get what is required."""
    operated = {skill for team in scenario.teams for skill in team.operates}
    allowed = rules.may_hold(scenario)
    room = rules.room_by_item(scenario)
    for line, item in table.numbered(scenario.items):
        if item.operator_skill is not None and item.operator_skill not in operated:
            raise table.error(
                table.at(line, "operator_skill"),
                "no team operates it (teams table, column operates)",
                item.operator_skill,
            )
        least = rules.least_units(scenario, item)
        if least and not any(allowed[(item.item_id, d.depot_id)] for d in scenario.depots):
            raise table.error(
                table.at(line, "item_id"),
                f"the rules ask for {least} units and no depot may hold it",
                item.item_id,
            )
        if least > room[item.item_id]:
            raise table.error(
                table.at(line, "item_id"),
                f"the rules ask for {least} units and the holding ceilings "
                f"([rules] holding_events) leave room for {room[item.item_id]:,.0f}",
                item.item_id,
            )


def _check_recruitment(scenario: Scenario, table: Table) -> None:
    """Each township's part-time teams fit what it can recruit, today and at their minimum."""
    for line, township in table.numbered(scenario.townships):
        limit = township.max_part_time_members
        if limit is None:
            continue
        teams = [
            t
            for t in scenario.teams
            if t.status == "part_time" and t.base_township == township.township_id
        ]
        for what, members in (
            ("today's", sum(t.members for t in teams)),
            ("the teams' minimum", sum(t.min_members for t in teams)),
        ):
            if members > limit:
                raise table.error(
                    table.at(line, "max_part_time_members"),
                    f"below {what} {members} part-time members of its teams",
                    limit,
                )


def _check_counties(scenario: Scenario, table: Table) -> None:
    """Either no township names its county (one county) or every one does.

    A township left blank in a city would otherwise form a county of its own, served
    by no county depot or team.
    """
    if not any(t.county.strip() for t in scenario.townships):
        return
    for line, township in table.numbered(scenario.townships):
        if not township.county.strip():
            where = table.at(line, "county")
            raise table.error(where, "empty, while other townships name theirs", township.county)


def _check_dispatch(scenario: Scenario, settings: Settings) -> None:
    tiers_with_depots = {d.tier for d in scenario.depots}
    for stage in scenario.dispatch.supply_order:
        tier = "township" if stage == "neighbour" else stage
        if tier in ("village", "township", "county") and tier not in tiers_with_depots:
            problem = "no depot of this tier in the depots table"
            raise settings.error("dispatch.supply_order", problem, stage)
    for tier in tiers_with_depots:
        if tier not in scenario.dispatch.issue_delay_h:
            raise settings.error("dispatch.issue_delay_h", f"missing tier {tier!r}")
