"""What the bytes really are: the format MiMo must be told, or a clear refusal.

The MIME never comes from a file name. ``filetype`` names the odd things (images,
archives, documents); our own header checks cover audio, including ``filetype``'s blind
spots: M4A with ``isom``/``mp42`` brands, MPEG-2.5 MP3 without ID3, RF64.
"""

from __future__ import annotations

import shlex
import struct
from dataclasses import dataclass

from .._checks import check_buffer, check_str
from .._config import AUDIO_FORMATS, AudioFormat
from .._exceptions import CorruptAudioError, UnsupportedAudioFormatError
from . import mp4, mpeg
from .signatures import other_kind, refused_signature
from .source import ByteData

__all__ = ["SniffResult", "canonical_mime", "sniff_audio", "unsupported"]


@dataclass(frozen=True)
class SniffResult:
    """The format found in the bytes."""

    format: AudioFormat
    mime: str
    """The canonical MIME from :data:`AUDIO_FORMATS`."""
    codec: str
    """Best guess from the headers: ``pcm_s16le``, ``mp3``, ``vorbis``, ``aac``, ..."""
    description: str
    """For people: ``"MP3 (MPEG-2.5 Layer III)"``, ``"M4A (AAC, brand 'isom')"``."""
    audio_offset: int = 0
    """Where the first audio frame starts (after an ID3 tag), when known."""


def canonical_mime(mime: str) -> AudioFormat | None:
    """The format a MIME spelling (canonical or alias) names, or None."""
    base = mime.split(";", 1)[0].strip().lower()
    for spec in AUDIO_FORMATS.values():
        if base == spec.mime or base in spec.aliases:
            return spec.name
    return None


def _accepted() -> str:
    return ", ".join(AUDIO_FORMATS)


def _shell_name(source_name: str) -> str:
    if source_name.startswith("<") or not source_name:
        return "FILE"
    return shlex.quote(source_name)


def unsupported(
    found: str, source_name: str, *, why: str = "", convertible: bool = True
) -> UnsupportedAudioFormatError:
    """The refusal for a real but unaccepted format, with the way out."""
    reason = f" ({why})" if why else ""
    if convertible:
        way_out = (
            "Convert it with input_audio_part(..., convert=True) or fit_audio(), "
            f"or on the command line with `mimo-audio fit {_shell_name(source_name)}`"
        )
        text = f"{source_name}: {found} is not accepted by MiMo{reason}; accepted: {_accepted()}. {way_out}"
    else:
        text = (
            f"{source_name}: this is {found}, not audio; MiMo accepts audio in {_accepted()}. "
            "Check that the right file was passed"
        )
    return UnsupportedAudioFormatError(
        text, source_name=source_name, found=found, allowed=tuple(AUDIO_FORMATS)
    )


_MISSING = ", and that the right file was passed"
_REDO = (
    ": check that the file was fully written or downloaded, or re-export it from its source "
    f"as {'/'.join(AUDIO_FORMATS)}"
)


def _corrupt(source_name: str, what: str) -> CorruptAudioError:
    return CorruptAudioError(f"{source_name}: {what}", source_name=source_name)


def _result(fmt: AudioFormat, codec: str, description: str, offset: int = 0) -> SniffResult:
    return SniffResult(fmt, AUDIO_FORMATS[fmt].mime, codec, description, offset)


# --- WAV ---------------------------------------------------------------------------

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
_WAV_REFUSED_NAMES = {0x00FF: "AAC", 0x0161: "WMA", 0x0162: "WMA Pro", 0x2000: "AC-3", 0x2001: "DTS"}
_SIZE_PLACEHOLDERS = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFFE, 0x7FFFF000}


def _wav_chunks(data: ByteData, endian: str) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (payload offset, declared size), stopping at ``data``."""
    chunks: dict[bytes, tuple[int, int]] = {}
    pos = 12
    while pos + 8 <= len(data) and len(chunks) < 64:
        kind, size = struct.unpack_from(endian + "4sI", data, pos)
        chunks.setdefault(kind, (pos + 8, size))
        if kind == b"data":
            break
        pos += 8 + size + (size & 1)
    return chunks


def _sniff_wav(data: ByteData, name: str) -> SniffResult:
    riff = bytes(data[:4])
    endian = ">" if riff == b"RIFX" else "<"
    chunks = _wav_chunks(data, endian)
    fmt = chunks.get(b"fmt ")
    if fmt is None or fmt[0] + 16 > len(data):
        raise _corrupt(name, f"WAV without a complete 'fmt ' header (truncated or damaged file){_REDO}")
    offset, fmt_size = fmt
    tag, _channels, _rate, _byte_rate, _align, bits = struct.unpack_from(endian + "HHIIHH", data, offset)
    if tag == 0xFFFE and fmt_size >= 40 and offset + 26 <= len(data):
        (tag,) = struct.unpack_from(endian + "H", data, offset + 24)
    codec = _WAV_CODECS.get(tag)
    if codec is None:
        what = _WAV_REFUSED_NAMES.get(tag, f"codec tag 0x{tag:04X}")
        raise unsupported(f"WAV holding {what} audio", name, why="MiMo decodes PCM-family WAV")
    if codec == "pcm":
        order = "be" if endian == ">" else "le"
        codec = "pcm_u8" if bits == 8 else f"pcm_s{bits}{order}"
    elif codec == "pcm_f":
        codec = f"pcm_f{bits}le"
    _check_wav_length(data, chunks, riff, name)
    kind = {b"RF64": "RF64", b"RIFX": "RIFX"}.get(riff, "RIFF")
    return _result("wav", codec, f"WAV ({kind}, {codec})")


def _check_wav_length(data: ByteData, chunks: dict[bytes, tuple[int, int]], riff: bytes, name: str) -> None:
    payload = chunks.get(b"data")
    if payload is None:
        raise _corrupt(name, "WAV without a 'data' chunk (truncated or damaged file)")
    offset, declared = payload
    available = len(data) - offset
    if riff != b"RF64" and declared not in _SIZE_PLACEHOLDERS and available < declared - 1:
        raise _corrupt(
            name,
            f"WAV is truncated: its header declares {declared:,} bytes of audio but only "
            f"{max(available, 0):,} are present (an interrupted download or copy?)",
        )


def wav_fact_frames(data: ByteData) -> int:
    """Samples per channel from a compressed WAV's ``fact`` chunk (0 if absent).

    Block codecs (ADPCM, GSM) pad their last block; ``fact`` holds the true length.
    """
    endian = ">" if bytes(data[:4]) == b"RIFX" else "<"
    fact = _wav_chunks(data, endian).get(b"fact")
    if fact is None or fact[1] < 4 or fact[0] + 4 > len(data):
        return 0
    (frames,) = struct.unpack_from(endian + "I", data, fact[0])
    return int(frames) if frames != 0xFFFFFFFF else 0


def wav_seconds_from_size(data: ByteData) -> float:
    """A WAV's duration from the bytes after its ``data`` chunk header and its byte rate.

    For files whose header was never finished (``data`` size 0, as a recorder leaves it
    while still writing): ffprobe then times what is there, and so do we.
    """
    endian = ">" if bytes(data[:4]) == b"RIFX" else "<"
    chunks = _wav_chunks(data, endian)
    fmt, payload = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or payload is None:
        return 0.0
    (byte_rate,) = struct.unpack_from(endian + "I", data, fmt[0] + 8)
    return max(len(data) - payload[0], 0) / byte_rate if byte_rate else 0.0


# --- Ogg, MP4, MPEG ----------------------------------------------------------------

_OGG_AUDIO = {b"\x01vorbis": "vorbis", b"OpusHead": "opus", b"\x7fFLAC": "flac", b"Speex   ": "speex"}
_OGG_VIDEO = {b"\x80theora": "Theora", b"BBCD\x00": "Dirac", b"\x80daala": "Daala"}


def _sniff_ogg(data: ByteData, name: str) -> SniffResult:
    pos, codecs = 0, list[bytes]()
    while pos + 27 <= len(data) and bytes(data[pos : pos + 4]) == b"OggS" and data[pos + 5] & 0x02:
        if len(codecs) >= 16:  # a file of nothing but stream starts
            break
        segments = data[pos + 26]
        body = pos + 27 + segments
        if body > len(data):
            break
        length = sum(data[pos + 27 : body])
        head = bytes(data[body : body + 8])
        codecs.append(head)
        pos = body + length
    if not codecs:
        raise _corrupt(name, f"Ogg file without a complete first page (truncated or damaged){_REDO}")
    for head in codecs:
        for magic, video in _OGG_VIDEO.items():
            if head.startswith(magic):
                raise unsupported(f"Ogg {video} video", name, why="a video container")
    for head in codecs:
        for magic, codec in _OGG_AUDIO.items():
            if head.startswith(magic):
                return _result("ogg", codec, f"Ogg ({codec.capitalize()})")
    raise unsupported(f"an Ogg stream of an unknown codec ({codecs[0][:8]!r})", name)


_MP4_AUDIO = {"mp4a": "aac", "alac": "alac"}
_COVER_ART = {"jpeg", "png ", "mjpa"}
_MP4_OTHER_AUDIO = {
    "Opus": "Opus",
    "fLaC": "FLAC",
    "samr": "AMR-NB",
    "sawb": "AMR-WB",
    "ac-3": "AC-3",
    "ec-3": "E-AC-3",
    ".mp3": "MP3",
    "lpcm": "PCM",
    "sowt": "PCM",
    "twos": "PCM",
}


def _sniff_mp4(data: ByteData, name: str) -> SniffResult:
    summary = mp4.summarize_mp4(data)
    brand = summary.major_brand.strip()
    container = "QuickTime movie" if brand in ("qt", "") else f"MP4 (brand '{brand}')"
    if not summary.has_moov:
        raise _corrupt(name, f"{container} without a 'moov' header box (truncated or damaged file)")
    videos = [t for t in summary.tracks if t.handler == "vide" and t.codec not in _COVER_ART]
    if videos:
        raise unsupported(
            f"{container} with a video track ({videos[0].codec.strip()})",
            name,
            why="MiMo takes audio-only M4A",
        )
    audio = [t for t in summary.tracks if t.handler == "soun"]
    if not audio:
        raise unsupported(f"{container} without an audio track", name)
    codec = _MP4_AUDIO.get(audio[0].codec)
    if codec is None:
        found = _MP4_OTHER_AUDIO.get(audio[0].codec, f"'{audio[0].codec.strip()}'")
        raise unsupported(f"{container} holding {found} audio", name, why="M4A is AAC or ALAC")
    if summary.truncated:
        raise _corrupt(name, f"{container} is truncated: a box claims more bytes than the file holds")
    return _result("m4a", codec, f"M4A ({codec.upper()}, brand '{brand or 'none'}')")


def _sniff_mpeg(data: ByteData, start: int, name: str, *, search: int) -> SniffResult | None:
    if mpeg.is_adts(data, start):
        raise unsupported("AAC in ADTS (a raw .aac stream)", name, why="AAC is accepted inside M4A")
    offset = mpeg.find_frame_chain(data, start, search=search)
    if offset is None:
        return None
    header = mpeg.parse_frame(data, offset)
    if header is None:  # pragma: no cover - find_frame_chain checked it
        return None
    version = f"MPEG-{header.version:g}"
    if header.layer != 3:
        raise unsupported(f"{version} Layer {'I' * header.layer} audio (MP{header.layer})", name)
    return _result("mp3", "mp3", f"MP3 ({version} Layer III)", offset)


# --- entry point -------------------------------------------------------------------


def sniff_audio(data: ByteData, *, source_name: str) -> SniffResult:
    """Name the format of ``data`` from its bytes alone.

    Raises :class:`UnsupportedAudioFormatError` for real media MiMo does not take
    (saying what it is) and :class:`CorruptAudioError` for empty, truncated or
    unrecognisable bytes.
    """
    check_buffer(data)
    check_str(source_name, option="source_name")
    try:
        return _sniff(data, source_name)
    except (struct.error, IndexError) as exc:  # a header cut short in a way we did not foresee
        raise _corrupt(source_name, f"damaged or truncated headers ({exc})") from exc


def _sniff(data: ByteData, source_name: str) -> SniffResult:
    if len(data) == 0:
        raise _corrupt(
            source_name, f"is empty (0 bytes): check that the file was fully written or downloaded{_MISSING}"
        )
    head = bytes(data[:4096])
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return _sniff_wav(data, source_name)
    if head[:4] == b"fLaC":
        return _result("flac", "flac", "FLAC")
    if head[:4] == b"OggS":
        return _sniff_ogg(data, source_name)
    if mp4.is_iso_bmff(data):
        return _sniff_mp4(data, source_name)
    tag = mpeg.id3v2_size(data)
    if tag:
        if tag >= len(data):
            raise _corrupt(source_name, "holds only an ID3 tag, no audio (truncated?)")
        if bytes(data[tag : tag + 4]) == b"fLaC":
            return _result("flac", "flac", "FLAC (with an ID3 tag)", tag)
        found = _sniff_mpeg(data, tag, source_name, search=4096)
        if found is None:
            raise _corrupt(source_name, "has an ID3 tag but no MPEG audio frames after it")
        return found
    padding = len(head) - len(head.lstrip(b"\0"))  # some encoders pad the start with zeros
    found = _sniff_mpeg(data, padding, source_name, search=0) if padding < len(head) else None
    if found is not None:
        return found
    refused = refused_signature(data, head)
    if refused is not None:
        raise unsupported(refused, source_name, convertible=not refused.startswith("a "))
    other = other_kind(head, is_accepted_mime=lambda mime: canonical_mime(mime) is not None)
    if other is not None:
        raise unsupported(other[0], source_name, convertible=other[1])
    if len(data) < 64:
        raise _corrupt(source_name, f"only {len(data)} bytes, too short to be audio{_REDO}")
    raise _corrupt(
        source_name,
        f"not recognisable audio (first bytes: {head[:8].hex(' ')}); expected {_accepted()}{_REDO}",
    )
