"""ISO base media (MP4/M4A/MOV/3GP) box walking: brands, tracks, codecs and timing.

Only box headers and a few small boxes (``mvhd``, ``mdhd``, ``elst``, ``stsd`` with its
``esds``, ``trun``) are read, so a 600 MB movie costs a few dozen small reads. The
duration honours the edit list (as ffprobe does), so AAC's encoder priming is not
counted; in a fragmented file the edit list never shortens what the fragments hold.

The bytes are untrusted: every read is bounds-checked, nesting stops at
:data:`MAX_DEPTH` levels, and :func:`summarize_mp4` never raises: what it could not
make sense of is recorded in :attr:`Mp4Summary.damage` for the caller to word.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from .aac_config import read_esds
from .mp4_codecs import AUDIO_ENTRIES, ENCRYPTED_ENTRIES, STILL_IMAGE_ENTRIES, VIDEO_ENTRIES
from .source import ByteData

__all__ = ["MAX_DEPTH", "Mp4Summary", "Mp4Track", "is_iso_bmff", "summarize_mp4"]

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex"}
MAX_DEPTH = 8
"""Box nesting we follow (``moov/trak/mdia/minf/stbl/stsd`` is 6 deep); deeper is damage."""
_MAX_STTS_ENTRIES = 1 << 20
_MAX_BOXES = 4_000_000
"""A 10-hour recording in 100 ms fragments has about 2 million boxes; 8-byte box spam more."""
_MAX_TRACKS = 1024


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
    """The decoder's output rate: for HE-AAC the SBR rate, not the AAC core's."""
    track_id: int = 0
    object_type: int = 0
    """The ``esds`` objectTypeIndication: 0x40 MPEG-4 audio, 0x6B MPEG-1 audio, ... (0: none)."""
    audio_object_type: int = 0
    """The AudioSpecificConfig's core object type: 2 AAC LC, 36 ALS, ... (0: none or unread)."""
    null_audio_config: bool = False
    """The AudioSpecificConfig names object type 0: FFmpeg cannot open the decoder."""
    sbr: bool = False
    """HE-AAC: spectral band replication signalled (explicitly, or by a doubled sample rate)."""
    ps: bool = False
    """HE-AAC v2: parametric stereo signalled."""
    original_codec: str = ""
    """For an encrypted entry (``enca``, ``encv``): the codec inside, from ``frma``."""
    stts_units: int = 0
    """Summed sample durations of the ``stts`` table (track units)."""
    first_chunk_at: int = 0
    """File offset of the track's first chunk of samples (``stco``/``co64``; 0: unknown)."""
    sample_table_at: tuple[int, int] = (0, 0)
    """Where the ``stsd`` payload is (start, stop); read once the whole track is walked."""

    @property
    def encrypted(self) -> bool:
        """A DRM-protected entry (Common Encryption ``enca``/``encv``, FairPlay ``drms``/``drmi``)."""
        return self.codec in ENCRYPTED_ENTRIES

    @property
    def kind(self) -> Literal["audio", "video", "image", "other"]:
        """What the track holds, from its sample entry's codec first and its handler second.

        A handler is a label one changed byte defeats; an ``avc1`` entry is video whatever
        the handler says. Still pictures (cover art, chapter images) in 'vide' tracks are
        ``"image"``.
        """
        codec = self.original_codec if self.encrypted and self.original_codec else self.codec
        if codec in VIDEO_ENTRIES or self.codec in ("encv", "drmi"):
            return "video"
        if codec in AUDIO_ENTRIES:
            return "audio"
        if self.handler == "vide":
            return "image" if codec in STILL_IMAGE_ENTRIES else "video"
        return "audio" if self.handler == "soun" else "other"


@dataclass
class Mp4Summary:
    major_brand: str
    compatible_brands: tuple[str, ...]
    tracks: list[Mp4Track] = field(default_factory=list)
    has_moov: bool = False
    compressed_moov: bool = False
    """An old QuickTime ``cmov`` (a zlib-compressed header we do not read)."""
    truncated: bool = False
    """A box claims more bytes than the data holds."""
    damage: str = ""
    """What else did not parse ("boxes nested deeper than 8 levels", ...); "" if nothing."""
    boxes_seen: int = 0
    fragmented: bool = False
    """``mvex`` or ``moof`` seen: samples live in movie fragments."""
    movie_timescale: int = 0
    movie_duration: int = 0
    fragment_duration: int = 0
    """``mehd`` of a fragmented file, in movie units."""
    fragment_units: dict[int, int] = field(default_factory=dict)
    """Track id -> summed sample durations of its ``moof`` fragments (track units)."""
    default_durations: dict[int, int] = field(default_factory=dict)
    """Track id -> ``trex`` default sample duration."""

    def duration_s(self, track: Mp4Track) -> float:
        """Presentation time of ``track``: its edit list if any, else its media duration.

        In a fragmented file the edit list may describe only the first fragment (a
        recorder writes it before the rest exists), so there it can lengthen, never shorten.
        """
        edited = 0.0
        if track.edits and self.movie_timescale:
            edited = max(sum(max(seg, 0) for seg, _ in track.edits), 0) / self.movie_timescale
            if edited > 0 and not self.fragmented:
                return edited
        media = self._media_units(track)
        if track.timescale and media:
            skip = next((start for _, start in track.edits if start >= 0), 0)
            return max(max(media - skip, 0) / track.timescale, edited)
        if self.movie_timescale:
            return max(self.movie_duration, self.fragment_duration) / self.movie_timescale
        return edited

    def _media_units(self, track: Mp4Track) -> int:
        fragments = self.fragment_units.get(track.track_id, 0)
        if not self.fragmented:
            return track.duration or fragments
        # Samples in the moov (stts) plus those in the fragments; an mdhd that already
        # counts everything (a finished recording) wins when it is longer.
        return max(track.duration, track.stts_units + fragments)


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
    end = min(end, len(data))
    while pos + 8 <= end:
        summary.boxes_seen += 1
        if summary.boxes_seen > _MAX_BOXES:
            summary.damage = summary.damage or f"more than {_MAX_BOXES:,} boxes"
            return
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
            summary.damage = summary.damage or f"a '{_fourcc(kind).strip()}' box smaller than its own header"
            return
        if pos + size > end:
            summary.truncated = True
            yield kind, pos + header, end
            return
        yield kind, pos + header, pos + size
        pos += size


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


def _times(data: ByteData, body: int, stop: int) -> tuple[int, int]:
    """(timescale, duration) of an ``mvhd`` or ``mdhd`` payload."""
    if data[body] == 1 and body + 32 <= stop:
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


def _stts_units(data: ByteData, body: int, stop: int) -> int:
    (count,) = struct.unpack_from(">I", data, body + 4)
    count = min(count, (stop - body - 8) // 8, _MAX_STTS_ENTRIES)
    return sum(
        n * delta for n, delta in struct.iter_unpack(">II", bytes(data[body + 8 : body + 8 + 8 * count]))
    )


# --- sample entries -------------------------------------------------------------------


_AUDIO_ENTRY_HEADER = 36
"""Box header (8), reserved + data reference index (8), then version .. sample rate (20)."""


def _sample_entry(data: ByteData, body: int, stop: int, track: Mp4Track, summary: Mp4Summary) -> None:
    """The first sample entry of an ``stsd``: its codec, and for audio its rate, channels and config."""
    entry = body + 8  # version/flags + entry count
    if entry + 8 > stop:
        return
    size, kind = struct.unpack_from(">I4s", data, entry)
    track.codec = _fourcc(kind)
    entry_stop = min(entry + max(size, 8), stop)
    if entry + _AUDIO_ENTRY_HEADER > entry_stop or track.kind != "audio":
        return
    version, _rev, _vendor, channels, _bits, _cid, _pkt, rate = struct.unpack_from(
        ">HHIHHHHI", data, entry + 16
    )
    track.channels, track.sample_rate_hz = channels, rate >> 16
    if version == 2 and entry + 56 <= entry_stop:  # QuickTime v2: a float64 rate and a 32-bit count
        rate_f, count = struct.unpack_from(">dI", data, entry + 40)
        track.sample_rate_hz = round(rate_f) if 0 < rate_f < 1e7 else 0
        track.channels = count
    children = entry + _AUDIO_ENTRY_HEADER + {1: 16, 2: 36}.get(version, 0)
    _audio_children(data, children, entry_stop, track, summary, depth=0)
    entry_rate = track.sample_rate_hz
    if track.object_type == 0 and kind in (b"mp4a", b"enca"):
        found = bytes(data[entry:entry_stop]).find(b"esds")  # an ISO v1 entry: children sit elsewhere
        if found >= 4:
            (esds_size,) = struct.unpack_from(">I", data, entry + found - 4)
            _apply_esds(
                bytes(data[entry + found + 4 : min(entry + found - 4 + esds_size, entry_stop)]), track
            )
    core = track.sample_rate_hz
    doubled = 0 < core <= 24000 and 2 * core in (entry_rate, track.timescale)
    if doubled and not track.sbr and track.audio_object_type == 2:
        # Implicit SBR: the config names only the AAC core; the container's rate is the output.
        track.sbr, track.sample_rate_hz = True, 2 * core
    if track.ps and track.channels == 1:
        track.channels = 2


def _apply_esds(payload: bytes, track: Mp4Track) -> None:
    config = read_esds(payload)
    track.object_type, track.sbr, track.ps = config.object_type, config.sbr, config.ps
    track.audio_object_type = config.audio_object_type
    track.null_audio_config = config.null_config
    track.sample_rate_hz = config.sample_rate_hz or track.sample_rate_hz
    track.channels = config.channels or track.channels


def _audio_children(
    data: ByteData, start: int, stop: int, track: Mp4Track, summary: Mp4Summary, *, depth: int
) -> None:
    for child, cbody, cstop in _boxes(data, start, stop, summary):
        if child == b"esds":
            _apply_esds(bytes(data[cbody : min(cstop, cbody + 4096)]), track)
        elif child == b"alac" and cstop - cbody >= 28:
            track.channels = data[cbody + 13]
            (track.sample_rate_hz,) = struct.unpack_from(">I", data, cbody + 24)
        elif child in (b"wave", b"sinf") and depth < 2:  # QuickTime's wrapper; encryption info
            _audio_children(data, cbody, cstop, track, summary, depth=depth + 1)
        elif child == b"frma" and cstop - cbody >= 4:
            track.original_codec = _fourcc(bytes(data[cbody : cbody + 4]))


# --- fragments ------------------------------------------------------------------------


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
                count = max(min(count, (stop - pos) // step), 0)
                total = sum(struct.unpack_from(">I", data, pos + i * step)[0] for i in range(count))
            summary.fragment_units[track_id] = summary.fragment_units.get(track_id, 0) + total


# --- the walk -------------------------------------------------------------------------


def _walk(data: ByteData, start: int, end: int, summary: Mp4Summary, depth: int, track: Mp4Track) -> None:
    if depth > MAX_DEPTH:
        summary.damage = summary.damage or f"boxes nested deeper than {MAX_DEPTH} levels"
        return
    for kind, body, stop in _boxes(data, start, end, summary):
        if kind == b"trak" and len(summary.tracks) >= _MAX_TRACKS:
            summary.damage = summary.damage or f"more than {_MAX_TRACKS:,} tracks"
            return
        if kind == b"trak":
            current = Mp4Track()
            _walk(data, body, stop, summary, depth + 1, current)
            if current.sample_table_at != (0, 0):  # read last: handler and timescale are known now
                _sample_entry(data, *current.sample_table_at, current, summary)
            summary.tracks.append(current)
        elif kind in _CONTAINERS:
            summary.has_moov = summary.has_moov or kind == b"moov"
            summary.fragmented = summary.fragmented or kind == b"mvex"
            _walk(data, body, stop, summary, depth + 1, track)
        elif kind == b"moof":
            summary.fragmented = True
            for child, cbody, cstop in _boxes(data, body, stop, summary):
                if child == b"traf":
                    _fragment(data, cbody, cstop, summary)
        else:
            _leaf(data, kind, body, stop, summary, track)


def _leaf(data: ByteData, kind: bytes, body: int, stop: int, summary: Mp4Summary, track: Mp4Track) -> None:
    if kind == b"mvhd" and stop - body >= 20:
        summary.movie_timescale, summary.movie_duration = _times(data, body, stop)
    elif kind == b"mehd" and stop - body >= 8:
        fmt = ">Q" if data[body] == 1 and stop - body >= 12 else ">I"
        (summary.fragment_duration,) = struct.unpack_from(fmt, data, body + 4)
    elif kind == b"mdhd" and stop - body >= 20:
        track.timescale, track.duration = _times(data, body, stop)
    elif kind == b"elst" and stop - body >= 8:
        track.edits = _edits(data, body, stop)
    elif kind == b"hdlr" and stop - body >= 12 and not track.handler:
        # The first is the media handler; QuickTime adds a data handler ('alis') in minf.
        track.handler = _fourcc(bytes(data[body + 8 : body + 12]))
    elif kind == b"tkhd" and stop - body >= (24 if data[body] == 1 else 16):
        (track.track_id,) = struct.unpack_from(">I", data, body + (20 if data[body] == 1 else 12))
    elif kind == b"trex" and stop - body >= 16:
        track_id, _, duration = struct.unpack_from(">III", data, body + 4)
        summary.default_durations[track_id] = duration
    elif kind == b"stts" and stop - body >= 8 and track.handler in ("soun", ""):
        track.stts_units = _stts_units(data, body, stop)
    elif kind == b"stsd" and stop - body >= 16:
        track.sample_table_at = (body, stop)
    elif kind in (b"stco", b"co64") and stop - body >= 12:
        (count,) = struct.unpack_from(">I", data, body + 4)
        if count and (kind == b"stco" or stop - body >= 16):
            (track.first_chunk_at,) = struct.unpack_from(">I" if kind == b"stco" else ">Q", data, body + 8)
    elif kind == b"cmov":
        summary.compressed_moov = True


def summarize_mp4(data: ByteData) -> Mp4Summary:
    """Brands, tracks and timing of an ISO base media file (call only if :func:`is_iso_bmff`).

    Never raises on bad bytes: a box cut short sets :attr:`Mp4Summary.truncated`, anything
    else that does not parse sets :attr:`Mp4Summary.damage`.
    """
    if bytes(data[4:8]) == b"ftyp":
        (ftyp_size,) = struct.unpack_from(">I", data, 0)
        brands_end = min(len(data), max(ftyp_size, 16), 16 + 4 * 64)
        compatible = tuple(_fourcc(bytes(data[i : i + 4])) for i in range(16, brands_end - 3, 4))
        summary = Mp4Summary(_fourcc(bytes(data[8:12])), compatible)
    else:
        summary = Mp4Summary("", ())
    try:
        _walk(data, 0, len(data), summary, 0, Mp4Track())
    except (struct.error, IndexError):  # a box cut short inside its payload
        summary.truncated = True
    except (ValueError, OverflowError, RecursionError) as exc:  # pragma: no cover - a bug, not the input
        summary.damage = summary.damage or f"unreadable boxes ({type(exc).__name__})"
    return summary
