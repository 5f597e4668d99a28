"""Project text files as editors and Windows tools leave them: encodings and line endings.

Windows PowerShell's `>` writes UTF-16 (`conda env export > environment.yml`),
editors may add a UTF-8 byte-order mark, and git with core.autocrlf=true checks
files out with CRLF. Reading never translates line endings, so a rewrite can
keep the file's own.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import NamedTuple

from lockstep.shared.errors import InputError, UnreadableFileError
from lockstep.shared.os_error_fix import with_fix

CRLF = "\r\n"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BARE_LF = re.compile(r"(?<!\r)\n")


class NotUtf8Error(InputError):
    """A project file in another encoding; `reason` says which, without the path."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; save it as UTF-8")
        self.reason = reason


class ProjectText(NamedTuple):
    """A file's text, UTF-8 byte-order mark removed, line endings as in the file."""

    text: str
    has_bom: bool


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; FileNotFoundError is left to the caller's message."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        reason = f"cannot be read ({error.strerror or error})"
        raise UnreadableFileError(f"{path}: {with_fix(reason, error)}") from None


def read_project_text(path: Path) -> ProjectText:
    """Read and decode a project file; FileNotFoundError is left to the caller's message."""
    return _decode(_read_bytes(path), path=path)


def _decode(data: bytes, *, path: Path) -> ProjectText:
    # Text has no NUL bytes; UTF-16 of ASCII has one in its first two bytes, BOM or not.
    if data.startswith(_UTF16_BOMS) or b"\x00" in data[:2]:
        raise NotUtf8Error(path, "is UTF-16 (as Windows PowerShell writes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Positions count from after the BOM, in error.object, not in data.
        undecodable = error.object
        line = undecodable.count(b"\n", 0, error.start) + 1
        raise NotUtf8Error(
            path, f"is not UTF-8 (byte 0x{undecodable[error.start]:02x} on line {line})"
        ) from None
    return ProjectText(text=text, has_bom=data.startswith(codecs.BOM_UTF8))


class ConvertedText(NamedTuple):
    """A file's text, line endings as in the file; `converted_from` names a non-UTF-8 encoding."""

    text: str
    # None when the file is UTF-8 without a byte-order mark, as it will be written back.
    converted_from: str | None


def read_converting(path: Path) -> ConvertedText:
    """Read a project file that `lockstep import` may convert: UTF-16 or a BOM are accepted.

    UTF-16 is recognised by its byte-order mark or, without one, by the NUL byte that
    ASCII text has in every other byte (the same test `read_project_text` refuses by).
    FileNotFoundError is left to the caller's message.
    """
    data = _read_bytes(path)
    utf16 = _utf16_codec(data)
    if utf16 is None:
        read = _decode(data, path=path)
        return ConvertedText(
            text=read.text,
            converted_from="UTF-8 with a byte-order mark" if read.has_bom else None,
        )
    try:
        # "utf-16" reads and drops the BOM; the explicit byte orders have none to drop.
        text = data.decode(utf16)
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: looks like UTF-16 but does not decode as it; save it as UTF-8"
        ) from None
    return ConvertedText(text=text, converted_from="UTF-16")


def _utf16_codec(data: bytes) -> str | None:
    if data.startswith(_UTF16_BOMS):
        return "utf-16"
    if data[1:2] == b"\x00":
        return "utf-16-le"
    if data[:1] == b"\x00":
        return "utf-16-be"
    return None


def uses_crlf(text: str) -> bool:
    """True when every line ends in CRLF; a file mixing both is left as it is."""
    return CRLF in text and _BARE_LF.search(text) is None


def with_crlf(text: str) -> str:
    """Every bare LF turned into CRLF; existing CRLFs stay as they are."""
    return _BARE_LF.sub(CRLF, text)
