"""Hand-built files of formats MiMo refuses or that once fooled the sniffer, made in code.

* ``wav(tag=1, bits=16, ...)``: a WAVE file with any format tag, bit depth and byte order.
* ``id3(size=10)``: an ID3v2.3 tag of ``size`` bytes (header included) with one text frame.
* ``ac3_frames(count)``, ``eac3_frames(count)``: Dolby frames with real sync words and sizes.
* ``REFUSED``: name -> (bytes, what the refusal must say, whether conversion is offered), one
  per format named since the parsers were hardened.
* ``headerless_pcm(dtype)``: a tone as raw 16-bit samples, no header.
"""

from __future__ import annotations

import struct

from _audio import tone


def wav(
    *,
    tag: int = 1,
    bits: int = 16,
    channels: int = 1,
    rate: int = 8000,
    payload: bytes = b"",
    riff: bytes = b"RIFF",
) -> bytes:
    endian = ">" if riff == b"RIFX" else "<"
    block = channels * max(bits, 8) // 8
    payload = payload or bytes(block * 800)
    fmt = struct.pack(endian + "HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack(endian + "I", 16)
        + fmt
        + b"data"
        + struct.pack(endian + "I", len(payload))
    )
    return riff + struct.pack(endian + "I", len(body) + len(payload)) + body + payload


def id3(size: int = 10, *, version: int = 3) -> bytes:
    """An ID3v2 tag taking ``size`` bytes in all (header, one TIT2 frame, zero padding)."""
    frame = b"TIT2" + struct.pack(">I", 2) + b"\x00\x00" + b"\x00t"
    body = (frame + bytes(max(size - 10 - len(frame), 0)))[: max(size - 10, 0)]
    n = len(body)
    syncsafe = bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])
    return b"ID3" + bytes([version, 0, 0]) + syncsafe + body


def ac3_frames(count: int) -> bytes:
    """48 kHz, 64 kbps AC-3 (frmsizecod 8: 128 words), bsid 8."""
    return (b"\x0b\x77\x00\x00" + bytes([0x08, 8 << 3]) + bytes(250)) * count


def eac3_frames(count: int) -> bytes:
    """E-AC-3 frames of 256 bytes (frmsiz 127), bsid 16."""
    return (b"\x0b\x77\x00\x7f" + bytes([0x30, 16 << 3]) + bytes(250)) * count


def _mod() -> bytes:
    title = b"song".ljust(20, b"\0")
    samples = b"".join(b"inst".ljust(22, b"\0") + struct.pack(">HBBHH", 16, 0, 64, 0, 1) for _ in range(31))
    header = title + samples + bytes([1, 127]) + bytes(128)
    assert len(header) == 1080
    return header + b"M.K." + bytes(1024) + bytes(32)


def _s3m() -> bytes:
    header = b"song".ljust(28, b"\0") + b"\x1a\x10" + bytes(14) + b"SCRM"
    return header + bytes(200)


def _iff(kind: bytes) -> bytes:
    vhdr = b"VHDR" + struct.pack(">I", 20) + struct.pack(">IIIHBBI", 800, 0, 0, 8000, 1, 0, 0x10000)
    body = kind + vhdr + b"BODY" + struct.pack(">I", 800) + bytes(800)
    return b"FORM" + struct.pack(">I", len(body)) + body


def headerless_pcm(dtype: str = "<i2", seconds: float = 0.5) -> bytes:
    return (tone(seconds, 16000)[:, 0] * 32767).astype(dtype).tobytes()


# name -> (bytes, text the message must hold, conversion offered)
REFUSED: dict[str, tuple[bytes, str, bool]] = {
    "musepack-sv7": (b"MP+\x17" + bytes(60) + bytes(range(256)) * 4, "Musepack (SV7)", True),
    "musepack-sv8": (b"MPCK" + b"SH\x10" + bytes(61) + bytes(range(256)) * 4, "Musepack (SV8)", True),
    "tak": (b"tBaK" + b"\x00\x00\x00\x10" + bytes(1100), "TAK", True),
    "shorten": (b"ajkg\x02" + bytes(1100), "Shorten", True),
    "ac3": (ac3_frames(4), "AC-3 (Dolby Digital)", True),
    "eac3": (eac3_frames(4), "E-AC-3 (Dolby Digital Plus)", True),
    "mod": (_mod(), "tracker module (MOD)", False),
    "s3m": (_s3m(), "tracker module (S3M)", False),
    "xm": (b"Extended Module: song".ljust(60, b"\0") + b"\x1a" + bytes(300), "tracker module (XM)", False),
    "it": (b"IMPM" + b"song".ljust(26, b"\0") + bytes(300), "tracker module (IT)", False),
    "8svx": (_iff(b"8SVX"), "IFF 8SVX audio", True),
    "16sv": (_iff(b"16SV"), "IFF 16SV audio", True),
    "ilbm": (_iff(b"ILBM"), "an IFF image (ILBM), not audio", False),
    "ape-behind-id3": (
        id3(64) + b"MAC \x96\x0f" + bytes(1100),
        "Monkey's Audio (APE) behind an ID3 tag",
        True,
    ),
    "tta-behind-id3": (id3(64) + b"TTA1\x01\x00" + bytes(1100), "True Audio (TTA) behind an ID3 tag", True),
    "wavpack-behind-id3": (id3(64) + b"wvpk" + bytes(1100), "WavPack behind an ID3 tag", False),
    "optimfrog": (b"OFR " + bytes(1100), "OptimFROG", False),
    "dts": (b"\x7f\xfe\x80\x01" + bytes(1100), "DTS", True),
    "rifx-float": (wav(tag=3, bits=32, riff=b"RIFX"), "big-endian byte order (RIFX, pcm_f32be)", True),
    "rifx-s24": (wav(bits=24, riff=b"RIFX"), "big-endian byte order (RIFX, pcm_s24be)", False),
    "wav-s64": (wav(bits=64), "WAV holding 64-bit integer PCM", True),
    "wav-f16": (wav(tag=3, bits=16), "WAV holding 16-bit float PCM", True),
    "riff-sfbk": (b"RIFF\x00\x10\x00\x00sfbkLIST" + bytes(300), "SoundFont", False),
}
