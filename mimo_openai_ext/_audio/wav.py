"""RIFF/RIFX/RF64 WAVE: the ``fmt `` header, the ``data`` chunk and ``fact``, and the decision.

Reads only chunk headers up to ``data``. MiMo (and ffmpeg) read little-endian PCM-family
WAV; big-endian RIFX, 64-bit integer PCM and other codecs are refused by name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from . import mpeg
from .refusals import REDO, corrupt, unsupported
from .source import ByteData

__all__ = ["WavHeader", "read_wav_header", "sniff_wav", "wav_fact_frames", "wav_seconds_from_size"]

_MAX_CHUNKS = 64


@dataclass(frozen=True)
class WavHeader:
    """The ``fmt `` chunk's fields and where the chunks are."""

    riff: bytes
    """``RIFF``, ``RIFX`` (big-endian) or ``RF64``."""
    tag: int
    """The format tag (``WAVE_FORMAT_EXTENSIBLE`` resolved to its sub-format)."""
    channels: int
    sample_rate_hz: int
    byte_rate: int
    block_align: int
    bits: int
    chunks: dict[bytes, tuple[int, int]]
    """Chunk id -> (payload offset, declared size), up to and including ``data``."""

    @property
    def big_endian(self) -> bool:
        return self.riff == b"RIFX"


def _endian(data: ByteData) -> str:
    return ">" if bytes(data[:4]) == b"RIFX" else "<"


def _chunks(data: ByteData, endian: str) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (payload offset, declared size), stopping at ``data``."""
    chunks: dict[bytes, tuple[int, int]] = {}
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        kind, size = struct.unpack_from(endian + "4sI", data, pos)
        chunks.setdefault(kind, (pos + 8, size))
        if kind == b"data":
            break
        pos += 8 + size + (size & 1)
    return chunks


def read_wav_header(data: ByteData) -> WavHeader | None:
    """The header of a WAVE file, or None when its ``fmt `` chunk is missing or cut short."""
    endian = _endian(data)
    chunks = _chunks(data, endian)
    fmt = chunks.get(b"fmt ")
    if fmt is None or fmt[0] + 16 > len(data):
        return None
    offset, fmt_size = fmt
    tag, channels, rate, byte_rate, align, bits = struct.unpack_from(endian + "HHIIHH", data, offset)
    if tag == 0xFFFE and fmt_size >= 40 and offset + 26 <= len(data):
        (tag,) = struct.unpack_from(endian + "H", data, offset + 24)
    return WavHeader(bytes(data[:4]), tag, channels, rate, byte_rate, align, bits, chunks)


def wav_fact_frames(data: ByteData) -> int:
    """Samples per channel from a compressed WAV's ``fact`` chunk (0 if absent).

    Block codecs (ADPCM, GSM) pad their last block; ``fact`` holds the true length.
    """
    endian = _endian(data)
    fact = _chunks(data, endian).get(b"fact")
    if fact is None or fact[1] < 4 or fact[0] + 4 > len(data):
        return 0
    (frames,) = struct.unpack_from(endian + "I", data, fact[0])
    return int(frames) if frames != 0xFFFFFFFF else 0


def wav_seconds_from_size(data: ByteData) -> float:
    """A WAV's duration from the bytes after its ``data`` chunk header and its byte rate.

    For files whose header was never finished (``data`` size 0, as a recorder leaves it
    while still writing): ffprobe then times what is there, and so do we.
    """
    endian = _endian(data)
    chunks = _chunks(data, endian)
    fmt, payload = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or payload is None or fmt[0] + 12 > len(data):
        return 0.0
    (byte_rate,) = struct.unpack_from(endian + "I", data, fmt[0] + 8)
    return max(len(data) - payload[0], 0) / byte_rate if byte_rate else 0.0


# --- what MiMo takes ---------------------------------------------------------------

_WAV_CODECS = {
    0x0001: "pcm",
    0x0002: "adpcm_ms",
    0x0003: "pcm_f",
    0x0006: "pcm_alaw",
    0x0007: "pcm_mulaw",
    0x0011: "adpcm_ima_wav",
    0x0031: "gsm_ms",
    0x0040: "adpcm_g726",
    0x0055: "mp3",
}
_WAV_REFUSED_NAMES = {
    0x0050: "MPEG Layer I/II",
    0x0092: "AC-3 (S/PDIF)",
    0x00FF: "AAC",
    0x0161: "WMA",
    0x0162: "WMA Pro",
    0x0163: "WMA Lossless",
    0x1610: "AAC",
    0x2000: "AC-3",
    0x2001: "DTS",
    0xF1AC: "FLAC",
}
_RIFX_LIBSNDFILE = {"pcm_u8", "pcm_s16be", "pcm_f32be", "pcm_f64be", "pcm_mulaw", "pcm_alaw"}
_SIZE_PLACEHOLDERS = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFFE, 0x7FFFF000}


def sniff_wav(data: ByteData, name: str) -> tuple[str, str, int]:
    """(codec, description, audio offset) of a WAVE file MiMo takes; anything else is refused.

    Raises :class:`UnsupportedAudioFormatError` naming what MiMo cannot decode (RIFX,
    64-bit integer PCM, WMA in WAV, ...) and :class:`CorruptAudioError` for damage.
    """
    header = read_wav_header(data)
    if header is None:
        raise corrupt(name, f"WAV without a complete 'fmt ' header (truncated or damaged file){REDO}")
    codec = _wav_codec(header, name)
    kind = {b"RF64": "RF64", b"RIFX": "RIFX"}.get(header.riff, "RIFF")
    if header.big_endian:
        raise unsupported(
            f"WAV in big-endian byte order (RIFX, {codec})",
            name,
            why="ffmpeg and most decoders read only little-endian WAV",
            convertible=codec in _RIFX_LIBSNDFILE,
            hint="" if codec in _RIFX_LIBSNDFILE else "Re-export it as a little-endian WAV (RIFF)",
        )
    _check_wav_length(data, header.chunks, header.riff, name)
    offset = 0
    if codec == "mp3":  # timed by its MPEG frames, not by libsndfile's mpg123
        start = header.chunks[b"data"][0]
        found = mpeg.find_frame_chain(data, start, search=4096)
        if found is None:
            raise corrupt(name, f"WAV of MP3 whose 'data' chunk holds no MPEG audio frames{REDO}")
        offset = found
    return codec, f"WAV ({kind}, {codec})", offset


def _wav_codec(header: WavHeader, name: str) -> str:
    """``pcm_s16le``, ``pcm_f32le``, ``adpcm_ms``, ...; a codec MiMo cannot take is refused."""
    codec = _WAV_CODECS.get(header.tag)
    if codec is None:
        what = _WAV_REFUSED_NAMES.get(header.tag, f"codec tag 0x{header.tag:04X}")
        raise unsupported(f"WAV holding {what} audio", name, why="MiMo decodes PCM-family WAV")
    bits, order = header.bits, ("be" if header.big_endian else "le")
    if codec == "pcm":
        container = 8 * (header.block_align // header.channels) if header.channels else 0
        if bits == 8:
            return "pcm_u8"
        if bits in (16, 24, 32):
            return f"pcm_s{bits}{order}"
        if bits == 64:
            raise unsupported(
                "WAV holding 64-bit integer PCM",
                name,
                why="libsndfile and most players stop at 32-bit integers",
            )
        if container in (16, 24, 32) and 0 < bits < container:  # 12 bits in 16, 20 in 24: padded
            return f"pcm_s{container}{order}"
    elif codec == "pcm_f":
        if bits in (32, 64):
            return f"pcm_f{bits}{order}"
        if bits in (16, 24):
            raise unsupported(f"WAV holding {bits}-bit float PCM", name, why="MiMo takes 32/64-bit float")
    else:
        return codec
    raise corrupt(name, f"WAV whose header declares {bits}-bit samples, which no decoder reads{REDO}")


def _check_wav_length(data: ByteData, chunks: dict[bytes, tuple[int, int]], riff: bytes, name: str) -> None:
    payload = chunks.get(b"data")
    if payload is None:
        raise corrupt(name, "WAV without a 'data' chunk (truncated or damaged file)")
    offset, declared = payload
    available = len(data) - offset
    if riff != b"RF64" and declared not in _SIZE_PLACEHOLDERS and available < declared - 1:
        raise corrupt(
            name,
            f"WAV is truncated: its header declares {declared:,} bytes of audio but only "
            f"{max(available, 0):,} are present (an interrupted download or copy?)",
        )
