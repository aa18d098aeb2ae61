"""Where a scenario's inputs come from, in either form: TOML and CSV, or one workbook.

The names of its sections and tables and the row model of each table; a
:class:`Table` of rows as text and the :class:`Settings` document's places, so a
refusal names the file, the sheet, the row and the column a person would open.
The loader validates what either form gives (:mod:`scenarios.loader`); the
workbook modules read and write the workbook form (:mod:`scenarios.workbook`,
:mod:`scenarios.county_workbook`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from scenarios.errors import InputError, field_path, from_validation
from scenarios.schema import (
    Agreement,
    Capability,
    DemandProfile,
    Depot,
    Item,
    ReserveNorm,
    StockLine,
    Team,
    Township,
)

TOP_LEVEL_KEYS = {"scenario", "tables", "penalties", "travel", "dispatch", "rain_episodes"}
TOP_LEVEL_KEYS |= {"procurement", "rules", "outcomes", "objective", "norm_rules", "everyday"}
TOP_LEVEL_KEYS |= {"ledger", "delivery"}
TOP_LEVEL_KEYS |= {"hazards"}
REQUIRED_TABLES = ("townships", "items", "depots", "teams", "demand")
OPTIONAL_TABLES = ("stock", "agreements", "travel_matrix", "replay", "norms", "capabilities")
ROW_MODELS: dict[str, type[BaseModel]] = {
    "townships": Township,
    "items": Item,
    "depots": Depot,
    "stock": StockLine,
    "teams": Team,
    "agreements": Agreement,
    "demand": DemandProfile,
    "norms": ReserveNorm,
    "capabilities": Capability,
}
REPLAY_COLUMNS = {"replication", "year", "time_h", "date", "township_id", "hazard"}
REPLAY_COLUMNS |= {"severity_people", "duration_h"}
REPLAY_EVENT_FIELDS = ("time_h", "date", "township_id", "hazard", "severity_people", "duration_h")
REPLAY_WEIGHT_COLUMNS = ("probability", "weight")
SCENARIO_SECTION_FIELDS = {"scenario_id", "name_zh", "name_en", "seed", "horizon_days"}
SCENARIO_SECTION_FIELDS |= {"procurement_budget_yuan"}

WORKBOOK_SUFFIX = ".xlsx"
# Workbooks we refuse to open: macros (.xlsm, .xltm) run code; .xls and .xlsb are other formats.
REFUSED_WORKBOOK_SUFFIXES = (".xlsm", ".xltm", ".xls", ".xlsb", ".xltx", ".et")


@dataclass(frozen=True, slots=True)
class Table:
    """One table's rows as text by column, from a CSV file or a workbook sheet.

    ``lines`` are the rows' lines in the file (their row numbers in the sheet), so that a
    refusal points at the row a person would open. A table made in code has no rows.
    """

    file: Path
    header: tuple[str, ...] = ()
    rows: tuple[dict[str, str], ...] = ()
    lines: tuple[int, ...] = ()
    sheet: str = ""  # the sheet's name, or "" for a CSV file

    def numbered(self, rows: Sequence[Any]) -> Iterable[tuple[int, Any]]:
        """Each of ``rows`` (parsed from this table) with its line; 2, 3, ... if made in code."""
        lines = self.lines if len(self.lines) == len(rows) else range(2, len(rows) + 2)
        return zip(lines, rows, strict=True)

    def at(self, line: int, name: str = "", word: str = "field") -> str:
        """A cell: ``row 3, field x`` in a CSV file, ``sheet s, row 3, column x`` in a sheet."""
        if self.sheet:
            return f"sheet {self.sheet}, row {line}" + (f", column {name}" if name else "")
        return f"row {line}" + (f", {word} {name}" if name else "")

    def column(self, name: str) -> str:
        """A column as a whole: ``column 'x'`` in a CSV file, its header cell in a sheet."""
        return f"sheet {self.sheet}, row 1, column {name}" if self.sheet else f"column {name!r}"

    def named(self, name: str = "") -> str:
        """The table, or a field of all its rows (``township_id``), as no one cell."""
        if not self.sheet:
            return name
        return f"sheet {self.sheet}" + (f", column {name}" if name else "")

    def error(self, where: str, problem: str, value: Any = None) -> InputError:
        """A refusal in this table's file, at ``where`` (from :meth:`at`, :meth:`column`, ...)."""
        return InputError(self.file, where, problem, value)

    def row_error(self, error: ValidationError, line: int) -> InputError:
        """The first problem pydantic found in the row at ``line``."""
        inner = from_validation(error, self.file)
        return self.error(self.at(line, inner.field), inner.problem, inner.value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Where a scenario's settings came from: a TOML file, or a workbook's settings sheet.

    ``rows`` maps a setting's place in the document (``("delivery", "approval_day")``,
    ``("hazards", 2, "annual_rate")``) to its row in the sheet and its name there; a
    section's own place maps to row 0. A TOML file needs none: its field paths are its own.
    """

    file: Path
    sheet: str = ""
    rows: dict[tuple[str | int, ...], tuple[int, str]] = field(default_factory=dict)

    def where(self, name: str) -> str:
        """A field path (``hazards[2] (flood).annual_rate``) as a place in the file."""
        if not self.sheet:
            return name
        place = _document_place(name)
        for size in range(len(place), 0, -1):
            found = self.rows.get(place[:size])
            if found is not None:
                row, label = found
                shown = field_path(place[size:], label)
                if row:
                    return f"sheet {self.sheet}, row {row}, column value ({shown})"
                return f"sheet {self.sheet}, {shown}"
        return f"sheet {self.sheet}, {field_path(place)}"

    def error(self, name: str, problem: str, value: Any = None) -> InputError:
        """A refusal of the setting at field path ``name``."""
        return InputError(self.file, self.where(name), problem, value)


def _document_place(name: str) -> tuple[str | int, ...]:
    """``hazards[2] (flood).annual_rate`` as ``("hazards", 2, "annual_rate")``."""
    bare = re.sub(r" \([^)]*\)", "", name)  # the labels from_validation adds to list positions
    return tuple(
        int(index) if index else key for index, key in re.findall(r"\[(\d+)\]|([^.\[\]]+)", bare)
    )


def default_scenario_path() -> Path:
    """Path of the bundled default county scenario file."""
    return Path(str(resources.files("scenarios").joinpath("default_county.toml")))
