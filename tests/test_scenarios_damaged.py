"""Damaged scenarios, generated: every column and setting of the tiny county, one damage at a time.

The contract (issue 16): a damaged scenario either loads into a valid Scenario
whose numbers are all finite (and a sample of them simulates two years to
finite results), or loading raises :class:`InputError` in one line naming the
file and the field or column. Never another exception, never a hang.

The generator is deterministic and needs nothing beyond the standard library:
each field of each table (every column its row model has, given or not, in the
first row), of each TOML section and of a hazard (in turn) gets every damage its
kind of value can take (numbers: text, negative, zero, inf, -inf, nan, 1e308,
1e19, a 5,000-digit number, empty; true/false: a number, text, empty; text: a
5,000-character name, empty, a number). Whole files come on top: bytes that are
no text, a byte-order mark, UTF-16, GBK, one cell in GBK in a UTF-8 file, a NUL
byte. That is about 1,300 cases, every one run (no sampling: about 30 s on two
cores); each that loads also simulates two years.
"""

from __future__ import annotations

import copy
import math
import signal
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from scenarios import InputError, Scenario, load
from scenarios.schema import Hazard
from scenarios.schema import Scenario as ScenarioModel
from scenarios.sources import ROW_MODELS
from sim import simulate
from sim.metrics import summarize
from tests import builders

SECONDS_PER_CASE = 10  # a hang is a failure, not a stuck CI job
MAYBE_MISSING = ("county_first_batch_h",)  # NaN where no batch came: a gap, not a number

NUMBER_DAMAGES: dict[str, Any] = {
    "text": "abc",
    "negative": -1,
    "zero": 0,
    "inf": math.inf,
    "-inf": -math.inf,
    "nan": math.nan,
    "1e308": 1e308,
    "1e19": 10**19,
    "huge-number": "9" * 5000,
    "empty": "",
}
TRUTH_DAMAGES: dict[str, Any] = {"number": 2, "text": "maybe", "empty": ""}
TEXT_DAMAGES: dict[str, Any] = {"huge-text": "名" * 5000, "empty": "", "number": 1e308}

# Sections of the TOML and the model of each (the [scenario] table is the Scenario's own).
SECTIONS = {
    name: (typing.get_args(field.annotation) or (field.annotation,))[0]
    for name, field in ScenarioModel.model_fields.items()
    if name in (
        "penalties", "travel", "dispatch", "rain_episodes", "procurement", "rules",
        "outcomes", "objective", "everyday", "ledger", "delivery", "norm_rules",
    )
}  # fmt: skip
# A section the tiny county leaves out starts from what it needs beside the damaged key.
SECTION_BASE: dict[str, dict[str, Any]] = {
    "procurement": {"last_year_category_shares": {"flood": 0.5, "living": 0.5}},
}
SCENARIO_KEYS = ("scenario_id", "name_zh", "name_en", "seed", "horizon_days")
SCENARIO_KEYS += ("procurement_budget_yuan",)


@dataclass(frozen=True)
class Damage:
    """One damaged scenario: its name, and how to write it into a folder."""

    name: str
    field: str  # the column or setting damaged, which a refusal must name
    file: str  # the file a refusal names ("scenario.toml" or "<table>.csv")
    write: Callable[[Path], Path]


# ---------------------------------------------------------------- the generator


def _kind(annotation: Any) -> str:
    """``number``, ``truth`` or ``text``: which damages a field's values can take."""
    args = typing.get_args(annotation)
    if annotation is bool or bool in args:
        return "truth"
    flat = str(annotation)
    if annotation in (int, float) or "float" in flat or "int" in flat:
        return "number"
    return "text"


def _damages(kind: str) -> list[tuple[str, Any]]:
    """Every damage a field of ``kind`` can take, by name."""
    return list(
        {"number": NUMBER_DAMAGES, "truth": TRUTH_DAMAGES, "text": TEXT_DAMAGES}[kind].items()
    )


def _table_damages() -> Iterator[Damage]:
    """Every column of every table the tiny county has, damaged in its first row."""
    for table in builders.TABLES:
        for column, field in ROW_MODELS[table].model_fields.items():
            for label, value in _damages(_kind(field.annotation)):
                write = _cell(table, column, value)
                yield Damage(f"{table}.{column}={label}", column, f"{table}.csv", write)


def _cell(table: str, column: str, value: Any) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        rows = copy.deepcopy(builders.TABLES[table])
        rows[0][column] = _csv_text(value)
        return builders.write_scenario(folder, tables={table: rows})

    return write


def _csv_text(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
    return str(value)


def _setting_damages() -> Iterator[Damage]:
    """Every key of every TOML section and of a hazard (each hazard in turn), damaged."""
    for key in SCENARIO_KEYS:
        for label, value in _damages(_kind(ScenarioModel.model_fields[key].annotation)):
            write = _setting("scenario", key, value)
            yield Damage(f"scenario.{key}={label}", key, "scenario.toml", write)
    for section, model in SECTIONS.items():
        for key, field in model.model_fields.items():
            for label, value in _damages(_leaf_kind(field.annotation)):
                write = _setting(section, key, value)
                yield Damage(f"{section}.{key}={label}", key, "scenario.toml", write)
    for turn, (key, field) in enumerate(Hazard.model_fields.items()):
        hazard = turn % len(builders.HAZARDS)
        for label, value in _damages(_leaf_kind(field.annotation)):
            write = _hazard(hazard, key, value)
            yield Damage(f"hazards[{hazard}].{key}={label}", key, "scenario.toml", write)


def _leaf_kind(annotation: Any) -> str:
    """The kind of a setting's leaves: a dict's values, a list's items, or the value itself."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return _leaf_kind(args[1])
    if origin is tuple:
        return _leaf_kind(args[0])
    return _kind(annotation)


def _setting(section: str, key: str, value: Any) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        toml = copy.deepcopy(builders.TOML_BASE)
        table = toml.setdefault(section, copy.deepcopy(SECTION_BASE.get(section, {})))
        table[key] = _into(table.get(key), value)
        return builders.write_scenario(folder, toml=toml)

    return write


def _hazard(index: int, key: str, value: Any) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        hazards = copy.deepcopy(builders.HAZARDS)
        hazards[index][key] = _into(hazards[index].get(key), value)
        return builders.write_scenario(folder, hazards=hazards)

    return write


def _into(current: Any, value: Any) -> Any:
    """``value`` in the place of ``current``'s first leaf (a dict's first value, a list's first)."""
    if isinstance(current, dict) and current:
        first = next(iter(current))
        return {**current, first: _into(current[first], value)}
    if isinstance(current, list) and current:
        return [_into(current[0], value), *current[1:]]
    return value


def _file_damages() -> Iterator[Damage]:
    """Whole files damaged: their bytes, their encoding, their byte-order mark."""
    for table in ("townships", "items", "teams"):
        for label, damage in ENCODING_DAMAGES.items():
            yield Damage(f"{table}.csv:{label}", "", f"{table}.csv", _bytes(f"{table}.csv", damage))
    for label, damage in ENCODING_DAMAGES.items():
        yield Damage(f"scenario.toml:{label}", "", "scenario.toml", _bytes("scenario.toml", damage))


def _bytes(name: str, damage: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = builders.write_scenario(folder)
        target = folder / name
        target.write_bytes(damage(target.read_bytes()))
        return path

    return write


def _mixed(data: bytes) -> bytes:
    """The first Chinese text of the file saved in GBK, the rest left in UTF-8."""
    text = data.decode("utf-8")
    first = next((char for char in text if ord(char) > 127), None)
    if first is None:
        return data
    head, _, tail = text.partition(first)
    return head.encode() + first.encode("gbk") + tail.encode()


ENCODING_DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "not-text": lambda data: data[:40] + b"\xff\xfe\x80\xff" + data[40:],
    "bom": lambda data: b"\xef\xbb\xbf" + data,
    "utf-16": lambda data: data.decode("utf-8").encode("utf-16"),
    "mixed-encodings": _mixed,
    "nul-byte": lambda data: data[:30] + b"\x00" + data[30:],
    "gbk": lambda data: data.decode("utf-8").encode("gbk"),
}

CASES = [*_table_damages(), *_setting_damages(), *_file_damages()]


# ---------------------------------------------------------------- the contract


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail a case that runs longer than ``seconds`` (a hang), instead of hanging CI."""

    def expired(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def numbers_of(value: Any) -> Iterator[float]:
    """Every number inside a validated scenario."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from numbers_of(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers_of(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from numbers_of(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield float(value)


def assert_simulates_to_finite_numbers(scenario: Scenario) -> None:
    """Two simulated years: no number is infinite, and none is NaN but an empty share's."""
    result = simulate(scenario, reps=2)
    frames = {name: getattr(result, name) for name in ("events", "items", "dispatches", "stock")}
    summary = summarize(result)
    # a share of no events (no large event, nobody to evacuate) has no value: NaN, shown blank
    frames["summary"] = summary[~summary["unit"].str.startswith("share of")]
    for name, frame in frames.items():
        numbers = frame.select_dtypes("number").drop(columns=list(MAYBE_MISSING), errors="ignore")
        bad = [column for column in numbers if not np.isfinite(numbers[column]).all()]
        assert not bad, f"{name}: not finite in {bad}"
    shares = summary.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(shares).any(), "an infinite share"


def assert_refusal_names_the_place(error: InputError, damage: Damage, folder: Path) -> None:
    message = str(error)
    assert "\n" not in message, message
    files = [folder / "scenario.toml", *(folder / f"{table}.csv" for table in builders.TABLES)]
    assert any(message.startswith(f"{file}: ") for file in files), message
    if damage.field:
        # an id may be refused where it is used (stock.csv's item_id), under its own name
        names = {damage.field, damage.field.removesuffix("_id")}
        assert any(name in message.removeprefix(str(folder)) for name in names), message
    else:
        assert message.startswith(f"{folder / damage.file}: "), message


@pytest.mark.parametrize("damage", CASES, ids=[case.name for case in CASES])
def test_a_damaged_scenario_loads_finite_or_is_refused_in_one_line(
    damage: Damage, tmp_path: Path
) -> None:
    path = damage.write(tmp_path)
    with time_limit(SECONDS_PER_CASE):
        try:
            scenario = load(path)
        except InputError as error:
            assert_refusal_names_the_place(error, damage, tmp_path)
            return
        bad = [number for number in numbers_of(scenario) if not math.isfinite(number)]
        assert not bad, bad
        assert_simulates_to_finite_numbers(scenario)


def test_the_generator_covers_every_column_setting_and_damage() -> None:
    fields = {case.name.split("=")[0] for case in CASES}
    for table in builders.TABLES:
        for column in ROW_MODELS[table].model_fields:
            assert f"{table}.{column}" in fields
    for key in Hazard.model_fields:
        assert any(name.endswith(f"].{key}") for name in fields if name.startswith("hazards["))
    used = {case.name.split("=")[1] for case in CASES if "=" in case.name}
    assert set(NUMBER_DAMAGES) | set(TRUTH_DAMAGES) | set(TEXT_DAMAGES) <= used
