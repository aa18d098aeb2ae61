"""Files appear whole or not at all (temporary file, then rename); spreadsheets hold no formulas."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PARTIAL_SUFFIX = ".part"  # a temporary file: ``.<name>.<random>.part`` beside its target


class WriteError(OSError):
    """A file that could not be written (a full disk, a read-only folder): ``path: reason``."""

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place.

    Raises :class:`WriteError` naming ``path`` (not the temporary file) when the
    system refuses; the temporary file is gone and ``path`` is as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=path.parent
        )
    except OSError as error:
        raise _write_error(path, error) from None
    os.close(handle)
    try:
        write(Path(temporary))
        # mkstemp makes the file private (0600); plans and results are shared like any file.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise _write_error(path, error) from None
        raise
    return path


def remove_partial_files(folder: Path) -> None:
    """Remove the temporary files a killed run left in ``folder``; never a finished file."""
    for partial in folder.glob(f".*{PARTIAL_SUFFIX}"):
        partial.unlink(missing_ok=True)


def _write_error(path: Path, error: OSError) -> WriteError:
    """``error`` as one line naming ``path``: "no space left on device", not a traceback."""
    # a library's own error (pyarrow's, openpyxl's) may carry no errno: its text, then
    reason = os.strerror(error.errno) if error.errno else " ".join(str(error).split())
    reason = reason[:1].lower() + reason[1:]
    return WriteError(error.errno, reason, str(path))


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is put straight back)."""
    current = os.umask(0)
    os.umask(current)
    return current


def cells_as_text(sheet: Any) -> None:
    """Store every cell of an openpyxl sheet that would be a formula as plain text.

    openpyxl writes any string that starts with ``=`` as a live formula, so a
    township or item named ``=HYPERLINK(...)`` would run in the reader's Excel.
    Nothing we write is meant as a formula: every such cell becomes a string.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then Chinese Excel's


def read_csv_text(path: Path) -> str:
    """A CSV file's text: UTF-8 (a BOM allowed), or GB18030/GBK as Chinese Excel saves it.

    Raises ``UnicodeDecodeError`` when it is neither, and ``OSError`` when unreadable.
    """
    data = path.read_bytes()
    for encoding in CSV_ENCODINGS[:-1]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(CSV_ENCODINGS[-1])
