"""A county uploaded as a zip of its TOML settings and CSV tables, unpacked safely.

Every member is checked before anything is written: no absolute path, no ``..``,
no backslash or drive letter, no link, no encrypted member, at most
:data:`MAX_MEMBERS` of them and :data:`MAX_UNPACKED` bytes in all, as declared
and as actually read (a zip bomb may lie in its headers). Exactly one ``.toml``
sits nearest the top, and every table it names must be a file unpacked from
the same zip: a table path such as ``/etc/passwd`` or ``../../x.csv`` would
otherwise have the server read its own files. A refusal is one line naming the
zip and the member.
"""

from __future__ import annotations

import re
import shutil
import stat
import tomllib
import zipfile
from io import BytesIO
from pathlib import Path, PurePosixPath

from planner.labels import page_word

ZIP_SUFFIX = ".zip"
MAX_MEMBERS = 200  # a county is a TOML and about ten CSV tables
MAX_UNPACKED = 50 * 1024 * 1024  # the bundled county's folder is 0.3 MB
CHUNK = 64 * 1024
IGNORED = ("__MACOSX/",)  # what macOS adds to a zip: never a county's file
_DRIVE = re.compile(r"^[A-Za-z]:")


class ZipRefusedError(Exception):
    """A zip that is not unpacked: the one line that says why."""


def unpack_county(data: bytes, name: str, into: Path, lang: str) -> Path:
    """Unpack the zip ``data`` (called ``name`` by the user) into ``into``; its TOML's path.

    Raises :class:`ZipRefusedError` with the one-line reason; ``into`` is then removed.
    """
    try:
        return _unpack(data, name, into, lang)
    except ZipRefusedError:
        shutil.rmtree(into, ignore_errors=True)
        raise


def _unpack(data: bytes, name: str, into: Path, lang: str) -> Path:
    def refuse(key: str, *args: object) -> ZipRefusedError:
        return ZipRefusedError(f"{name}: " + page_word(key, lang).format(*args))

    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise refuse("zip_not_zip") from None
    with archive:
        members = [m for m in archive.infolist() if not m.filename.startswith(IGNORED)]
        if len(members) > MAX_MEMBERS:
            raise refuse("zip_too_many", MAX_MEMBERS, len(members))
        if sum(m.file_size for m in members) > MAX_UNPACKED:
            raise refuse("zip_too_big", MAX_UNPACKED // (1024 * 1024))
        for member in members:
            _check_member(member, refuse)
        settings = _settings_file(members, refuse)
        into.mkdir(parents=True)
        written = 0
        for member in members:
            if member.is_dir():
                continue
            target = into.joinpath(*PurePosixPath(member.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("xb") as sink:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > MAX_UNPACKED:  # more than its header said
                        raise refuse("zip_too_big", MAX_UNPACKED // (1024 * 1024))
                    sink.write(chunk)
    toml = into.joinpath(*PurePosixPath(settings).parts)
    _check_tables(toml, into, settings, refuse)
    return toml


def _check_member(member: zipfile.ZipInfo, refuse) -> None:
    """Refuse a member that would land outside the folder, is a link, or is encrypted."""
    text = member.filename
    parts = PurePosixPath(text).parts
    if text.startswith("/") or "\\" in text or _DRIVE.match(text) or ".." in parts:
        raise refuse("zip_outside", text)
    if stat.S_ISLNK(member.external_attr >> 16):
        raise refuse("zip_link", text)
    if member.flag_bits & 0x1:
        raise refuse("zip_encrypted", text)


def _settings_file(members: list[zipfile.ZipInfo], refuse) -> str:
    """The county's one ``.toml``, the one nearest the top of the zip."""
    tomls = [
        m.filename
        for m in members
        if m.filename.lower().endswith(".toml") and not m.is_dir()
        and not PurePosixPath(m.filename).name.startswith("._")
    ]  # fmt: skip
    if not tomls:
        raise refuse("zip_no_toml")
    top = min(len(PurePosixPath(t).parts) for t in tomls)
    nearest = [t for t in tomls if len(PurePosixPath(t).parts) == top]
    if len(nearest) > 1:
        raise refuse("zip_two_tomls", ", ".join(sorted(nearest)[:3]))
    return nearest[0]


def _check_tables(toml: Path, into: Path, settings: str, refuse) -> None:
    """Every table the settings name is a file of this zip (nothing else is ever read)."""
    try:
        document = tomllib.loads(toml.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # not TOML: the loader says so, as the CLI does
    tables = document.get("tables")
    if not isinstance(tables, dict):
        return
    root = into.resolve()
    for key, value in tables.items():
        if not isinstance(value, str):
            continue
        target = (toml.parent / value).resolve()
        if Path(value).is_absolute() or not target.is_relative_to(root):
            raise refuse("zip_table_outside", settings, key, value)
