"""What the bytes really are: the format MiMo must be told, or a clear refusal.

The MIME never comes from a file name. ``filetype`` names the odd things (images,
archives, documents); our own header checks cover audio, including ``filetype``'s blind
spots: M4A with ``isom``/``mp42`` brands, MPEG-2.5 MP3 without ID3, RF64.

Three answers, kept apart: a :class:`SniffResult` for what MiMo takes; an
:class:`UnsupportedAudioFormatError` naming a real format it does not take (with the way
out); a :class:`CorruptAudioError` only for empty, cut or damaged bytes. No other
exception leaves :func:`sniff_audio`, whatever the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .._checks import check_buffer, check_str
from .._config import AUDIO_FORMATS, AudioFormat
from .._exceptions import CorruptAudioError, MimoAudioError, UnsupportedAudioFormatError
from . import mp4, mpeg
from .mp4_codecs import MPEG_AUDIO_OBJECT_TYPES, aac_profile, entry_name, mp4a_refusal
from .refusals import MISSING, REDO, accepted_list, corrupt, refuse, unsupported
from .signatures import headerless_pcm, other_kind, refused_signature
from .source import ByteData
from .wav import sniff_wav

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
    """For people: ``"MP3 (MPEG-2.5 Layer III)"``, ``"M4A (AAC LC, brand 'isom')"``."""
    audio_offset: int = 0
    """Where the first audio frame starts (after ID3 tags; in a WAV of MP3, inside ``data``)."""


def canonical_mime(mime: str) -> AudioFormat | None:
    """The format a MIME spelling (canonical or alias) names, or None."""
    base = mime.split(";", 1)[0].strip().lower()
    for spec in AUDIO_FORMATS.values():
        if base == spec.mime or base in spec.aliases:
            return spec.name
    return None


def _result(fmt: AudioFormat, codec: str, description: str, offset: int = 0) -> SniffResult:
    return SniffResult(fmt, AUDIO_FORMATS[fmt].mime, codec, description, offset)


# --- Ogg, MP4 ----------------------------------------------------------------------

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
        raise corrupt(name, f"Ogg file without a complete first page (truncated or damaged){REDO}")
    for head in codecs:
        for magic, video in _OGG_VIDEO.items():
            if head.startswith(magic):
                raise unsupported(f"Ogg {video} video", name, why="a video container")
    for head in codecs:
        for magic, codec in _OGG_AUDIO.items():
            if head.startswith(magic):
                return _result("ogg", codec, f"Ogg ({codec.capitalize()})")
    raise unsupported(f"an Ogg stream of an unknown codec ({codecs[0][:8]!r})", name)


_DRM_HINT = "An encrypted track cannot be decoded by anyone but its licensed player; use an unprotected copy"


_NO_SOUND = "It has no audio track, so there is nothing to convert; check that the right file was passed"


def _sniff_mp4(data: ByteData, name: str) -> SniffResult:
    summary = mp4.summarize_mp4(data)
    brand = summary.major_brand.strip()
    container = "QuickTime movie" if brand in ("qt", "") else f"MP4 (brand '{brand}')"
    damaged = summary.truncated or bool(summary.damage)
    if summary.compressed_moov:
        raise unsupported(f"{container} with a compressed header ('cmov')", name)
    if not summary.has_moov:
        raise corrupt(name, f"{container} without a 'moov' header box (truncated or damaged file)")
    videos = [t for t in summary.tracks if t.kind == "video"]
    audio = [t for t in summary.tracks if t.kind == "audio"]
    if not audio and damaged:
        raise corrupt(name, f"{container} whose track boxes are {_mp4_damage(summary)}{REDO}")
    if videos:
        codec = (videos[0].original_codec or videos[0].codec).strip()
        if not audio:  # converting cannot help: there is no sound to extract
            raise unsupported(
                f"{container} with a video track ({codec}) and no audio track", name, hint=_NO_SOUND
            )
        raise unsupported(f"{container} with a video track ({codec})", name, why="MiMo takes audio-only M4A")
    if not audio:
        raise unsupported(f"{container} without an audio track", name, hint=_NO_SOUND)
    codec, profile = _mp4_audio_codec(data, audio[0], container, name)
    if damaged:
        raise corrupt(name, f"{container} is {_mp4_damage(summary)}")
    return _result("m4a", codec, f"M4A ({profile}, brand '{brand or 'none'}')")


def _mp4_damage(summary: mp4.Mp4Summary) -> str:
    if summary.damage:
        return f"damaged ({summary.damage})"
    return "truncated: a box claims more bytes than the file holds"


def _mpeg_layer(data: ByteData, track: mp4.Mp4Track) -> str:
    """ "MP3 (MPEG-1 Layer III)" from the first frame of an MPEG-audio track ("" if unreadable)."""
    if track.object_type not in MPEG_AUDIO_OBJECT_TYPES or not track.first_chunk_at:
        return ""
    header = mpeg.parse_frame(data, track.first_chunk_at)
    if header is None:
        return ""
    return f"MP{header.layer} (MPEG-{header.version:g} Layer {'I' * header.layer})"


def _mp4_audio_codec(data: ByteData, track: mp4.Mp4Track, container: str, name: str) -> tuple[str, str]:
    """(codec, profile) of an accepted M4A track; anything but AAC or ALAC is refused by name."""
    if track.encrypted:
        inner = entry_name(track.original_codec) if track.original_codec else "audio"
        if track.original_codec == "mp4a":
            inner = "AAC"
        raise unsupported(f"{container} holding DRM-protected (encrypted) {inner}", name, hint=_DRM_HINT)
    if track.codec == "alac":
        return "alac", "ALAC"
    if track.codec == "mp4a":
        refusal = mp4a_refusal(track.object_type, track.audio_object_type)
        if refusal is None and track.null_audio_config:
            raise corrupt(
                name,
                f"{container} whose AAC decoder configuration names audio object type 0 (none), "
                f"so no decoder can open it (a damaged header){REDO}",
            )
        if refusal is None:
            return "aac", aac_profile(track.audio_object_type, sbr=track.sbr, ps=track.ps)
        found = _mpeg_layer(data, track) or refusal
    else:
        found = entry_name(track.codec)
    raise unsupported(f"{container} holding {found} audio", name, why="M4A is AAC or ALAC")


# --- MPEG audio and what is left -------------------------------------------------------

_FRAME_SEARCH = 65536
"""How far past the tags (or the start) a first frame is looked for: ffmpeg looks 64 KiB."""


def _sniff_mpeg(data: ByteData, start: int, name: str, *, search: int, chain: int = 3) -> SniffResult | None:
    if mpeg.is_adts(data, start):
        raise unsupported("AAC in ADTS (a raw .aac stream)", name, why="AAC is accepted inside M4A")
    offset = mpeg.find_frame_chain(data, start, search=search, chain=chain)
    if offset is None:
        return None
    header = mpeg.parse_frame(data, offset)
    if header is None:  # pragma: no cover - find_frame_chain checked it
        return None
    version = f"MPEG-{header.version:g}"
    if header.layer != 3:
        raise unsupported(f"{version} Layer {'I' * header.layer} audio (MP{header.layer})", name)
    return _result("mp3", "mp3", f"MP3 ({version} Layer III)", offset)


def _lone_frame(data: ByteData, offset: int, name: str) -> CorruptAudioError:
    header = mpeg.parse_frame(data, offset)
    ms = 1000 * header.samples / header.sample_rate_hz if header else 0
    return corrupt(
        name,
        f"holds a single MPEG audio frame ({ms:.0f} ms) and nothing after it: too short to be "
        f"an MP3 stream (truncated?){REDO}",
    )


_ACCEPTED_CONTAINERS = {b"WAVE": "WAV", b"OggS": "Ogg"}


def _after_tags(data: ByteData, start: int, name: str) -> SniffResult:
    """What follows one or more leading ID3v2 tags: MP3 (searched for, as decoders do), FLAC, or a refusal."""
    if start >= len(data):
        raise corrupt(name, "holds only an ID3 tag, no audio (truncated?)")
    head = bytes(data[start : start + 4096])
    if head[:4] == b"fLaC":
        return _result("flac", "flac", "FLAC (with an ID3 tag)", start)
    wrapped = _ACCEPTED_CONTAINERS.get(head[8:12] if head[:4] in (b"RIFF", b"RF64") else head[:4], "")
    if wrapped or head[4:8] == b"ftyp":
        raise unsupported(
            f"{wrapped or 'MP4'} behind an ID3 tag", name, why="the file must start with its own header"
        )
    refusal = refused_signature(head, after_id3=True)
    if refusal is not None:
        raise refuse(refusal, name, where=" behind an ID3 tag")
    found = _sniff_mpeg(data, start, name, search=_FRAME_SEARCH)
    if found is not None:
        return found
    if mpeg.lone_frame(data, start):
        raise _lone_frame(data, start, name)
    raise corrupt(name, f"has an ID3 tag but no MPEG audio frames after it{REDO}")


def _headerless(name: str, dtype: str) -> UnsupportedAudioFormatError:
    return unsupported(
        f"headerless (raw) {'little' if dtype[0] == '<' else 'big'}-endian 16-bit PCM",
        name,
        why="16-bit samples with no header we know: nothing says their sample rate or channels",
        hint="If they are raw samples and you know their rate, wrap them: input_audio_part("
        f"numpy.frombuffer(data, dtype='{dtype}'), sample_rate=RATE). If the file had a header, it is "
        "a format we do not know, or a WAV whose header was damaged",
    )


# --- entry point -------------------------------------------------------------------


def sniff_audio(data: ByteData, *, source_name: str) -> SniffResult:
    """Name the format of ``data`` from its bytes alone.

    Raises :class:`UnsupportedAudioFormatError` for real media MiMo does not take
    (saying what it is) and :class:`CorruptAudioError` for empty, truncated or
    unrecognisable bytes. Nothing else escapes, whatever the bytes.
    """
    check_buffer(data)
    check_str(source_name, option="source_name")
    try:
        return _sniff(data, source_name)
    except MimoAudioError:
        raise
    except (
        struct.error,
        IndexError,
        ValueError,
        OverflowError,
        KeyError,
        ZeroDivisionError,
        RecursionError,
    ) as exc:
        # A header cut or bent in a way the checks above did not foresee.
        raise corrupt(
            source_name, f"damaged or truncated headers ({type(exc).__name__}: {exc}){REDO}"
        ) from exc


def _sniff(data: ByteData, source_name: str) -> SniffResult:
    if len(data) == 0:
        raise corrupt(
            source_name, f"is empty (0 bytes): check that the file was fully written or downloaded{MISSING}"
        )
    head = bytes(data[:4096])
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return _result("wav", *sniff_wav(data, source_name))
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[12:16] == b"fmt ":
        raise corrupt(
            source_name, f"WAV whose header is damaged (form type {head[8:12]!r}, not 'WAVE'){REDO}"
        )
    if head[:4] == b"fLaC":
        return _result("flac", "flac", "FLAC")
    if head[:4] == b"OggS":
        return _sniff_ogg(data, source_name)
    if mp4.is_iso_bmff(data):
        return _sniff_mp4(data, source_name)
    tags_end = mpeg.skip_leading_tags(data)
    if tags_end:
        return _after_tags(data, tags_end, source_name)
    padding = len(head) - len(head.lstrip(b"\0"))  # some encoders pad the start with zeros
    found = _sniff_mpeg(data, padding, source_name, search=0) if padding < len(head) else None
    if found is not None:
        return found
    refusal = refused_signature(head) or other_kind(
        head, is_accepted_mime=lambda mime: canonical_mime(mime) is not None
    )
    if refusal is not None:
        raise refuse(refusal, source_name)
    # A stream that starts mid-frame or after junk: search on, as decoders do, but ask a
    # longer chain of frames than at the expected place.
    found = _sniff_mpeg(data, padding, source_name, search=_FRAME_SEARCH, chain=4)
    if found is not None:
        return found
    dtype = headerless_pcm(bytes(data[padding : padding + 8192]))
    if dtype is not None:
        raise _headerless(source_name, dtype)
    if mpeg.lone_frame(data, padding):
        raise _lone_frame(data, padding, source_name)
    if len(data) < 64:
        raise corrupt(source_name, f"only {len(data)} bytes, too short to be audio{REDO}")
    raise corrupt(
        source_name,
        f"not recognisable audio (first bytes: {head[:8].hex(' ')}); expected {accepted_list()}{REDO}",
    )
