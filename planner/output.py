"""Writing results: every file appears whole or not at all (temporary file, then rename)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from scenarios.errors import InputError
from scenarios.files import write_atomic


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
