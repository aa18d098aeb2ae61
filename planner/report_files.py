"""Writing a built report: one self-contained HTML page, its PDF, and an Excel workbook.

The HTML carries everything inside it: charts as PNG data, and the Chinese font
cut down to the characters the page uses, so it reads the same on a machine with
no Chinese fonts and can be mailed as one file. Every name from the scenario goes
through the template's HTML escaping. The PDF is that page printed by headless
Chromium (:mod:`planner.printing`) under the template's print rules, and the
workbook holds the full procurement list with totals.
"""

from __future__ import annotations

import base64
import io
import unicodedata
from pathlib import Path

import pandas as pd
from fontTools import subset
from jinja2 import Environment
from matplotlib.figure import Figure
from rich.console import Console

from planner.document import Report
from planner.fonts import font_path
from planner.labels import TIER_LABELS, category_name, column_title, label, plan_name
from planner.output import terminal
from planner.printing import ChromiumMissingError, print_pdf
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
/* Printing (the PDF): A4 with the page number at the bottom, the page's full width. */
@page { size: A4; margin: 16mm 15mm 18mm;
        @bottom-center { content: counter(page) " / " counter(pages);
                         font-family: "{{ font_family }}", "DejaVu Sans", sans-serif;
                         font-size: 8.5pt; color: #444; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; line-height: 1.45; }
  h1 { margin-top: 0; }
  h2 { margin-top: 1.4em; }
  h1, h2, .subtitle, caption { break-after: avoid; }
  /* a long table goes on over pages with its header row on each, never a row cut in two */
  thead { display: table-header-group; }
  tr, li, figure { break-inside: avoid; }
  p { orphans: 3; widows: 3; }
  td { overflow-wrap: anywhere; }
  /* a tall chart is shrunk to fit one page rather than cut at its foot */
  figure img { width: auto; max-width: 100%; max-height: 215mm; }
}
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
            hazards = {h.hazard_id: h.name_zh for h in results.scenario.hazards}
            for name, frame in sheets.items():
                titles = {column: column_title(str(column), hazards) for column in frame.columns}
                shown = frame.rename(columns=titles)
                shown.to_excel(writer, sheet_name=name, index=False)
                cells_as_text(writer.sheets[name])  # names from users' files: never a formula
                _fit_columns(writer.sheets[name], shown)
            if results.plan is not None:
                add_plan_sheets(writer.book, results.plan.plan, results.scenario)

    return write_atomic(path, save)


def _category_totals(lines: pd.DataFrame) -> pd.DataFrame:
    totals = lines.groupby(["category", "tier"], as_index=False)["cost_yuan"].sum()
    totals = totals.assign(
        category=[category_name(c) for c in totals["category"]],
        tier=[label(TIER_LABELS, t) for t in totals["tier"]],
    ).rename(
        columns={"category": "类别 category", "tier": "层级 tier", "cost_yuan": "金额 cost (yuan)"}
    )
    total = {
        "类别 category": TOTAL_LABEL,
        "层级 tier": None,
        "金额 cost (yuan)": float(lines["cost_yuan"].sum()),
    }
    return pd.concat([totals, pd.DataFrame([total])], ignore_index=True)


def _width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: Chinese characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit_columns(sheet, frame: pd.DataFrame) -> None:
    for index, column in enumerate(frame.columns, start=1):
        values = [str(column), *map(str, frame[column].head(200))]
        width = min(60, max(_width(v) for v in values) + 2)
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width


def write_report_files(
    report: Report, out: Path, console: Console | None = None
) -> dict[str, Path]:
    """Write ``out`` (.html), and the PDF and workbook beside it; returns the paths written.

    Without Chromium the HTML and the workbook are still written and ``console``
    (stderr by default) says in one line why there is no PDF; a PDF left from an
    earlier run is removed, so no PDF lies beside an HTML page it does not show.
    Chromium that is there but fails raises :class:`planner.printing.PrintError`,
    after the HTML and the workbook are written and the old PDF removed.
    """
    out = out.with_suffix(".html")
    pdf = out.with_suffix(".pdf")
    html = write_html(report, out)
    xlsx = write_workbook(report, out.with_suffix(".xlsx"))
    try:
        printed = print_pdf(html, pdf)
    except ChromiumMissingError as error:
        stale = pdf.is_file()
        pdf.unlink(missing_ok=True)
        removed = f"; the earlier {pdf.name} is removed" if stale else ""
        (console or terminal(stderr=True)).print(
            f"warning: {pdf.name} not written: {error}{removed}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return {"html": html, "xlsx": xlsx}
    except BaseException:
        pdf.unlink(missing_ok=True)
        raise
    return {"html": html, "pdf": printed, "xlsx": xlsx}
