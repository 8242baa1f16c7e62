"""Hand-built MP4 boxes and AAC configs: the tricky headers, made in code.

* ``box(kind, *children, payload=b"")``: one ISO BMFF box.
* ``Bits``: a big-endian bit writer for AudioSpecificConfigs (``add(value, width)``).
* ``asc(object_type, rate, channels, ...)``: an AudioSpecificConfig, explicit 24-bit rates
  and SBR/PS included.
* ``esds(object_type, config)``, ``audio_entry(codec, ...)``, ``trak(...)``, ``movie(...)``
  and ``fragment(...)``: enough to build an M4A, a 3GP, a video MP4 or a fragmented file.
* ``mpeg_frames(count)``: real MPEG-1 Layer III frame headers with silent payloads.
"""

from __future__ import annotations

import struct

AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def box(kind: bytes, *children: bytes, payload: bytes = b"") -> bytes:
    body = payload + b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


class Bits:
    def __init__(self) -> None:
        self.value, self.width = 0, 0

    def add(self, value: int, width: int) -> Bits:
        self.value = (self.value << width) | (value & ((1 << width) - 1))
        self.width += width
        return self

    def object_type(self, kind: int) -> Bits:
        return self.add(kind, 5) if kind < 31 else self.add(31, 5).add(kind - 32, 6)

    def rate(self, rate_hz: int, *, explicit: bool = False) -> Bits:
        if rate_hz in AAC_RATES and not explicit:
            return self.add(AAC_RATES.index(rate_hz), 4)
        return self.add(15, 4).add(rate_hz, 24)

    def to_bytes(self) -> bytes:
        pad = -self.width % 8
        return (self.value << pad).to_bytes((self.width + pad) // 8, "big")


def asc(
    object_type: int,
    rate_hz: int,
    channels: int,
    *,
    sbr_rate_hz: int = 0,
    core_type: int = 2,
    explicit: bool = False,
    sync_extension_rate_hz: int = 0,
    ps: bool = False,
) -> bytes:
    """An AudioSpecificConfig. ``object_type`` 5/29 writes hierarchical SBR/PS with ``sbr_rate_hz``;
    ``sync_extension_rate_hz`` appends backward-compatible SBR (0x2B7) after a plain AAC config."""
    bits = Bits().object_type(object_type).rate(rate_hz, explicit=explicit).add(channels, 4)
    if object_type in (5, 29):
        bits.rate(sbr_rate_hz, explicit=explicit).object_type(core_type)
        object_type = core_type
    if object_type in (1, 2, 4):
        bits.add(0, 3)  # frameLengthFlag, dependsOnCoreCoder, extensionFlag
    if sync_extension_rate_hz:
        bits.add(0x2B7, 11).object_type(5).add(1, 1).rate(sync_extension_rate_hz)
        if ps:
            bits.add(0x548, 11).add(1, 1)
    return bits.to_bytes()


def _descriptor(tag: int, body: bytes) -> bytes:
    return bytes([tag, 0x80, 0x80, 0x80, len(body)]) + body


def esds(object_type: int, config: bytes) -> bytes:
    decoder = bytes([object_type, 0x15]) + bytes(11) + _descriptor(0x05, config)
    es = b"\x00\x01\x00" + _descriptor(0x04, decoder) + _descriptor(0x06, b"\x02")
    return box(b"esds", payload=bytes(4) + _descriptor(0x03, es))


def audio_entry(codec: bytes, *children: bytes, channels: int = 2, rate_hz: int = 44100) -> bytes:
    fields = bytes(6) + b"\x00\x01" + bytes(8) + struct.pack(">HHHHI", channels, 16, 0, 0, rate_hz << 16)
    return box(codec, *children, payload=fields)


def visual_entry(codec: bytes) -> bytes:
    return box(codec, payload=bytes(6) + b"\x00\x01" + bytes(70))


def trak(
    handler: bytes,
    entry: bytes,
    *,
    timescale: int = 44100,
    duration: int = 44100,
    track_id: int = 1,
    edits: list[tuple[int, int]] | None = None,
    first_chunk_at: int = 0,
) -> bytes:
    tkhd = box(b"tkhd", payload=bytes(12) + struct.pack(">I", track_id) + bytes(64))
    mdhd = box(b"mdhd", payload=bytes(12) + struct.pack(">II", timescale, duration) + bytes(4))
    hdlr = box(b"hdlr", payload=bytes(8) + handler + bytes(13))
    stsd = box(b"stsd", entry, payload=bytes(4) + struct.pack(">I", 1))
    stco = box(b"stco", payload=bytes(4) + struct.pack(">II", 1, first_chunk_at))
    children = [tkhd]
    if edits is not None:
        entries = b"".join(struct.pack(">Ii", seg, start) + b"\x00\x01\x00\x00" for seg, start in edits)
        children.append(
            box(b"edts", box(b"elst", payload=bytes(4) + struct.pack(">I", len(edits)) + entries))
        )
    minf = box(b"minf", box(b"stbl", stsd, stco))
    return box(b"trak", *children, box(b"mdia", mdhd, hdlr, minf))


def movie(
    *traks: bytes,
    brand: bytes = b"M4A ",
    movie_timescale: int = 1000,
    movie_duration: int = 1000,
    mvex: bytes = b"",
    tail: bytes = b"",
) -> bytes:
    ftyp = box(b"ftyp", payload=brand + bytes(4) + brand + b"isom")
    mvhd = box(b"mvhd", payload=bytes(12) + struct.pack(">II", movie_timescale, movie_duration) + bytes(80))
    return ftyp + box(b"moov", mvhd, *traks, *([mvex] if mvex else [])) + tail


def trex(track_id: int, default_duration: int) -> bytes:
    return box(
        b"mvex", box(b"trex", payload=bytes(4) + struct.pack(">IIIII", track_id, 1, default_duration, 0, 0))
    )


def fragment(track_id: int, durations: list[int], *, sequence: int = 1) -> bytes:
    """A ``moof`` whose ``trun`` lists each sample's duration, then an ``mdat`` of zeros."""
    mfhd = box(b"mfhd", payload=bytes(4) + struct.pack(">I", sequence))
    tfhd = box(b"tfhd", payload=b"\x00\x02\x00\x00" + struct.pack(">I", track_id))
    trun = box(b"trun", payload=b"\x00\x00\x01\x00" + struct.pack(">I", len(durations)))
    trun = box(b"trun", payload=trun[8:] + b"".join(struct.pack(">I", d) for d in durations))
    return box(b"moof", mfhd, box(b"traf", tfhd, trun)) + box(b"mdat", payload=bytes(16 * len(durations)))


def mpeg_frames(count: int, *, header: bytes = b"\xff\xfb\x90\x64") -> bytes:
    """``count`` MPEG-1 Layer III frames (128 kbps, 44.1 kHz: 417 bytes each), silent payloads."""
    return (header + bytes(417 - 4)) * count
