"""A seeded, structure-aware mutator for media files: the fuzz tests' engine.

``mutate(data, rng) -> (mutant, steps)`` applies 1-3 steps, each one of: byte flips
(mostly in the headers), a truncation, inserted junk, a unit (MP4 box, RIFF/IFF chunk,
Ogg page, MPEG frame, ID3 tag) removed, duplicated or swapped with its neighbour, an MP4
box nested in copies of itself up to 3,000 deep, or a unit's size field set to a huge,
zero or off-by-one value. ``steps`` says what was done,
so a failure can be read and replayed (``random.Random(seed)`` gives the same mutant).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex", b"moof", b"traf", b"udta"}
_HUGE_32 = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0, 1, 7)


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    size_at: int
    """Where the unit's size field is (-1: it has none)."""
    size_format: str
    """``struct`` format of the size field (``">I"``, ``"<I"``)."""


def _mp4_units(data: bytes, start: int, end: int, depth: int, out: list[Unit]) -> None:
    pos = start
    while pos + 8 <= end and len(out) < 400 and depth < 6:
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size < 8 or pos + size > end:
            return
        out.append(Unit(pos, pos + size, pos, ">I"))
        if kind in _MP4_CONTAINERS:
            _mp4_units(data, pos + 8, pos + size, depth + 1, out)
        elif kind == b"stsd":
            _mp4_units(data, pos + 16, pos + size, depth + 1, out)
        pos += size


def _chunk_units(data: bytes, start: int, endian: str, out: list[Unit]) -> None:
    pos = start
    while pos + 8 <= len(data) and len(out) < 400:
        kind, size = struct.unpack_from(endian + "4sI", data, pos)
        end = min(pos + 8 + size + (size & 1), len(data))
        out.append(Unit(pos, end, pos + 4, endian + "I"))
        if kind == b"LIST" and size >= 4:
            _chunk_units(data[: pos + 8 + size], pos + 12, endian, out)
        pos = end


def _ogg_units(data: bytes, out: list[Unit]) -> None:
    pos = data.find(b"OggS")
    while pos >= 0 and len(out) < 400:
        nxt = data.find(b"OggS", pos + 4)
        out.append(Unit(pos, nxt if nxt > 0 else len(data), -1, ""))
        pos = nxt


def _mpeg_units(data: bytes, out: list[Unit]) -> None:
    from mimo_openai_ext._audio import mpeg

    pos = 0
    while data[pos : pos + 3] == b"ID3" and len(data) >= pos + 10:  # leading ID3v2 tags
        size = 10 + sum((data[pos + 6 + i] & 0x7F) << (21 - 7 * i) for i in range(4))
        out.append(Unit(pos, min(pos + size, len(data)), -1, ""))
        pos += size
    pos = data.find(b"\xff", pos)
    while pos >= 0 and mpeg.parse_frame(data, pos) is None:
        pos = data.find(b"\xff", pos + 1)
    while pos >= 0 and len(out) < 400:
        header = mpeg.parse_frame(data, pos)
        if header is None or header.frame_bytes <= 0:
            return
        out.append(Unit(pos, min(pos + header.frame_bytes, len(data)), -1, ""))
        pos += header.frame_bytes


def units(data: bytes) -> list[Unit]:
    """The structure of ``data``: boxes, chunks, pages or frames (empty when none is known)."""
    out: list[Unit] = []
    if data[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide"):
        _mp4_units(data, 0, len(data), 0, out)
    elif data[:4] in (b"RIFF", b"RF64", b"FORM"):
        _chunk_units(data, 12, "<" if data[:4] != b"FORM" else ">", out)
    elif data[:4] == b"RIFX":
        _chunk_units(data, 12, ">", out)
    elif data[:4] == b"OggS":
        _ogg_units(data, out)
    else:
        _mpeg_units(data, out)
    return out


def _nest(data: bytes, unit: Unit, depth: int) -> tuple[bytes, str]:
    """Wrap an MP4 box in ``depth`` copies of its own header: boxes nested without end."""
    inner = data[unit.start : unit.end]
    kind = inner[4:8]
    for _ in range(depth):
        inner = struct.pack(">I", min(len(inner) + 8, 0xFFFFFFFF)) + kind + inner
    return data[: unit.start] + inner + data[unit.end :], f"nest {kind!r} at {unit.start} {depth} deep"


def _flip(data: bytearray, rng: random.Random) -> str:
    count = rng.choice((1, 1, 2, 3, 8))
    span = min(len(data), 512) if rng.random() < 0.7 else len(data)
    for _ in range(count):
        at = rng.randrange(span)
        data[at] = rng.randrange(256) if rng.random() < 0.5 else data[at] ^ (1 << rng.randrange(8))
    return f"flip {count} in first {span}"


def _step(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    structure = units(data)
    choice = rng.random()
    if structure and choice < 0.45:
        unit = rng.choice(structure)
        kind = rng.choice(("remove", "duplicate", "size", "size", "swap", "nest"))
        if kind == "nest" and unit.size_format == ">I" and unit.size_at == unit.start:
            return _nest(data, unit, rng.choice((10, 100, 3000)))
        if kind == "remove":
            return data[: unit.start] + data[unit.end :], f"remove unit {unit.start}-{unit.end}"
        if kind == "duplicate":
            return data[: unit.end] + data[unit.start : unit.end] + data[
                unit.end :
            ], f"dup {unit.start}-{unit.end}"
        if kind == "size" and unit.size_at >= 0:
            size = struct.unpack_from(unit.size_format, data, unit.size_at)[0]
            value = rng.choice((*_HUGE_32, size + 1, size - 1, size * 2)) & 0xFFFFFFFF
            mutant = bytearray(data)
            struct.pack_into(unit.size_format, mutant, unit.size_at, value)
            if value == 1 and unit.size_at == unit.start and unit.size_at + 16 <= len(mutant):
                # An MP4 box whose size 1 means "a 64-bit size follows the type"
                struct.pack_into(">Q", mutant, unit.size_at + 8, rng.choice((2**64 - 1, 2**63, 2**40)))
            return bytes(mutant), f"size of {unit.start} -> {value}"
        later = [u for u in structure if u.start >= unit.end]
        if later:
            other = later[0]
            swapped = data[: unit.start] + data[other.start : other.end] + data[unit.end : other.start]
            return swapped + data[unit.start : unit.end] + data[
                other.end :
            ], f"swap {unit.start} {other.start}"
    if choice < 0.65:
        mutant = bytearray(data)
        step = _flip(mutant, rng)
        return bytes(mutant), step
    if choice < 0.8:
        cut = rng.randrange(len(data) + 1)
        return data[:cut], f"truncate at {cut}"
    at = rng.randrange(len(data) + 1)
    junk = rng.choice((bytes(rng.randrange(1, 64)), rng.randbytes(rng.randrange(1, 64)), b"\xff" * 4))
    return data[:at] + junk + data[at:], f"insert {len(junk)} at {at}"


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    steps: list[str] = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not data:
            break
        data, step = _step(data, rng)
        steps.append(step)
    return data, steps
