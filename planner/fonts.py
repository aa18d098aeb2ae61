"""The report font: Noto Sans SC from a pip package, so Chinese renders on any machine.

The font file ships in the ``pylopdf-fonts-zh-cn`` wheel (Noto Sans SC Regular,
Simplified Chinese glyph forms, SIL Open Font License 1.1), a dependency of
yingji; nothing is looked up among system fonts and nothing is downloaded at
run time. Latin text falls back to DejaVu Sans, which matplotlib bundles.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import matplotlib
from matplotlib import font_manager

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_DISTRIBUTION = "pylopdf-fonts-zh-cn"
FONT_FILE = "NotoSansSC-Regular.otf"
LATIN_FALLBACK = "DejaVu Sans"
CFF_MAGIC = b"OTTO"  # first bytes of an OpenType file with CFF outlines


class FontMissingError(RuntimeError):
    """The package that carries the Chinese font is not installed."""


def font_path() -> Path:
    """Path of the bundled Noto Sans SC file; raises :class:`FontMissingError` if absent."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise FontMissingError(
            f"the Chinese chart font {FONT_FILE} is missing: install the package "
            f"{FONT_DISTRIBUTION} (pip install {FONT_DISTRIBUTION}), a dependency of yingji"
        )
    return path


@cache
def _register() -> tuple[str, int]:
    """Add the font file to matplotlib's font manager once; its family and PDF font type."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    # matplotlib embeds TrueType outlines as Type 42 but writes CFF (PostScript)
    # outlines into a TrueType slot that PDF readers flag as broken; Type 3 is
    # valid for both, so CFF fonts get Type 3.
    with path.open("rb") as handle:
        pdf_fonttype = 3 if handle.read(4) == CFF_MAGIC else 42
    return family, pdf_fonttype


def use_report_fonts() -> str:
    """Register the Chinese font and make it matplotlib's default; returns its family name.

    Idempotent. Sets ``font.family`` to the Chinese family with DejaVu Sans as
    per-glyph fallback, a minus sign both fonts carry, and a PDF font type that
    embeds the outlines (fonts in the PDF, so it prints the same everywhere).
    """
    family, pdf_fonttype = _register()
    matplotlib.rcParams["font.family"] = [family, LATIN_FALLBACK]
    matplotlib.rcParams["font.sans-serif"] = [
        family,
        *(f for f in matplotlib.rcParams["font.sans-serif"] if f != family),
    ]
    matplotlib.rcParams["axes.unicode_minus"] = True
    matplotlib.rcParams["pdf.fonttype"] = pdf_fonttype
    matplotlib.rcParams["svg.fonttype"] = "path"
    return family
