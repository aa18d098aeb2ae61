"""Words shown to users: one (Chinese, English) convention, in one place, and each pair whole."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from planner import labels

PLANNER = Path(__file__).resolve().parent.parent / "planner"
TABLES = {
    name: table
    for name, table in vars(labels).items()
    if name.isupper() and isinstance(table, dict)
}


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def _fields(text: str) -> list[str]:
    return [
        f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None
    ]


def test_every_table_is_found():
    assert {"CATEGORY_LABELS", "REPORT_WORDS", "CHART_TEXT", "PLAN_NAMES"} <= TABLES.keys()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_pair_is_chinese_then_english(name):
    """No English left on the Chinese side, no Chinese on the English side."""
    for key, (zh, en) in TABLES[name].items():
        assert zh.strip() and en.strip(), (name, key)
        assert _has_cjk(zh), (name, key, zh)
        assert not _has_cjk(en.replace("×", "")), (name, key, en)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_both_languages_take_the_same_numbers(name):
    """A sentence's zh and en carry the same figures: the same format fields, in any order."""
    for key, (zh, en) in TABLES[name].items():
        zh_fields, en_fields = _fields(zh), _fields(en)
        if all(field.startswith(":") for field in zh_fields + en_fields):  # positional {}
            assert len(zh_fields) == len(en_fields), (name, key)
        else:
            assert sorted(zh_fields) == sorted(en_fields), (name, key)


def test_label_picks_a_language_or_both_and_falls_back_on_the_key():
    assert labels.label(labels.CATEGORY_LABELS, "flood", "zh") == "防汛"
    assert labels.label(labels.CATEGORY_LABELS, "flood", "en") == "flood"
    assert labels.label(labels.CATEGORY_LABELS, "flood") == "防汛 flood"
    assert labels.label(labels.CATEGORY_LABELS, "made_up", "zh") == "made_up"
    assert labels.category_name("county", "en") == "county"  # a depot's upkeep row
    assert labels.judgement_label("criticality:flood", "zh") == "防汛关键性权重"
    assert labels.plan_name("improved", "zh") == "优化方案经模拟改进"
    assert labels.plan_name("my_plan.csv", "en") == "my_plan.csv"


def test_no_other_planner_module_keeps_a_table_of_words():
    """A dict of (zh, en) pairs or of "中文 english" strings outside labels.py is a second place."""
    for path in sorted(PLANNER.glob("*.py")):
        if path.name == "labels.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
                values = [v for v in node.value.values if v is not None]
                pairs = [
                    v
                    for v in values
                    if isinstance(v, ast.Tuple)
                    and len(v.elts) == 2
                    and all(
                        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts
                    )
                ]
                words = [
                    v
                    for v in values
                    if isinstance(v, ast.Constant)
                    and isinstance(v.value, str)
                    and _has_cjk(v.value)
                    and any(c.isascii() and c.isalpha() for c in v.value)
                ]
                assert not pairs and not words, f"{path.name}:{node.lineno} keeps words shown"


def test_a_users_bilingual_label_shows_the_words_of_the_reports_language():
    assert labels.own_words("常年 normal", "zh") == "常年"
    assert labels.own_words("丰水年 wet year", "en") == "wet year"
    assert labels.own_words("wet", "zh") == "wet"  # one language: as written
    assert labels.own_words("丰水年", "en") == "丰水年"
    assert labels.own_words("常年 normal", None) == "常年 normal"
