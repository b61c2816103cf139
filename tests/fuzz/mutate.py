"""Seeded mutations of real input files: what damaged or unusual files look like.

Text formats are mutated line by line (records), binary maps word by word in the header
and byte by byte in the data. Every operator takes the content and a
`numpy.random.Generator` and returns ``(name, new content)``; `mutate` stacks one to three
of them. The same seed always gives the same inputs.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

import numpy as np

_NUMBER = re.compile(rb"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
#: Replacements for a number: huge, tiny, non-finite, negative, zero, overflowing.
_ODD_NUMBERS = (
    b"nan", b"NaN", b"inf", b"-inf", b"1e308", b"-1e39", b"1e-320", b"99999999",
    b"123456789012345678901234567890", b"0", b"-1", b"-0", b"2147483648", b"1.5e10",
    b"9999.999", b"-999.999", b"1,5", b"0x10", b"",
)
#: Bytes inserted into text: printable, control, high and multi-byte UTF-8.
_INSERTS = (b" ", b"\t", b"\n", b"\r", b"\x00", b"\xff", b"#", b"@", b"$$$$", b"\xc3\xa9",
            b"MODEL     ", b"ENDMDL\n", b"ATOM  ", b"-", b".", b"9", b"\x1b[0m")

Mutator = Callable[[bytes, np.random.Generator], tuple[str, bytes]]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def _pick_line(lines: list[bytes], rng: np.random.Generator, numeric: bool = True) -> int:
    """A random line, preferring lines with digits (the records that carry data)."""
    if numeric:
        rich = [i for i, ln in enumerate(lines) if _NUMBER.search(ln)]
        if rich and rng.random() < 0.85:
            return int(rich[rng.integers(len(rich))])
    return int(rng.integers(len(lines)))


def truncate_record(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Cut the file at a record (line) boundary."""
    lines = _lines(data)
    k = int(rng.integers(0, len(lines)))
    return "truncate_record", b"".join(lines[:k])


def truncate_mid(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Cut the file inside a record (often the first atom record)."""
    if rng.random() < 0.3:
        lines = _lines(data)
        i = _pick_line(lines, rng)
        start = sum(len(ln) for ln in lines[:i])
        return "truncate_mid", data[: start + int(rng.integers(1, max(2, len(lines[i]))))]
    return "truncate_mid", data[: int(rng.integers(1, max(2, len(data))))]


def flip_bytes(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """XOR one to four bytes with random values."""
    if not data:
        return "flip_bytes", data
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        i = int(rng.integers(len(buf)))
        buf[i] ^= int(rng.integers(1, 256))
    return "flip_bytes", bytes(buf)


def insert_bytes(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Insert a short piece of odd text (or random bytes) somewhere."""
    piece = (_INSERTS[int(rng.integers(len(_INSERTS)))] if rng.random() < 0.7
             else rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes())
    i = int(rng.integers(0, len(data) + 1))
    return "insert_bytes", data[:i] + piece + data[i:]


def shift_columns(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Insert or delete spaces inside one to three records (fixed columns move)."""
    lines = _lines(data)
    for _ in range(int(rng.integers(1, 4))):
        i = _pick_line(lines, rng)
        ln = lines[i]
        j = int(rng.integers(0, max(1, len(ln.rstrip(b"\r\n")))))
        if rng.random() < 0.5:
            lines[i] = ln[:j] + b" " * int(rng.integers(1, 4)) + ln[j:]
        else:
            lines[i] = ln[:j] + ln[j + int(rng.integers(1, 4)):]
    return "shift_columns", b"".join(lines)


def swap_fields(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Swap two whitespace-separated fields of one record."""
    lines = _lines(data)
    i = _pick_line(lines, rng)
    parts = re.split(rb"(\s+)", lines[i])
    tokens = [k for k, p in enumerate(parts) if p and not p.isspace()]
    if len(tokens) >= 2:
        a, b = (int(x) for x in rng.choice(tokens, 2, replace=False))
        parts[a], parts[b] = parts[b], parts[a]
        lines[i] = b"".join(parts)
    return "swap_fields", b"".join(lines)


def duplicate_records(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Repeat a block of one to fifty records (a model, a chain, an atom) in place."""
    lines = _lines(data)
    i = int(rng.integers(len(lines)))
    n = int(rng.integers(1, 51))
    return "duplicate_records", b"".join(lines[: i + n] + lines[i: i + n] + lines[i + n:])


def drop_records(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Delete a block of one to twenty records."""
    lines = _lines(data)
    i = int(rng.integers(len(lines)))
    return "drop_records", b"".join(lines[:i] + lines[i + int(rng.integers(1, 21)):])


def swap_records(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Exchange two records."""
    lines = _lines(data)
    a, b = (int(x) for x in rng.integers(0, len(lines), 2))
    lines[a], lines[b] = lines[b], lines[a]
    return "swap_records", b"".join(lines)


def odd_number(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Replace one to three numbers by huge, NaN, infinite, negative or malformed ones,
    sometimes padded to the width they replace (fixed-column formats)."""
    lines = _lines(data)
    for _ in range(int(rng.integers(1, 4))):
        i = _pick_line(lines, rng)
        found = list(_NUMBER.finditer(lines[i]))
        if not found:
            continue
        m = found[int(rng.integers(len(found)))]
        new = _ODD_NUMBERS[int(rng.integers(len(_ODD_NUMBERS)))]
        width = m.end() - m.start()
        if rng.random() < 0.5 and len(new) <= width:
            new = new.rjust(width)
        lines[i] = lines[i][: m.start()] + new + lines[i][m.end():]
    return "odd_number", b"".join(lines)


TEXT_MUTATORS: tuple[Mutator, ...] = (
    truncate_record, truncate_mid, flip_bytes, insert_bytes, shift_columns, swap_fields,
    duplicate_records, drop_records, swap_records, odd_number,
)

# MRC/CCP4 header: 56 32-bit words (ints at these indices, floats elsewhere).
_INT_WORDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 22, 23)
_ODD_INTS = (0, -1, 1, 2, 3, 4, 7, 1000, 65536, 2**31 - 1, -(2**31), 2**24)
_ODD_FLOATS = (0.0, -1.0, 1e-30, 1e30, float("nan"), float("inf"), 94.3, 180.0, 1e-3, -90.0)


def mrc_header_word(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Set one header word (sizes, mode, starts, sampling, cell, angles, axis order,
    origin, NSYMBT) to an odd value."""
    buf = bytearray(data)
    if len(buf) < 224:
        return flip_bytes(data, rng)
    k = int(rng.integers(0, 56))
    if k in _INT_WORDS or rng.random() < 0.2:
        struct.pack_into("<i", buf, 4 * k, _ODD_INTS[int(rng.integers(len(_ODD_INTS)))])
    else:
        struct.pack_into("<f", buf, 4 * k, _ODD_FLOATS[int(rng.integers(len(_ODD_FLOATS)))])
    return f"mrc_header_word_{k}", bytes(buf)


def mrc_data_values(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Put NaN, inf or huge values into a few float32 voxels."""
    buf = bytearray(data)
    n = (len(buf) - 1024) // 4
    if n <= 0:
        return flip_bytes(data, rng)
    for _ in range(int(rng.integers(1, 6))):
        i = 1024 + 4 * int(rng.integers(n))
        struct.pack_into("<f", buf, i, _ODD_FLOATS[int(rng.integers(len(_ODD_FLOATS)))])
    return "mrc_data_values", bytes(buf)


def truncate_bytes(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Cut a binary file in its header (a third of the time) or its data."""
    cut = int(rng.integers(0, min(len(data), 1100))) if rng.random() < 0.33 \
        else int(rng.integers(0, max(1, len(data))))
    return "truncate_bytes", data[:cut]


def append_bytes(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """Append one to 4,096 random bytes."""
    extra = rng.integers(0, 256, int(rng.integers(1, 4097)), dtype=np.uint8).tobytes()
    return "append_bytes", data + extra


MRC_MUTATORS: tuple[Mutator, ...] = (
    mrc_header_word, mrc_header_word, mrc_header_word, mrc_data_values, truncate_bytes,
    append_bytes, flip_bytes, insert_bytes,
)
#: Mutations of compressed bytes as they are on disk (the codec must notice).
RAW_MUTATORS: tuple[Mutator, ...] = (truncate_bytes, flip_bytes, insert_bytes, append_bytes)


def mutate(data: bytes, rng: np.random.Generator,
           mutators: tuple[Mutator, ...] = TEXT_MUTATORS) -> tuple[str, bytes]:
    """One to three stacked mutations of ``data``; their names joined with ``+``."""
    names = []
    for _ in range(int(rng.choice([1, 1, 1, 2, 2, 3]))):
        name, data = mutators[int(rng.integers(len(mutators)))](data, rng)
        names.append(name)
    return "+".join(names), data
