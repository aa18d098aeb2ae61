"""A county written as one Excel workbook to fill in (``yingji init``).

:func:`write_county_workbook` lays a scenario (TOML and its CSV tables, or a
workbook) out in the form :mod:`scenarios.workbook` reads: an instructions sheet,
the settings sheet (a nested value as a TOML inline literal, the TOML line's
comment beside it), then a sheet per table with ``中文 key`` headers, text
columns formatted as text and drop-down lists of the schema's words and ids.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

from scenarios.errors import InputError
from scenarios.files import cells_as_text, write_atomic
from scenarios.loader import load, read_sources
from scenarios.plan import MAX_WIDTH, shown_width
from scenarios.schema import MONEY_FORMS, Scenario
from scenarios.sources import (
    REPLAY_WEIGHT_COLUMNS,
    REQUIRED_TABLES,
    ROW_MODELS,
    WORKBOOK_SUFFIX,
    Table,
    default_scenario_path,
)
from scenarios.workbook import INSTRUCTIONS_SHEET, SETTINGS_SHEET, TABLE_SHEETS

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet
    from pydantic.fields import FieldInfo

SETTINGS_TITLES = ("节 section", "键 key", "值 value", "说明 note")
INSTRUCTIONS_TITLES = ("项目 topic", "说明 what to know")
TABLE_PURPOSE = {
    "townships": "乡镇: 位置、地形、人口和各灾种的暴露 townships: where, terrain, people, exposure",
    "items": "物资品种: 单价、类别、寿命和采购规则 item types: price, category, life, buying rules",
    "depots": "储备点: 县级、乡镇、村级 depots: county, township and village stores",
    "stock": "现有库存: 每个储备点每种物资的数量 stock held today, per depot and item",
    "teams": "救援队伍: 驻地、人数、技能 rescue teams: base, members, skills",
    "agreements": "协议储备: 供应商按协议供货 supplier agreements (协议储备)",
    "demand": "每个灾种对每种物资的需求 what each hazard asks of each item",
    "norms": "储备标准: 全县应能调出的数量 reserve norms: units the county must be able to put out",
    "capabilities": "装备效能: 一件装备节省的救援工时 what a unit of kit saves of the rescue work",
    "travel_matrix": "乡镇之间的行程时间 (小时) travel hours between townships",
    "replay": "重演的历史事件 recorded events replayed instead of sampled",
}
COLUMN_ZH = {
    "township_id": "乡镇编号",
    "name_zh": "中文名称",
    "name_en": "英文名称",
    "x_km": "东西坐标(公里)",
    "y_km": "南北坐标(公里)",
    "terrain": "地形",
    "population": "人口(人)",
    "area_km2": "面积(平方公里)",
    "villages": "村数",
    "river_exposure": "临河程度",
    "forest_area_ha": "林地(公顷)",
    "hazard_points": "地灾隐患点",
    "is_county_seat": "县城",
    "county": "所属县(区)",
    "priority_weight": "优先权重",
    "max_part_time_members": "兼职队员上限(人)",
    "source": "来源",
    "item_id": "物资编号",
    "category": "类别",
    "unit": "单位",
    "unit_price_yuan": "单价(元)",
    "kind": "消耗/装备",
    "loss_rate": "损耗率",
    "criticality_weight": "重要性权重",
    "service_life_years": "使用年限(年)",
    "shelf_life_years": "保质期(年)",
    "upkeep_yuan_per_year": "年维护费(元)",
    "failure_rate_per_year": "年故障率",
    "failure_rate_growth": "故障率年增",
    "operator_skill": "操作资质",
    "hazardous": "危险品",
    "volume_m3": "体积(立方米)",
    "lot_size": "每批数量",
    "min_order": "起订量",
    "min_purchase": "最少采购",
    "max_purchase": "最多采购",
    "lead_time_days": "供货天数",
    "depot_id": "储备点编号",
    "tier": "层级",
    "capacity_m3": "库容(立方米)",
    "stores_hazardous": "可存危险品",
    "quantity": "数量",
    "purchase_year": "购置年份",
    "on_order": "在途",
    "team_id": "队伍编号",
    "base_township": "驻地乡镇",
    "members": "人数(人)",
    "min_members": "最少人数(人)",
    "max_members": "最多人数(人)",
    "skills": "技能(分号分隔)",
    "mobilisation_median_min": "集结时间中位数(分钟)",
    "mobilisation_sigma": "集结时间离散度",
    "cost_per_member_yuan": "人均年成本(元)",
    "operates": "会操作的装备(分号分隔)",
    "status": "专职/兼职",
    "turnout": "出勤率",
    "everyday_calls_per_year": "年日常出警次数",
    "agreement_id": "协议编号",
    "supplier_zh": "供应商",
    "max_quantity": "年最大供货量",
    "lead_time_h": "供货时间(小时)",
    "hazard": "灾种",
    "per_person": "每受灾人",
    "per_event": "每次事件",
    "per_hour": "每小时",
    "deadline_h": "时限(小时)",
    "required_units": "标准数量",
    "physical_share": "实物储备比例",
    "saves_person_hours": "节省工时(人时)",
    "max_share": "最多节省比例",
    "replication": "年序号",
    "year": "年份",
    "time_h": "发生时刻(小时)",
    "date": "日期",
    "severity_people": "受灾人数(人)",
    "duration_h": "持续时间(小时)",
    "probability": "概率",
    "weight": "权重",
}
# Id columns that name a row of another sheet: the drop-down offers that sheet's ids.
REFERENCES = {
    "township_id": ("townships", "township_id"),
    "base_township": ("townships", "township_id"),
    "item_id": ("items", "item_id"),
    "depot_id": ("depots", "depot_id"),
}
LIST_ROWS = 2000  # rows below the header that get a drop-down (room to add rows)
TEXT = "@"  # Excel's text format: a typed 1001 or 03-01 stays text, not a number or a date
REPLAY_NUMBERS = {"replication", "year", "time_h", "severity_people", "duration_h"}


def write_county_workbook(scenario_path: str | Path | None, out: str | Path) -> Path:
    """Write a scenario (None: the bundled default county) as one .xlsx workbook; its path."""
    out = Path(out)
    if out.suffix.lower() != WORKBOOK_SUFFIX:
        raise InputError(out, "", "a county workbook is saved as .xlsx")
    path = Path(scenario_path) if scenario_path is not None else default_scenario_path()
    scenario = load(path)  # a county that does not load is refused before it is written out
    document, tables, _ = read_sources(path)
    notes: dict[tuple[str, str], str] = {}
    if path.suffix.lower() != WORKBOOK_SUFFIX:  # a workbook's notes are not read back
        notes = _toml_notes(path.read_text(encoding="utf-8-sig"))
    workbook = _county_workbook(scenario, document, tables, notes)
    return write_atomic(out, workbook.save)


# ---------------------------------------------------------------- writing


def _county_workbook(
    scenario: Scenario,
    document: dict[str, Any],
    tables: dict[str, Table],
    notes: dict[tuple[str, str], str],
) -> Workbook:
    """Instructions first, then the settings, then a sheet per table in the loader's order."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    names = [name for name in TABLE_SHEETS if name in tables]
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), scenario, names)
    _settings_sheet(workbook.create_sheet(SETTINGS_SHEET), document, notes)
    ids = {name: tables[name].header for name in ("townships", "items", "depots")}
    hazards = [hazard.hazard_id for hazard in scenario.hazards]
    for name in names:
        sheet = workbook.create_sheet(TABLE_SHEETS[name])
        _table_sheet(sheet, name, tables[name], scenario)
        _drop_downs(sheet, name, tables[name].header, ids, hazards)
    return workbook


def _table_sheet(sheet: Worksheet, name: str, table: Table, scenario: Scenario) -> None:
    """The table's header (``中文 key``) and rows: numbers as numbers, text as text."""
    numbers = _number_columns(name, table.header)
    townships = {t.township_id: t.name_zh for t in scenario.townships}
    sheet.append([_title(name, key, townships) for key in table.header])
    for row in table.rows:
        sheet.append([_written(row.get(key) or "", key in numbers) for key in table.header])
    cells_as_text(sheet)  # names come from users' files: never a live formula
    text_columns = [i for i, key in enumerate(table.header) if key not in numbers]
    _style(sheet, text_columns)


def _title(name: str, key: str, townships: dict[str, str]) -> str:
    """A header cell: the Chinese label, then the key the loader reads."""
    label = (townships.get(key, "") if name == "travel_matrix" else "") or COLUMN_ZH.get(key, "")
    return f"{label} {key}" if label else key


def _written(text: str, number: bool) -> object:
    """A CSV cell as a workbook cell: empty, a number (in a numeric column) or the text."""
    if text.strip() == "":
        return None
    if number:
        value = _as_number(text.strip())
        if value is not None:
            return value
    return text


def _as_number(text: str) -> int | float | None:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number_columns(name: str, header: Sequence[str]) -> set[str]:
    """The columns whose cells are numbers (the others stay text, ids above all)."""
    if name == "travel_matrix":
        return set(header[1:])
    if name == "replay":
        numeric = REPLAY_NUMBERS | set(REPLAY_WEIGHT_COLUMNS)
        return {key for key in header if key in numeric or key.startswith("demand.")}
    fields = ROW_MODELS[name].model_fields
    return {key for key in header if key in fields and _is_number(fields[key].annotation)}


def _is_number(annotation: Any) -> bool:
    """Whether a field holds a number (``int``, ``float``, optional or constrained)."""
    if annotation is bool:
        return False
    if annotation in (int, float):
        return True
    return any(_is_number(arg) for arg in get_args(annotation) if arg is not type(None))


def _choices(annotation: Any) -> tuple[str, ...]:
    """The words a field allows (its ``Literal``, or true/false), or none."""
    if annotation is bool:
        return ("true", "false")
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    if get_origin(annotation) is tuple:  # several words in a cell (skills): no one choice
        return ()
    for arg in get_args(annotation):
        found = _choices(arg)
        if found:
            return found
    return ()


def _drop_downs(
    sheet: Worksheet,
    name: str,
    header: Sequence[str],
    ids: dict[str, Sequence[str]],
    hazards: list[str],
) -> None:
    """Drop-down lists: the schema's words, hazard ids, and ids from the sheets they name."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fields = ROW_MODELS[name].model_fields if name in ROW_MODELS else {}
    for position, key in enumerate(header, start=1):
        letter = get_column_letter(position)
        choices = _choices(fields[key].annotation) if key in fields else ()
        if key == "hazard":  # the settings sheet may add a hazard: a warning, not a refusal
            listed = _word_list(hazards, "warning")
        elif choices:
            listed = _word_list(choices, "stop")
        elif key in REFERENCES and REFERENCES[key][0] != name and name != "travel_matrix":
            target, column = REFERENCES[key]
            letter_there = get_column_letter(list(ids[target]).index(column) + 1)
            where = f"'{TABLE_SHEETS[target]}'!${letter_there}$2:${letter_there}${LIST_ROWS}"
            listed = DataValidation(type="list", formula1=where, errorStyle="warning")
            listed.error = (
                f"不在{TABLE_SHEETS[target]}表中 not an id of sheet {TABLE_SHEETS[target]}"
            )
        elif key in fields and _bounds(fields[key]) is not None:
            listed = _range_check(*_bounds(fields[key]))  # type: ignore[misc]
        else:
            continue
        listed.showErrorMessage = True
        sheet.add_data_validation(listed)
        listed.add(f"{letter}2:{letter}{LIST_ROWS}")


def _bounds(info: FieldInfo) -> tuple[float, float, bool, bool, bool] | None:
    """A number field's range as the loader checks it: (low, high, low open, high open, whole).

    Read from the field's own constraints (an optional field's from its inner type), so
    that the workbook states the very ranges the loader refuses outside of.
    """
    metadata, annotation = list(info.metadata), info.annotation
    for arg in get_args(annotation):  # Optional[Annotated[number, Field(...)]]
        inner = get_args(arg)
        if get_origin(arg) is Annotated:
            annotation = inner[0]
            metadata += [m for extra in inner[1:] for m in getattr(extra, "metadata", [extra])]
    if annotation not in (int, float):
        return None
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    above = next((m.gt for m in metadata if hasattr(m, "gt")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    below = next((m.lt for m in metadata if hasattr(m, "lt")), None)
    if (low is None and above is None) or (high is None and below is None):
        return None
    return (
        float(low if low is not None else above),
        float(high if high is not None else below),
        low is None,
        high is None,
        annotation is int,
    )


def range_words(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """A range as the workbook states it, e.g. ``大于 0 至 300,000 (above 0, up to 300,000)``."""
    shown = [f"{value:,.0f}" if value == int(value) else f"{value:,g}" for value in (low, high)]
    zh_low = f"大于 {shown[0]}" if low_open else shown[0]
    zh_high = f"小于 {shown[1]}" if high_open else shown[1]
    en_low = f"above {shown[0]}" if low_open else f"from {shown[0]}"
    en_high = f"below {shown[1]}" if high_open else f"up to {shown[1]}"
    return f"{zh_low} 至 {zh_high} ({en_low}, {en_high})"


def _range_check(
    low: float, high: float, low_open: bool, high_open: bool, whole: bool
) -> DataValidation:
    """A number cell's check: Excel stops a value outside the loader's range as it is typed.

    Excel's ``between`` includes its ends; an open end (above 0) is left to the loader.
    """
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = "whole" if whole else "decimal"
    bounds = [f"{value:.15g}" for value in (low, high)]
    check = DataValidation(type=kind, operator="between", formula1=bounds[0], formula2=bounds[1])
    check.errorStyle = "stop"
    words = range_words(low, high, low_open, high_open)
    check.error = f"取值 {words}" + ("; 须为整数 a whole number" if whole else "")
    check.promptTitle = "取值范围 range"
    check.prompt = words
    check.showInputMessage = True
    return check


def _word_list(words: Sequence[str], style: str) -> DataValidation:
    """A drop-down of the given words."""
    from openpyxl.worksheet.datavalidation import DataValidation

    listed = DataValidation(type="list", formula1='"' + ",".join(words) + '"', errorStyle=style)
    listed.error = "请选列表中的值 choose one of: " + ", ".join(words)
    return listed


def _style(sheet: Worksheet, text_columns: Sequence[int]) -> None:
    """A bold frozen header, text columns kept as text, widths to fit (long text wrapped)."""
    from openpyxl.styles import Alignment, Font

    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for position, cells in enumerate(sheet.iter_cols()):
        if position in text_columns:  # the column too, so that rows added in Excel are text
            sheet.column_dimensions[cells[0].column_letter].number_format = TEXT
        for cell in cells[1:]:
            if position in text_columns:
                cell.number_format = TEXT
            if shown_width(cell) > MAX_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = min(MAX_WIDTH, 2 + max(map(shown_width, cells)))
        sheet.column_dimensions[cells[0].column_letter].width = width


def _settings_sheet(
    sheet: Worksheet, document: dict[str, Any], notes: dict[tuple[str, str], str]
) -> None:
    """One row per setting: section, key, value (a TOML literal when not a plain word), note."""
    sheet.append(list(SETTINGS_TITLES))
    for section, key, value in _settings_rows(document):
        sheet.append([section, key, _setting_cell(value), notes.get((section, key))])
    cells_as_text(sheet)
    _style(sheet, [0, 1, 3])
    for cell in sheet["C"][1:]:
        if isinstance(cell.value, str):
            cell.number_format = TEXT


def _settings_rows(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every setting outside [tables] as (section, key, value); [[hazards]] as hazards[1], ..."""
    rows = []
    for section, content in document.items():
        if section == "tables":
            continue
        if isinstance(content, list):
            for number, entry in enumerate(content, start=1):
                rows += [(f"{section}[{number}]", key, v) for key, v in entry.items()]
        else:
            rows += [(section, key, value) for key, value in content.items()]
    return rows


def _setting_cell(value: Any) -> object:
    """A setting as a cell: numbers, true/false and plain words as they are, the rest as TOML."""
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, str) and value and value == value.strip() and value[0] not in "[{\"'":
        return value
    return toml_literal(value)


def toml_literal(value: Any) -> str:
    """A value as a TOML inline literal: ``[0.15, 0.45]``, ``{ flood = 0.3 }``, ``"text"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(ch if ch >= " " or ch == "\t" else f"\\u{ord(ch):04x}" for ch in escaped)
        return f'"{escaped}"'
    if isinstance(value, int | float):
        return repr(value)  # inf, -inf and nan are TOML's words too
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_toml_key(k)} = {toml_literal(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    if isinstance(value, date | time):
        return value.isoformat()
    raise TypeError(f"no TOML literal for {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_literal(key)


def _toml_notes(text: str) -> dict[tuple[str, str], str]:
    """Each setting's comment: the one on its line, else the comment lines just above it."""
    notes: dict[tuple[str, str], str] = {}
    section, counts, above = "", Counter(), []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("#").strip())
            continue
        listed = re.match(r"\[\[\s*([\w-]+)\s*\]\]", stripped)
        table = re.match(r"\[\s*([\w-]+)\s*\]", stripped)
        key = re.match(r"([\w-]+)\s*=", stripped)
        if listed:
            counts[listed[1]] += 1
            section = f"{listed[1]}[{counts[listed[1]]}]"
        elif table:
            section = table[1]
        elif key and section:
            note = _trailing_comment(stripped) or " ".join(above)
            if note:
                notes[(section, key[1])] = note
        if stripped:
            above = []
    return notes


def _trailing_comment(line: str) -> str:
    """The comment after a TOML line's value (a # inside a string is not one)."""
    quote = ""
    escaped = False
    for position, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[position + 1 :].strip()
    return ""


def _instructions(sheet: Worksheet, scenario: Scenario, names: list[str]) -> None:
    """The first sheet: what each sheet is, what is required, ids, units, how it is read."""
    from scenarios.plan import fill_sheet

    lines = [
        ("情景 county", f"{scenario.name_zh} {scenario.name_en} ({scenario.scenario_id})".strip()),
        (
            "用途 what this is",
            "本工作簿就是一个县的全部输入; 每个 yingji 命令都可以直接读取它 (在用 .toml 情景文件的"
            "地方给出本 .xlsx 文件). This workbook is the whole county: every yingji command "
            "reads it back wherever a scenario .toml is given.",
        ),
        (
            "表头 headers",
            "每列表头为“中文 english_key”; 读取时只看最后的英文键, 中文可改, 只写英文键也可以. "
            "不要增加表中没有的列 (会被拒绝); 删去可选列即用其默认值. Each header is "
            "'中文 english_key': only the trailing key is read. Unknown columns are refused; "
            "leave out an optional column to take its default.",
        ),
        (
            "编号 ids",
            "各表之间的编号必须一致: 储备点、库存、队伍、协议、需求等表中的乡镇编号、物资编号、"
            "储备点编号和灾种必须在对应的表 (灾种在设置表的 hazards 节) 中存在; 编号只用字母、"
            "数字、_ 和 -. Ids must match across sheets: every township_id, item_id, depot_id "
            "and hazard used must exist in its own sheet (hazards in the settings sheet); ids "
            "use letters, digits, _ and - only.",
        ),
        (
            "单位 units",
            "金额: 元; 时间: 小时 (列名以 _h 结尾), 天 (_days), 分钟 (_min); 人数: 人; 距离: "
            "公里; 比例和概率: 0 到 1 之间的小数. Money in yuan; times in hours (_h), days "
            "(_days) or minutes (_min); people in persons; distances in km; shares and "
            "probabilities as decimals from 0 to 1.",
        ),
        (
            "空白 blanks",
            "空白单元格表示使用默认值; 空行会被忽略; 是/否列填 true 或 false. An empty cell "
            "takes the default; empty rows are skipped; yes/no columns take true or false.",
        ),
        (
            "取值范围 ranges",
            "数字列只收合理范围内的值 (选中单元格时显示, 超出范围 Excel 会阻止输入, "
            "读取时也会拒绝). "
            "Number columns take values within a sane range: selecting a cell shows it, Excel "
            "stops a value outside it, and reading the workbook refuses one.",
        ),
        (
            "下拉 drop-downs",
            "有下拉列表的列只能填列表中的值 (编号列引用其他表). Columns with a drop-down take "
            "one of its values (id columns list the ids of the sheet they refer to).",
        ),
        (
            SETTINGS_SHEET,
            "每行一个设置: 节、键、值 (说明列不读取). 值为数字、文字或 true/false; 列表和表写成 "
            'TOML 形式, 如 [0.15, 0.45] 或 { flood = 0.3, living = 0.2 }; 以 [ { " 开头的文字'
            "按 TOML 读取. 灾种按 hazards[1]、hazards[2] ... 分节. 金额可写成 "
            f"{MONEY_FORMS}. One setting a row: section, key, value (the note is not read). "
            "Lists and tables are TOML literals; text starting with [ { or a quote is read as "
            "TOML. Each hazard is a section hazards[1], hazards[2], ...",
        ),
        (
            "保存 saving",
            "请保存为 Excel 工作簿 (.xlsx); 不读取启用宏的 .xlsm 或旧的 .xls 文件. Save as an "
            "Excel workbook (.xlsx); macro-enabled .xlsm and old .xls files are not read.",
        ),
    ]
    for name in names:
        need = "必需 required" if name in REQUIRED_TABLES else "可选 optional"
        lines.append((TABLE_SHEETS[name], f"{TABLE_PURPOSE[name]} ({need}). {_columns(name)}"))
    rows = [dict(zip(INSTRUCTIONS_TITLES, line, strict=True)) for line in lines]
    fill_sheet(sheet, INSTRUCTIONS_TITLES, rows, [])


def _columns(name: str) -> str:
    """Which columns of a table must be filled in."""
    if name == "travel_matrix":
        return "必需列 required: township_id, 以及每个乡镇编号一列 and one column per township"
    if name == "replay":
        return "必需列 required: replication 或 or year, time_h 或 or date, township_id, hazard"
    fields = ROW_MODELS[name].model_fields
    required = [key for key, info in fields.items() if info.is_required()]
    return "必需列 required: " + ", ".join(required)
