"""Read a structure file as text, decompressing gzip, bzip2 and xz on the fly."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from pathlib import Path

from ..errors import MolfieldError

#: Compression suffixes understood for every text format.
COMPRESSION_SUFFIXES: tuple[str, ...] = (".gz", ".bz2", ".xz")

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}


def strip_compression(name: str) -> str:
    """``'a.pdb.gz'`` → ``'a.pdb'`` (case kept); other names unchanged."""
    low = name.lower()
    for suf in COMPRESSION_SUFFIXES:
        if low.endswith(suf):
            return name[: -len(suf)]
    return name


def compression_of(raw: bytes) -> str | None:
    """``"gzip"``, ``"bzip2"``, ``"xz"`` from the magic bytes, or None for plain data."""
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            return kind
    return None


def decompress(raw: bytes, label: str) -> bytes:
    """The decompressed content of ``raw`` (unchanged when not compressed).

    Raises
    ------
    MolfieldError
        For a truncated or corrupted compressed file.
    """
    kind = compression_of(raw)
    if kind is None:
        return raw
    try:
        if kind == "gzip":
            return gzip.decompress(raw)
        if kind == "bzip2":
            return bz2.decompress(raw)
        return lzma.decompress(raw)
    except (EOFError, ValueError, OSError, lzma.LZMAError, zlib.error) as exc:
        truncated = isinstance(exc, EOFError) or "ended before" in str(exc)
        if truncated:
            raise MolfieldError(
                f"{label}: the {kind}-compressed file is truncated (it ends before the "
                "compressed data does)."
            ) from None
        why = " ".join(str(exc).split())
        raise MolfieldError(f"{label}: the {kind}-compressed file is corrupted ({why}).") from None


def read_text(path: Path, label: str) -> str:
    """The text of ``path``, decompressed, checked to be non-empty and not binary.

    Raises
    ------
    MolfieldError
        For an unreadable, truncated, empty or binary file.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MolfieldError(f"{label}: cannot be read ({exc}).") from None
    raw = decompress(raw, label)
    if not raw.strip():
        raise MolfieldError(f"{label}: the file is empty.")
    head = raw[:65536]
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    if b"\x00" in head or printable < 0.95 * len(head):
        raise MolfieldError(f"{label}: this is not a text file (binary or corrupted content).")
    return raw.decode("utf-8", errors="replace")
