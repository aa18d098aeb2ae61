"""Writing a built report: one self-contained HTML page, a PDF, and an Excel workbook.

The HTML carries everything inside it: charts as PNG data, and the Chinese font
cut down to the characters the page uses, so it reads the same on a machine with
no Chinese fonts and can be mailed as one file. Every name from the scenario goes
through the template's HTML escaping. The PDF is drawn with matplotlib (no
browser needed), and the workbook holds the full procurement list with totals.
"""

from __future__ import annotations

import base64
import io
import textwrap
import unicodedata
from pathlib import Path

import pandas as pd
from fontTools import subset
from jinja2 import Environment
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from planner.document import Report
from planner.fonts import font_path
from planner.labels import plan_name
from planner.tables import CATEGORY_LABELS, TIER_LABELS
from scenarios.files import cells_as_text, write_atomic
from scenarios.plan import TOTAL_LABEL, add_plan_sheets, procurement_lines

FIGURE_DPI = 150
FONT_FAMILY = "yingji-report"

TEMPLATE = """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if report.lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }}</title>
<style>
@font-face { font-family: "{{ font_family }}";
             src: url(data:font/otf;base64,{{ font_data }}) format("opentype"); }
body { font-family: "{{ font_family }}", "DejaVu Sans", sans-serif; color: #111; margin: 2em auto;
       max-width: 60em; padding: 0 1em; line-height: 1.55; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
.subtitle { color: #444; margin-top: 0; }
h2 { border-bottom: 2px solid #333; padding-bottom: 0.2em; margin-top: 2em; }
figure { margin: 1.5em 0; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { color: #333; font-size: 0.9em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; width: 100%; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4em; }
th, td { border: 1px solid #999; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #e8e8e8; }
td.number { text-align: right; white-space: nowrap; }
li { margin-bottom: 0.4em; }
</style>
</head>
<body>
<h1>{{ report.title }}</h1>
<p class="subtitle">{{ report.subtitle }}</p>
{% for section in report.sections %}
<section id="{{ section.key }}">
<h2>{{ section.title }}</h2>
{% if section.bullets %}
<ul>{% for bullet in section.bullets %}<li>{{ bullet }}</li>{% endfor %}</ul>
{% endif %}
{% for paragraph in section.paragraphs %}<p>{{ paragraph }}</p>{% endfor %}
{% for table in section.tables %}
<table>
<caption>{{ table.caption }}</caption>
<thead><tr>
{% for column in table.frame.columns %}<th>{{ column }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in table.frame.itertuples(index=False) %}
<tr>{% for value in row %}
<td{% if value is number_like %} class="number"{% endif %}>{{ value }}</td>
{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% for caption, image in section.images %}
<figure><img src="data:image/png;base64,{{ image }}" alt="{{ caption }}">
<figcaption>{{ caption }}</figcaption></figure>
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""


def _number_like(value: object) -> bool:
    text = str(value).replace(",", "").replace("%", "").replace("+", "").replace("–", "")
    return bool(text.strip()) and all(
        part.replace(".", "", 1).lstrip("-").isdigit() for part in text.split()
    )


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _report_text(report: Report) -> str:
    """Every character the page shows, to cut the font down to."""
    parts = [report.title, report.subtitle]
    for section in report.sections:
        parts += [section.title, *section.bullets, *section.paragraphs]
        parts += [caption for caption, _ in section.figures]
        for table in section.tables:
            parts.append(table.caption)
            parts += map(str, table.frame.columns)
            parts += [str(v) for v in table.frame.to_numpy().ravel()]
    return "".join(parts)


def _font_subset(characters: str) -> str:
    """The report font cut down to ``characters`` (plus ASCII), as base64 OpenType."""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    font = subset.load_font(str(font_path()), options)
    subsetter = subset.Subsetter(options)
    wanted = set(characters) | {chr(c) for c in range(32, 127)}
    subsetter.populate(unicodes=[ord(c) for c in wanted])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (charts and font inside)."""
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.tests["number_like"] = _number_like
    sections = [
        {
            "key": section.key,
            "title": section.title,
            "bullets": section.bullets,
            "paragraphs": section.paragraphs,
            "tables": section.tables,
            "images": [(caption, _png(figure)) for caption, figure in section.figures],
        }
        for section in report.sections
    ]
    page = {"lang": report.lang, "title": report.title, "subtitle": report.subtitle}
    page["sections"] = sections
    return environment.from_string(TEMPLATE).render(
        report=page, font_family=FONT_FAMILY, font_data=_font_subset(_report_text(report))
    )


def write_html(report: Report, path: Path) -> Path:
    """Write the HTML report atomically."""
    page = render_html(report)
    return write_atomic(path, lambda p: p.write_text(page, encoding="utf-8"))


A4_INCHES = (8.27, 11.69)
PDF_TABLE_ROWS = 30


def write_pdf(report: Report, path: Path) -> Path:
    """Write the PDF report atomically: a text page, then each section's tables and charts."""

    def draw(temporary: Path) -> None:
        with PdfPages(temporary, metadata={"Title": report.title, "Creator": "yingji"}) as pdf:
            pdf.savefig(_text_page(report))
            for section in report.sections[1:]:
                for page in _section_pages(section, report.lang):
                    pdf.savefig(page)
                for caption, figure in section.figures:
                    figure.suptitle(caption, fontsize=9, y=0.005, va="bottom", color="#333")
                    pdf.savefig(figure, bbox_inches="tight")

    return write_atomic(path, draw)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns; Chinese breaks anywhere, Latin at spaces."""
    if _width(text) == len(text):
        return textwrap.wrap(text, width) or [""]
    lines, line = [], ""
    for character in text:
        if _width(line + character) > width:
            lines.append(line)
            line = ""
        line += character
    return [*lines, line]


def _text_page(report: Report) -> Figure:
    figure = Figure(figsize=A4_INCHES)
    y = 0.95
    figure.text(0.07, y, report.title, fontsize=15, va="top")
    y -= 0.035
    figure.text(0.07, y, report.subtitle, fontsize=9, color="#444", va="top")
    y -= 0.04
    for section in report.sections:
        if not (section.bullets or section.paragraphs):
            continue
        figure.text(0.07, y, section.title, fontsize=12, va="top")
        y -= 0.03
        for paragraph in (*(f"• {b}" for b in section.bullets), *section.paragraphs):
            for line in wrap(paragraph, 96):
                figure.text(0.08, y, line, fontsize=9, va="top")
                y -= 0.018
            y -= 0.008
        y -= 0.015
    return figure


def _section_pages(section, lang: str) -> list[Figure]:
    pages = []
    for table in section.tables:
        frame = table.frame
        for start in range(0, max(len(frame), 1), PDF_TABLE_ROWS):
            chunk = frame.iloc[start : start + PDF_TABLE_ROWS]
            figure = Figure(figsize=A4_INCHES)
            figure.text(0.06, 0.96, section.title, fontsize=12, va="top")
            figure.text(0.06, 0.93, table.caption, fontsize=10, va="top")
            if len(chunk.columns):
                axes = figure.add_axes((0.06, 0.05, 0.88, 0.85))
                axes.axis("off")
                cells = [[_cell(v) for v in row] for row in chunk.itertuples(index=False)]
                shown = axes.table(
                    cellText=cells or [[""] * len(chunk.columns)],
                    colLabels=[_cell(c) for c in chunk.columns],
                    loc="upper center",
                    cellLoc="left",
                )
                shown.auto_set_font_size(False)
                shown.set_fontsize(7)
                for cell in shown.get_celld().values():
                    cell.get_text().set_parse_math(False)
            pages.append(figure)
    return pages


def _cell(value: object) -> str:
    text = str(value)
    return "\n".join(wrap(text, 34)) if _width(text) > 34 else text


def write_workbook(report: Report, path: Path) -> Path:
    """The Excel workbook: the plan's own sheets (it reads back as the plan), then the tables.

    The plan is laid out as ``plan.xlsx`` lays it out (:func:`scenarios.plan.add_plan_sheets`):
    the purchasing office's list, the purchases by depot with their totals, staffing
    and norms; then the cost by category and the report's tables as numbers.
    """
    results = report.results
    sheets: dict[str, pd.DataFrame] = {}
    if results.plan is not None:
        lines = procurement_lines(results.plan.plan, results.scenario)
        sheets["分类合计 by category"] = _category_totals(lines)
        sheets["评估 evaluation"] = results.plan.evaluation.assign(
            plan_name=[plan_name(p, report.lang) for p in results.plan.evaluation["plan"]]
        )
    if results.today is not None:
        sheets["现状 today"] = results.today.summary
    if results.sweep is not None:
        summary = results.sweep.summary
        sheets["扫描 sweep"] = summary[
            (summary["metric"] == "weighted_unmet") & (summary["group"] == "all")
        ]
    if results.comparison is not None:
        sheets["比较 comparison"] = results.comparison.comparison
    if results.years is not None:
        sheets["多年 years"] = results.years.years
        if results.years.differences is not None:
            sheets["对照 against"] = results.years.differences

    def save(temporary: Path) -> None:
        with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                cells_as_text(writer.sheets[name])  # names from users' files: never a formula
                _fit_columns(writer.sheets[name], frame)
            if results.plan is not None:
                add_plan_sheets(writer.book, results.plan.plan, results.scenario)

    return write_atomic(path, save)


def _category_totals(lines: pd.DataFrame) -> pd.DataFrame:
    totals = lines.groupby(["category", "tier"], as_index=False)["cost_yuan"].sum()
    totals = totals.assign(
        category=[CATEGORY_LABELS.get(c, c) for c in totals["category"]],
        tier=[TIER_LABELS.get(t, t) for t in totals["tier"]],
    ).rename(
        columns={"category": "类别 category", "tier": "层级 tier", "cost_yuan": "金额 cost (yuan)"}
    )
    total = {
        "类别 category": TOTAL_LABEL,
        "层级 tier": None,
        "金额 cost (yuan)": float(lines["cost_yuan"].sum()),
    }
    return pd.concat([totals, pd.DataFrame([total])], ignore_index=True)


def _fit_columns(sheet, frame: pd.DataFrame) -> None:
    for index, column in enumerate(frame.columns, start=1):
        values = [str(column), *map(str, frame[column].head(200))]
        width = min(60, max(_width(v) for v in values) + 2)
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width


def write_report_files(report: Report, out: Path) -> dict[str, Path]:
    """Write ``out`` (.html), and the PDF and workbook beside it; returns the paths."""
    out = out.with_suffix(".html")
    written = {"html": write_html(report, out)}
    written["pdf"] = write_pdf(report, out.with_suffix(".pdf"))
    written["xlsx"] = write_workbook(report, out.with_suffix(".xlsx"))
    return written
