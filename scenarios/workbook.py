"""The county in one Excel workbook: every table a sheet, the settings on a sheet of their own.

A bureau keeps its county in Excel. ``scenarios.load`` reads the workbook
(:func:`read_workbook`) into the very rows and settings document the TOML and
CSV give, so one validation judges both; :mod:`scenarios.county_workbook`
writes one.

A header cell is ``中文 english_key``: only the trailing key is read, so the
Chinese may be reworded and a plain key works too. Cells are read back as the
text a CSV file would hold (an id Excel typed as the number 1001 is "1001").
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel

from scenarios.errors import InputError
from scenarios.schema import Scenario
from scenarios.sources import (
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    SCENARIO_SECTION_FIELDS,
    TOP_LEVEL_KEYS,
    Settings,
    Table,
)

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

TABLE_SHEETS = {
    "townships": "乡镇 townships",
    "items": "物资 items",
    "depots": "储备点 depots",
    "stock": "库存 stock",
    "teams": "队伍 teams",
    "agreements": "协议储备 agreements",
    "demand": "需求 demand",
    "norms": "储备标准 norms",
    "capabilities": "装备效能 capabilities",
    "travel_matrix": "行程时间 travel_matrix",
    "replay": "历史事件 replay",
}
SETTINGS_SHEET = "设置 settings"
INSTRUCTIONS_SHEET = "说明 instructions"
SETTINGS_COLUMNS = ("section", "key", "value", "note")
MACRO_PART = "xl/vbaProject.bin"
NO_HEADER = "a value in a column without a header"
ROWS = (*REQUIRED_TABLES, *OPTIONAL_TABLES)  # the sheets that are tables
SECTIONS = TOP_LEVEL_KEYS - {"tables"}  # the tables are the sheets
LISTED_SECTIONS = {"hazards"}  # arrays of tables: [[hazards]], numbered hazards[1], hazards[2], ...


# ---------------------------------------------------------------- reading


def read_workbook(path: Path) -> tuple[dict[str, Any], dict[str, Table], Settings]:
    """A county workbook as the loader's settings document, tables and settings place."""
    workbook = _open(path)
    sheets = _sheets(path, workbook)
    tables = {name: _sheet_table(path, sheet) for name, sheet in sheets.items() if name in ROWS}
    document, settings = _read_settings(path, sheets["settings"])
    return document, tables, settings


def _open(path: Path) -> Workbook:
    """The workbook, or a one-line refusal of a file that is not one (or holds macros)."""
    from openpyxl import load_workbook

    if not path.is_file():
        raise InputError(path, "", "file not found")
    try:
        with zipfile.ZipFile(path) as archive:
            macros = MACRO_PART in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        problem = "not an Excel workbook (damaged, or another kind of file): save it as .xlsx"
        raise InputError(path, "", problem) from None
    if macros:
        raise InputError(path, "", "the workbook holds macros: save it as .xlsx without them")
    try:
        return load_workbook(path, data_only=True)
    # openpyxl raises anything from KeyError to ValueError on a damaged file.
    except Exception as error:
        problem = " ".join(f"{type(error).__name__}: {error}".split())
        raise InputError(path, "", f"cannot read the workbook ({problem})") from None


def _sheets(path: Path, workbook: Workbook) -> dict[str, Worksheet]:
    """The sheets by the key their title ends in; refuse unknown, doubled or missing ones."""
    known = {*ROWS, "settings", "instructions"}
    found: dict[str, Worksheet] = {}
    for sheet in workbook.worksheets:
        key = _key(sheet.title)
        if key not in known:
            shown = ", ".join([*TABLE_SHEETS.values(), SETTINGS_SHEET, INSTRUCTIONS_SHEET])
            problem = f"unknown sheet (a typo?); the sheets are {shown}"
            raise InputError(path, f"sheet {sheet.title}", problem)
        if key in found:
            problem = f"a second {key} sheet (the first is {found[key].title})"
            raise InputError(path, f"sheet {sheet.title}", problem)
        found[key] = sheet
    for key in (*REQUIRED_TABLES, "settings"):
        if key not in found:
            title = TABLE_SHEETS.get(key, SETTINGS_SHEET)
            raise InputError(path, f"sheet {title}", "missing sheet")
    return found


def _key(title: str) -> str:
    """The key a sheet title ends in, in any case: ``物资 Items`` -> ``items``."""
    words = title.split()
    return words[-1].casefold() if words else ""


def _sheet_table(path: Path, sheet: Worksheet) -> Table:
    """A table sheet's rows as the text a CSV file would hold, with their row numbers."""
    values = list(sheet.iter_rows(values_only=True))
    header_cells = values[0] if values else ()
    if all(_blank(cell) for cell in header_cells):
        problem = "empty sheet (no header row): delete the sheet to leave the table out"
        raise InputError(path, f"sheet {sheet.title}", problem)
    header = [_header_key(cell) for cell in header_cells]
    _check_header(path, sheet.title, header)
    rows, lines = [], []
    for number, cells in enumerate(values[1:], start=2):
        if all(_blank(cell) for cell in cells):
            continue
        for position in range(len(header), len(cells)):
            if not _blank(cells[position]):
                where = f"sheet {sheet.title}, row {number}, column {_letter(position)}"
                raise InputError(path, where, NO_HEADER, cells[position])
        texts = [_text(cell) for cell in cells] + [""] * (len(header) - len(cells))
        row = {key: text for key, text in zip(header, texts, strict=False) if key}
        for position, key in enumerate(header):
            if not key and texts[position].strip():
                where = f"sheet {sheet.title}, row {number}, column {_letter(position)}"
                raise InputError(path, where, NO_HEADER, texts[position])
        rows.append(row)
        lines.append(number)
    named = tuple(key for key in header if key)
    return Table(path, named, tuple(rows), tuple(lines), sheet.title)


def _header_key(cell: object) -> str:
    return "" if _blank(cell) else _text(cell).split()[-1]


def _check_header(path: Path, title: str, header: list[str]) -> None:
    repeated = [key for key, count in Counter(header).items() if key and count > 1]
    if repeated:
        where = f"sheet {title}, row 1, column {repeated[0]}"
        raise InputError(path, where, "column listed twice", repeated[0])


def _letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: object) -> str:
    """A cell as a CSV file would hold it: 1001 not 1001.0, true not TRUE, dates in ISO form."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 2**53 else repr(cell)
    if isinstance(cell, datetime) and cell.time() == time():
        return cell.date().isoformat()
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell)


# ---------------------------------------------------------------- the settings sheet


def _read_settings(path: Path, sheet: Worksheet) -> tuple[dict[str, Any], Settings]:
    """The settings sheet as the TOML document it stands for, and each setting's row."""
    values = list(sheet.iter_rows(values_only=True))
    columns = _settings_columns(path, sheet.title, values[0] if values else ())
    sections: dict[str, dict[str, Any]] = {}
    listed: dict[str, dict[int, dict[str, Any]]] = {}
    seen: dict[tuple[str, str], int] = {}
    at: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(values[1:], start=2):
        cell = {key: cells[p] if p < len(cells) else None for key, p in columns.items()}
        where = f"sheet {sheet.title}, row {number}"
        if _blank(cell["section"]) and _blank(cell["key"]):
            if not _blank(cell["value"]):
                problem = "a value without a section and key"
                raise InputError(path, f"{where}, column value", problem, cell["value"])
            continue
        name, index = _section_name(path, where, cell["section"])
        key = _setting_key(path, where, name, cell["key"])
        label = name if index is None else f"{name}[{index}]"
        if (label, key) in seen:
            problem = f"set twice (also row {seen[(label, key)]})"
            raise InputError(path, f"{where}, column key", problem, key)
        seen[(label, key)] = number
        value = _setting_value(path, where, cell["value"])
        if value is None:
            continue
        at[(label, key)] = number
        if index is None:
            sections.setdefault(name, {})[key] = value
        else:
            listed.setdefault(name, {}).setdefault(index, {})[key] = value
    return _document(path, sheet.title, sections, listed, at)


def _document(
    path: Path,
    title: str,
    sections: dict[str, dict[str, Any]],
    listed: dict[str, dict[int, dict[str, Any]]],
    at: dict[tuple[str, str], int],
) -> tuple[dict[str, Any], Settings]:
    """Sections as they are, numbered sections as a list in number order; every row's place."""
    document: dict[str, Any] = dict(sections)
    rows: dict[tuple[str | int, ...], tuple[int, str]] = {}
    for name, content in sections.items():
        rows[(name,)] = (0, name)
        rows.update({(name, key): (at[(name, key)], f"{name}.{key}") for key in content})
    for name, numbered in listed.items():
        document[name] = [numbered[number] for number in sorted(numbered)]
        for position, number in enumerate(sorted(numbered)):
            label = f"{name}[{number}]"
            rows[(name, position)] = (0, label)
            for key in numbered[number]:
                rows[(name, position, key)] = (at[(label, key)], f"{label}.{key}")
    return document, Settings(path, title, rows)


def _settings_columns(path: Path, title: str, header: Sequence[object]) -> dict[str, int]:
    """Where section, key and value are (the note is for people and not read)."""
    keys = [_header_key(cell) for cell in header]
    for position, key in enumerate(keys):
        if key and key not in SETTINGS_COLUMNS:
            where = f"sheet {title}, row 1, column {_letter(position)}"
            problem = "unknown column (a typo?); the columns are section, key, value, note"
            raise InputError(path, where, problem, key)
    columns = {}
    for key in SETTINGS_COLUMNS[:3]:
        if keys.count(key) != 1:
            problem = "missing column" if key not in keys else "column listed twice"
            raise InputError(path, f"sheet {title}, row 1", f"{problem}: {key}")
        columns[key] = keys.index(key)
    return columns


def _section_name(path: Path, where: str, cell: object) -> tuple[str, int | None]:
    """``penalties`` -> (penalties, None); ``hazards[2]`` -> (hazards, 2)."""
    text = _text(cell).strip()
    match = re.fullmatch(r"([A-Za-z_]+)\s*(?:\[\s*(\d+)\s*\])?", text)
    name = match[1] if match else ""
    if name not in SECTIONS:
        known = ", ".join(sorted(SECTIONS - LISTED_SECTIONS)) + ", hazards[1], hazards[2], ..."
        problem = f"unknown section (a typo?); the sections are {known}"
        raise InputError(path, f"{where}, column section", problem, text)
    index = int(match[2]) if match and match[2] else None
    if (name in LISTED_SECTIONS) != (index is not None) or index == 0:
        shown = f"{name}[1], {name}[2], ..." if name in LISTED_SECTIONS else name
        raise InputError(path, f"{where}, column section", f"write the section as {shown}", text)
    return name, index


def _setting_key(path: Path, where: str, section: str, cell: object) -> str:
    """The key, if the section has it."""
    key = _text(cell).strip()
    if section == "scenario":
        known = SCENARIO_SECTION_FIELDS
    else:
        known = set(_section_model(section).model_fields)
    if key not in known:
        raise InputError(path, f"{where}, column key", f"unknown key of [{section}] (a typo?)", key)
    return key


def _section_model(section: str) -> type[BaseModel]:
    """The schema type of a section: ``travel`` -> Travel, ``hazards`` -> Hazard."""
    annotation = Scenario.model_fields[section].annotation
    found = _model_in(annotation)
    assert found is not None, section
    return found


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _setting_value(path: Path, where: str, cell: object) -> Any:
    """A value cell as TOML would give it; ``None`` for an empty cell (the default holds)."""
    if _blank(cell):
        return None
    if isinstance(cell, datetime | date):
        return f"{cell.month:02d}-{cell.day:02d}"  # Excel turned a month-day (03-01) into a date
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    if text[0] not in "[{\"'":
        return text
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        problem = (
            "not a TOML value: write a list as [0.15, 0.45], a table as { flood = 0.3 }, "
            'text beginning with [ { or a quote in quotes ("[text]")'
        )
        raise InputError(path, f"{where}, column value", problem, text) from None
