"""A report as data: sections of bullets, paragraphs, tables and figures, in one language.

Built by :mod:`planner.report_content`, written by :mod:`planner.report_files`;
neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from planner.results import Results


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A table ready to show: column titles in the report's language, values formatted."""

    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report: a title, paragraphs, charts with captions, tables."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[tuple[str, Figure], ...] = ()
    tables: tuple[ReportTable, ...] = ()
    bullets: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Report:
    """The whole report in one language."""

    lang: str
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    results: Results
