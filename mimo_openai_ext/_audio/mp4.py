"""ISO base media (MP4/M4A/MOV/3GP) box walking: brands, tracks, codecs and timing.

Only box headers and a few small boxes (``mvhd``, ``mdhd``, ``elst``, ``stsd``) are
read, so a 600 MB movie costs a few dozen small reads. The duration honours the edit
list (as ffprobe does), so AAC's encoder priming is not counted.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from .source import ByteData

__all__ = ["Mp4Summary", "Mp4Track", "is_iso_bmff", "summarize_mp4"]

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex"}
_MAX_DEPTH = 8
# AAC sampling frequency indexes (ISO 14496-3, 1.6.3.4).
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


@dataclass
class Mp4Track:
    handler: str = ""
    """``soun``, ``vide``, ``text``, ``hint``, ..."""
    codec: str = ""
    """The sample entry's four-character code: ``mp4a``, ``alac``, ``avc1``, ``jpeg``, ..."""
    timescale: int = 0
    duration: int = 0
    """In ``timescale`` units (``mdhd``)."""
    edits: list[tuple[int, int]] = field(default_factory=list)
    """``elst`` (segment duration in movie units, media time in track units; -1 = empty)."""
    channels: int = 0
    sample_rate_hz: int = 0
    track_id: int = 0


@dataclass
class Mp4Summary:
    major_brand: str
    compatible_brands: tuple[str, ...]
    tracks: list[Mp4Track] = field(default_factory=list)
    has_moov: bool = False
    truncated: bool = False
    """A box claims more bytes than the data holds."""
    movie_timescale: int = 0
    movie_duration: int = 0
    fragment_duration: int = 0
    """``mehd`` of a fragmented file, in movie units."""
    fragment_units: dict[int, int] = field(default_factory=dict)
    """Track id -> summed sample durations of its ``moof`` fragments (track units)."""
    default_durations: dict[int, int] = field(default_factory=dict)
    """Track id -> ``trex`` default sample duration."""

    def duration_s(self, track: Mp4Track) -> float:
        """Presentation time of ``track``: its edit list if any, else its media duration."""
        if track.edits and self.movie_timescale:
            total = sum(seg for seg, _ in track.edits)
            if total > 0:
                return total / self.movie_timescale
        media = track.duration or self.fragment_units.get(track.track_id, 0)
        if track.timescale and media:
            skip = track.edits[0][1] if track.edits and track.edits[0][1] > 0 else 0
            return max(media - skip, 0) / track.timescale
        if self.movie_timescale:
            return max(self.movie_duration, self.fragment_duration) / self.movie_timescale
        return 0.0


_HEADLESS_FIRST_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip")
"""Old QuickTime/M4A files start with one of these instead of ``ftyp``."""


def is_iso_bmff(data: ByteData) -> bool:
    if len(data) < 12:
        return False
    kind = bytes(data[4:8])
    if kind == b"ftyp":
        return True
    (size,) = struct.unpack_from(">I", data, 0)
    return kind in _HEADLESS_FIRST_BOXES and (size in (0, 1) or 8 <= size <= len(data))


def _boxes(data: ByteData, start: int, end: int, summary: Mp4Summary) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                summary.truncated = True
                return
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            summary.truncated = True
            return
        if pos + size > end:
            summary.truncated = True
            yield kind, pos + header, end
            return
        yield kind, pos + header, pos + size
        pos += size


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


def _times(data: ByteData, body: int) -> tuple[int, int]:
    """(timescale, duration) of an ``mvhd`` or ``mdhd`` payload."""
    if data[body] == 1:
        timescale, duration = struct.unpack_from(">IQ", data, body + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, body + 12)
    return timescale, 0 if duration in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF) else duration


def _edits(data: ByteData, body: int, stop: int) -> list[tuple[int, int]]:
    version = data[body]
    (count,) = struct.unpack_from(">I", data, body + 4)
    fmt, step = (">Qq", 20) if version == 1 else (">Ii", 12)
    pos, edits = body + 8, []
    for _ in range(min(count, 64)):
        if pos + step > stop:
            break
        edits.append(struct.unpack_from(fmt, data, pos))
        pos += step
    return edits


def _read_descriptor_length(data: ByteData, pos: int, stop: int) -> tuple[int, int]:
    length = 0
    for _ in range(4):
        if pos >= stop:
            break
        byte = data[pos]
        pos += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return length, pos


def _aac_config(data: ByteData, pos: int, stop: int, track: Mp4Track) -> None:
    """Channels and output rate from an ``esds`` AudioSpecificConfig."""
    while pos + 2 <= stop:
        tag = data[pos]
        length, pos = _read_descriptor_length(data, pos + 1, stop)
        if tag == 0x03:  # ES_Descriptor: ES_ID(2) + flags(1) + optional fields
            flags = data[pos + 2]
            pos += 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
            if flags & 0x40:
                pos += 1 + data[pos]
        elif tag == 0x04:  # DecoderConfigDescriptor: 13 fixed bytes, then children
            pos += 13
        elif tag == 0x05:
            bits = int.from_bytes(bytes(data[pos : pos + min(length, 8)]).ljust(8, b"\0"), "big")
            _apply_asc(bits, track)
            return
        else:
            pos += length


class _Bits:
    """Big-endian bit reader over the first 8 bytes of a config."""

    def __init__(self, value: int) -> None:
        self.value, self.used = value, 0

    def take(self, count: int) -> int:
        self.used += count
        return (self.value >> (64 - self.used)) & ((1 << count) - 1)

    def rate(self, fallback: int) -> int:
        index = self.take(4)
        if index == 15:
            return self.take(24)
        return _AAC_RATES[index] if index < len(_AAC_RATES) else fallback


def _apply_asc(value: int, track: Mp4Track) -> None:
    bits = _Bits(value)
    object_type = bits.take(5)
    if object_type == 31:
        object_type = 32 + bits.take(6)
    rate = bits.rate(0)
    channels = bits.take(4)
    if object_type in (5, 29):  # SBR / PS: the decoder's output rate follows
        rate = bits.rate(rate)
    if rate:
        track.sample_rate_hz = rate
    if 0 < channels < 8:
        track.channels = channels if channels != 7 else 8


def _sample_entry(data: ByteData, body: int, stop: int, track: Mp4Track) -> None:
    entry = body + 8  # version/flags + entry count
    if entry + 36 > stop:
        return
    size, kind = struct.unpack_from(">I4s", data, entry)
    track.codec = _fourcc(kind)
    if track.handler not in ("soun", ""):
        return
    version, _rev, _vendor, channels, _bits, _cid, _pkt, rate = struct.unpack_from(
        ">HHIHHHHI", data, entry + 16
    )
    track.channels, track.sample_rate_hz = channels, rate >> 16
    children = entry + 36 + {1: 16, 2: 36}.get(version, 0)
    for child, cbody, cstop in _boxes(data, children, min(entry + size, stop), Mp4Summary("", ())):
        if child == b"esds":
            _aac_config(data, cbody + 4, cstop, track)
        elif child == b"alac" and cstop - cbody >= 28:
            track.channels = data[cbody + 13]
            (track.sample_rate_hz,) = struct.unpack_from(">I", data, cbody + 24)


def _fragment(data: ByteData, start: int, end: int, summary: Mp4Summary) -> None:
    """Add one ``traf``'s sample durations to its track's total."""
    track_id, default = 0, 0
    for kind, body, stop in _boxes(data, start, end, summary):
        if kind == b"tfhd" and stop - body >= 8:
            flags = int.from_bytes(data[body + 1 : body + 4], "big")
            (track_id,) = struct.unpack_from(">I", data, body + 4)
            pos = body + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            default = summary.default_durations.get(track_id, 0)
            if flags & 0x08 and pos + 4 <= stop:
                (default,) = struct.unpack_from(">I", data, pos)
        elif kind == b"trun" and stop - body >= 8:
            flags = int.from_bytes(data[body + 1 : body + 4], "big")
            (count,) = struct.unpack_from(">I", data, body + 4)
            total = count * default
            if flags & 0x100:
                pos = body + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
                step = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
                count = min(count, (stop - pos) // step)
                total = sum(struct.unpack_from(">I", data, pos + i * step)[0] for i in range(count))
            summary.fragment_units[track_id] = summary.fragment_units.get(track_id, 0) + total


def _walk(data: ByteData, start: int, end: int, summary: Mp4Summary, depth: int, track: Mp4Track) -> None:
    for kind, body, stop in _boxes(data, start, end, summary):
        if kind == b"trak":
            current = Mp4Track()
            _walk(data, body, stop, summary, depth + 1, current)
            summary.tracks.append(current)
        elif kind in _CONTAINERS and depth < _MAX_DEPTH:
            summary.has_moov = summary.has_moov or kind == b"moov"
            _walk(data, body, stop, summary, depth + 1, track)
        elif kind == b"mvhd" and stop - body >= 24:
            summary.movie_timescale, summary.movie_duration = _times(data, body)
        elif kind == b"mehd" and stop - body >= 8:
            fmt = ">Q" if data[body] == 1 else ">I"
            (summary.fragment_duration,) = struct.unpack_from(fmt, data, body + 4)
        elif kind == b"mdhd" and stop - body >= 24:
            track.timescale, track.duration = _times(data, body)
        elif kind == b"elst" and stop - body >= 8:
            track.edits = _edits(data, body, stop)
        elif kind == b"hdlr" and stop - body >= 12 and not track.handler:
            # The first is the media handler; QuickTime adds a data handler ('alis') in minf.
            track.handler = _fourcc(bytes(data[body + 8 : body + 12]))
        elif kind == b"tkhd" and stop - body >= 24:
            (track.track_id,) = struct.unpack_from(">I", data, body + (20 if data[body] == 1 else 12))
        elif kind == b"trex" and stop - body >= 16:
            track_id, _, duration = struct.unpack_from(">III", data, body + 4)
            summary.default_durations[track_id] = duration
        elif kind == b"moof":
            for child, cbody, cstop in _boxes(data, body, stop, summary):
                if child == b"traf":
                    _fragment(data, cbody, cstop, summary)
        elif kind == b"stsd" and stop - body >= 16:
            _sample_entry(data, body, stop, track)


def summarize_mp4(data: ByteData) -> Mp4Summary:
    """Brands, tracks and timing of an ISO base media file (call only if :func:`is_iso_bmff`)."""
    if bytes(data[4:8]) == b"ftyp":
        (ftyp_size,) = struct.unpack_from(">I", data, 0)
        brands_end = min(len(data), max(ftyp_size, 16))
        compatible = tuple(_fourcc(bytes(data[i : i + 4])) for i in range(16, brands_end - 3, 4))
        summary = Mp4Summary(_fourcc(bytes(data[8:12])), compatible)
    else:
        summary = Mp4Summary("", ())
    try:
        _walk(data, 0, len(data), summary, 0, Mp4Track())
    except (struct.error, IndexError):  # a box cut short inside its payload
        summary.truncated = True
    return summary
