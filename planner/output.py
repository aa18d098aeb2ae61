"""Writing results: every file appears whole or not at all (temporary file, then rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from scenarios.errors import InputError


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        # mkstemp makes the file private (0600); results are meant to be shared like any file.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as Parquet, atomically."""
    return write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as UTF-8 CSV, atomically."""
    return write_atomic(path, lambda p: frame.to_csv(p, index=False, encoding="utf-8"))


def prepare_out_dir(path: Path) -> Path:
    """Create the output folder, or refuse with one line if it cannot be used."""
    if path.exists() and not path.is_dir():
        raise InputError(path, "--out", "exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(path, "--out", f"cannot create the folder: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise InputError(path, "--out", "folder is not writable")
    return path
