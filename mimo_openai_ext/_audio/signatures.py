"""What refused media looks like: magic numbers of formats MiMo does not take, and text.

:mod:`.sniff` asks here only after every accepted format's own checks have failed, to
name what was found instead of calling it corrupt. Short magic numbers (AC-3's two
bytes, an icon's four) are confirmed by the structure after them, so headerless PCM
is not taken for an icon or a font.
"""

from __future__ import annotations

import itertools
import operator
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Refusal", "headerless_pcm", "other_kind", "refused_signature", "text_kind"]


@dataclass(frozen=True)
class Refusal:
    """A recognised format MiMo does not take."""

    found: str
    """For people: ``"WavPack"``, ``"a tracker module (MOD)"``, ``"an IFF image (ILBM)"``."""
    convertible: bool = True
    """Our converter (libsndfile, or PyAV with the ``convert`` extra) decodes it."""
    media: bool = True
    """Audio or video at all (False: an image, notes, a document)."""
    hint: str = ""
    """The way out when conversion is not it."""


_TRACKER_HINT = (
    "A tracker module holds notes and instrument samples, not recorded sound: render it to WAV "
    "with a module player first (e.g. `openmpt123 --render FILE`)"
)
_XI_HINT = "An XI file is one instrument for a tracker: export its sample to WAV with a tracker first"
_SIGNATURES: tuple[tuple[int, bytes, Refusal], ...] = (
    (0, b"caff", Refusal("Apple CAF")),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", Refusal("ASF (WMA/WMV)")),
    (0, b"#!AMR-WB\n", Refusal("AMR-WB")),
    (0, b"#!AMR", Refusal("AMR")),
    (0, b"MAC ", Refusal("Monkey's Audio (APE)")),
    (0, b"wvpk", Refusal("WavPack")),
    (0, b"TTA1", Refusal("True Audio (TTA)")),
    (0, b"MPCK", Refusal("Musepack (SV8)")),
    (0, b"tBaK", Refusal("TAK")),
    (0, b"ajkg", Refusal("Shorten")),
    (0, b"OFR ", Refusal("OptimFROG", convertible=False, hint="Decode it to WAV with OptimFROG's own tools")),
    (0, b".snd", Refusal("Sun AU")),
    (0, b"Creative Voice File\x1a", Refusal("Creative Voice (VOC)")),
    (0, b"NIST_1A\n", Refusal("NIST SPHERE")),
    (0, b".ra\xfd", Refusal("RealAudio")),
    (0, b".RMF", Refusal("RealMedia")),
    (0, b"\x02dss", Refusal("Olympus DSS dictation")),
    (0, b"qoaf", Refusal("QOA (Quite OK Audio)")),
    (0, b"\x7f\xfe\x80\x01", Refusal("DTS")),
    (0, b"\xfe\x7f\x01\x80", Refusal("DTS")),
    (0, b"\x1f\xff\xe8\x00", Refusal("DTS")),
    (0, b"\xff\x1f\x00\xe8", Refusal("DTS")),
    (4, b"\xf8\x72\x6f\xba", Refusal("Dolby TrueHD")),
    (4, b"\xf8\x72\x6f\xbb", Refusal("MLP (Meridian Lossless Packing)")),
    (0, b"2BIT", Refusal("Audio Visual Research (AVR)")),
    (0, b" paf", Refusal("Ensoniq PARIS (PAF)")),
    (0, b"fap ", Refusal("Ensoniq PARIS (PAF)")),
    (0, b"PVF1\n", Refusal("Portable Voice Format (PVF)")),
    (0, b"ALawSoundFile**", Refusal("Psion WVE")),
    (0, b"Extended Instrument: ", Refusal("a tracker instrument (XI)", convertible=False, hint=_XI_HINT)),
    (0, b"MATLAB 5.0 MAT-file", Refusal("MATLAB 5 (MAT-file) audio")),
    (0, b"DSD ", Refusal("DSD audio (DSF)")),
    (0, b"FRM8", Refusal("DSD audio (DFF)")),
    (0, b"riff\x2e\x91\xcf\x11", Refusal("Sony Wave64")),
    (0, b"FLV", Refusal("Flash video (FLV)")),
    (0, b"MThd", Refusal("a MIDI file (notes)", convertible=False, media=False)),
    (0, b"Extended Module: ", Refusal("a tracker module (XM)", convertible=False, hint=_TRACKER_HINT)),
    (0, b"IMPM", Refusal("a tracker module (IT)", convertible=False, hint=_TRACKER_HINT)),
    (44, b"SCRM", Refusal("a tracker module (S3M)", convertible=False, hint=_TRACKER_HINT)),
    (0, b"\x00\x00\x01\xba", Refusal("MPEG program stream (video)")),
    (0, b"\x00\x00\x01\xb3", Refusal("MPEG video")),
)
_MOD_TAGS = {
    b"M.K.",
    b"M!K!",
    b"M&K!",
    b"N.T.",
    b"FLT4",
    b"FLT8",
    b"CD81",
    b"OKTA",
    b"OCTA",
    b"FA04",
    b"FA06",
}
_MUSEPACK_SV7 = Refusal("Musepack (SV7)")
_IRCAM = {bytes(m) for k in (1, 2, 3, 4) for m in ((0x64, 0xA3, k, 0), (0, k, 0xA3, 0x64))}


_AFTER_ID3 = {
    # ffmpeg's WavPack reader will not skip a leading ID3 tag (its APE and TTA readers do).
    b"wvpk": Refusal(
        "WavPack",
        convertible=False,
        hint="WavPack keeps its tags at its end: strip the leading ID3 tag (e.g. mutagen.id3.delete(path)), "
        "then convert it with `mimo-audio fit`",
    ),
}


def refused_signature(head: bytes, *, after_id3: bool = False) -> Refusal | None:
    """What a non-accepted media file is, from its magic bytes (None if unknown).

    ``head`` is the start of the file (4 KiB), or with ``after_id3`` the bytes after its
    leading ID3 tags.
    """
    if after_id3 and head[:4] in _AFTER_ID3:
        return _AFTER_ID3[head[:4]]
    for offset, magic, found in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return found
    if head[:3] == b"MP+" and len(head) > 3 and head[3] & 0x0F in (7, 8):
        return _MUSEPACK_SV7
    if head[:4] in _IRCAM:
        return Refusal("IRCAM sound")
    if head[:2] == b"\xf0\x7e" and len(head) > 3 and head[2] < 0x80 and head[3] == 0x01:
        return Refusal("MIDI Sample Dump (SDS)")
    if len(head) >= 1084 and _is_mod_tag(head[1080:1084]):
        return Refusal("a tracker module (MOD)", convertible=False, hint=_TRACKER_HINT)
    return _container(head) or _dolby(head) or _transport_stream(head)


def _is_mod_tag(tag: bytes) -> bool:
    if tag in _MOD_TAGS:
        return True
    digits = tag[:2].decode("latin-1")
    return (digits[:1].isdigit() and tag[1:] == b"CHN") or (digits.isdigit() and tag[2:] in (b"CH", b"CN"))


_IFF_AUDIO = {b"8SVX": "IFF 8SVX audio", b"16SV": "IFF 16SV audio", b"MAUD": "IFF MAUD audio"}
_IFF_IMAGES = {b"ILBM", b"PBM ", b"ACBM", b"DEEP", b"RGB8", b"RGBN"}
_RIFF_KINDS = {
    b"AVI ": Refusal("AVI video"),
    b"WEBP": Refusal("a WebP image", convertible=False, media=False),
    b"RMID": Refusal("a MIDI file (notes, in RIFF)", convertible=False, media=False),
    b"sfbk": Refusal(
        "a SoundFont (instrument samples)",
        convertible=False,
        hint="A SoundFont is a bank of instruments for a synthesizer, not a recording",
    ),
    b"QLCM": Refusal("QCELP audio (Qualcomm QCP)"),
    b"CDXA": Refusal("a Video CD track (RIFF CDXA)"),
}


def _container(head: bytes) -> Refusal | None:
    """IFF (``FORM``) and RIFF files by their form type (four letters, digits or spaces)."""
    kind = head[8:12]
    named = len(kind) == 4 and all(chr(b).isalnum() or b == 0x20 for b in kind)
    if head[:4] == b"FORM" and named:
        if kind in (b"AIFF", b"AIFC"):
            return Refusal("AIFF" if kind == b"AIFF" else "AIFF-C")
        if kind in _IFF_AUDIO:
            return Refusal(_IFF_AUDIO[kind])
        name = kind.decode("latin-1").strip()
        if kind in _IFF_IMAGES:
            return Refusal(f"an IFF image ({name})", convertible=False, media=False)
        if kind == b"ANIM":
            return Refusal("an IFF animation (ANIM)", convertible=False, media=False)
        if kind == b"SMUS":
            return Refusal("an IFF music score (SMUS, notes)", convertible=False, media=False)
        return Refusal(f"an IFF file of type '{name}'", convertible=False, media=False)
    if head[:4] == b"RIFF" and named and head[12:16] != b"fmt ":  # a WAV whose 'WAVE' is damaged
        return _RIFF_KINDS.get(kind) or Refusal(
            f"a RIFF file of type '{kind.decode('latin-1').strip()}'", convertible=False, media=False
        )
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Refusal("WebM" if b"webm" in head[:64] else "Matroska (MKV/MKA)")
    return None


# AC-3 frame sizes in 16-bit words at 48 kHz, by frmsizecod // 2 (ATSC A/52, table 5.18);
# at 32 kHz they are 1.5 times these, at 44.1 kHz bitrate * 96000 / 44100 (+1 when odd).
_AC3_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640)


def _dolby(head: bytes) -> Refusal | None:
    """Raw AC-3 / E-AC-3: sync word 0x0B77, confirmed by the next frame's sync word."""
    if head[:2] != b"\x0b\x77" or len(head) < 8:
        return None
    bsid = head[5] >> 3
    if bsid <= 10:
        fscod, code = head[4] >> 6, head[4] & 0x3F
        if fscod == 3 or code >= 2 * len(_AC3_KBPS):
            return None
        kbps = _AC3_KBPS[code // 2]
        words = (kbps * 2, kbps * 96000 // 44100 + (code & 1), kbps * 3)[fscod]
        size, found = 2 * words, "AC-3 (Dolby Digital)"
    elif bsid <= 16:
        size = 2 * ((((head[2] & 0x07) << 8) | head[3]) + 1)
        found = "E-AC-3 (Dolby Digital Plus)"
    else:
        return None
    if size + 2 <= len(head) and head[size : size + 2] != b"\x0b\x77":
        return None
    return Refusal(found)


def _transport_stream(head: bytes) -> Refusal | None:
    if len(head) > 376 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return Refusal("MPEG transport stream (video)")
    return None


# --- what filetype says, and text ------------------------------------------------------

_NOUNS = {"image": "an image", "video": "a video", "audio": "audio", "font": "a font"}


def other_kind(head: bytes, *, is_accepted_mime: Callable[[str], bool]) -> Refusal | None:
    """What ``filetype`` or the text checks make of ``head``.

    None when nothing is recognised, or when ``filetype`` names a format we accept (our
    own checks of that format already failed, so the bytes are corrupt, not foreign).
    Matches on a few bytes (an icon, a font, a JPEG, an MPEG video start code) count only
    when the structure after them holds up.
    """
    import filetype  # lazy: nothing heavy at import

    kind = filetype.guess(head)
    if kind is not None and (is_accepted_mime(kind.mime) or not _confirmed(kind.mime, head)):
        kind = None
    if kind is not None:
        top = kind.mime.split("/", 1)[0]
        media = top in ("video", "audio")
        noun = _NOUNS.get(top, "a file")
        return Refusal(f"{noun} ({kind.mime}, .{kind.extension})", convertible=media, media=media)
    text = text_kind(head)
    return Refusal(text, convertible=False, media=False) if text else None


def _confirmed(mime: str, head: bytes) -> bool:
    if mime == "image/x-icon":
        return _is_icon(head)
    if mime == "image/jpeg":
        return _is_jpeg(head)
    if mime == "application/font-sfnt":
        return _is_sfnt(head)
    return mime != "video/mpeg"  # 00 00 01 Bx: only pack and sequence headers (above) are trusted


def _is_icon(head: bytes) -> bool:
    if len(head) < 22:
        return False
    count = struct.unpack_from("<H", head, 4)[0]
    _w, _h, _colors, reserved, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", head, 6)
    return (
        0 < count <= 256
        and reserved == 0
        and planes <= 1
        and bpp in (0, 1, 4, 8, 16, 24, 32)
        and size > 0
        and offset >= 6 + 16 * count
    )


def _is_jpeg(head: bytes) -> bool:
    if len(head) < 6 or not (head[3] in (0xC0, 0xC2, 0xC4, 0xDB, 0xDD, 0xFE) or 0xE0 <= head[3] <= 0xEF):
        return False
    if head[6:11] in (b"JFIF\0", b"Exif\0", b"JFXX\0"):
        return True
    length: int = struct.unpack_from(">H", head, 4)[0]
    following = 4 + length
    return length >= 2 and (following >= len(head) or head[following] == 0xFF)


def _is_sfnt(head: bytes) -> bool:
    if len(head) < 12:
        return False
    tables: int
    search_range: int
    tables, search_range = struct.unpack_from(">HH", head, 4)
    return 0 < tables <= 256 and search_range == 16 * (1 << (tables.bit_length() - 1))


def text_kind(head: bytes) -> str | None:
    """ "text", "JSON text" or "an HTML page" when ``head`` reads as UTF-8 prose."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end
            return None
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if len(text) < 16 or printable < 0.95 * len(text):
        return None
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "an HTML page (a download that returned a web page?)"
    if lowered.startswith(("{", "[")):
        return "JSON text"
    return "text"


# --- headerless PCM ------------------------------------------------------------------

_PCM_MIN_BYTES = 512
_PCM_MIN_CORRELATION = 0.5
"""Neighbouring samples of sound agree (speech at 16 kHz: about 0.9); random bytes: about 0."""


def headerless_pcm(head: bytes) -> str | None:
    """The numpy dtype (``"<i2"``, ``">i2"``) when ``head`` reads as 16-bit samples with no header.

    Sound changes little from one sample to the next, so its lag-1 autocorrelation is
    high; compressed or random bytes read as 16-bit numbers have none.
    """
    size = min(len(head), 4096) // 2 * 2
    if size < _PCM_MIN_BYTES:
        return None
    best, dtype = 0.0, None
    for order in ("<i2", ">i2"):
        samples = array("h", head[:size])
        if (order == ">i2") != (array("h", b"\x00\x01")[0] == 1):
            samples.byteswap()
        correlation = _lag1_correlation(samples)
        if correlation > best:
            best, dtype = correlation, order
    return dtype if best >= _PCM_MIN_CORRELATION else None


def _lag1_correlation(samples: array[int]) -> float:
    count = len(samples)
    total = sum(samples)
    energy: float = sum(map(operator.mul, samples, samples)) - total * total / count
    if energy < count:  # (near) silence says nothing
        return 0.0
    lagged: int = sum(map(operator.mul, samples, itertools.islice(samples, 1, None)))
    return (lagged - total * total / count) / energy
