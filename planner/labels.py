"""Words shown to users, each once, as a (Chinese, English) pair.

The report picks one language; the console and the workbooks show both, Chinese
first (:func:`both`).
"""

from __future__ import annotations

LANGS = ("zh", "en")

Pair = tuple[str, str]  # (Chinese, English)

PLAN_NAMES: dict[str, Pair] = {
    "status_quo": ("现状（不采购）", "status quo"),
    "optimised": ("优化方案", "optimised"),
    "improved": ("优化方案经模拟改进", "optimised, improved by simulation"),
    "last_year_rule": ("去年的分配办法", "last year's rule"),
    "equal_split": ("平均分配", "equal split"),
    "top_up": ("按需补足（最关键的先补）", "top-up to need, most critical first"),
    "greedy": ("逐批贪心", "greedy"),
}


def in_lang(pair: Pair, lang: str) -> str:
    """The pair's word in ``lang`` (``zh`` or ``en``)."""
    return pair[LANGS.index(lang)]


def both(pair: Pair) -> str:
    """The pair as the console and the workbooks show it: Chinese, then English."""
    return f"{pair[0]} {pair[1]}"


def plan_name(plan: str, lang: str) -> str:
    """A plan's display name; plan files keep their own name."""
    names = PLAN_NAMES.get(plan)
    return in_lang(names, lang) if names else plan
