"""MPEG audio frame headers (MP3, MP2, ADTS AAC): enough to sniff and time a stream.

Pure ``struct``-free bit twiddling over a buffer; nothing is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from .source import ByteData

__all__ = [
    "FrameHeader",
    "count_frames",
    "find_frame_chain",
    "id3v2_size",
    "is_adts",
    "lone_frame",
    "parse_frame",
    "skip_leading_tags",
    "xing_frames",
]

# Bitrates in kbit/s, by (version is MPEG-1, layer) then index.
_BITRATES_V1 = {
    1: (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    2: (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
}
_BITRATES_V2 = {
    1: (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    3: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {1.0: (44100, 48000, 32000), 2.0: (22050, 24000, 16000), 2.5: (11025, 12000, 8000)}
_VERSIONS = {0: 2.5, 2: 2.0, 3: 1.0}  # 1 is reserved


@dataclass(frozen=True)
class FrameHeader:
    """One MPEG audio frame header."""

    version: float
    """1.0, 2.0 or 2.5."""
    layer: int
    sample_rate_hz: int
    channels: int
    frame_bytes: int
    samples: int
    """Samples per channel in this frame."""
    bitrate_bps: int


def id3v2_size(data: ByteData, offset: int = 0) -> int:
    """Bytes taken by an ID3v2 tag at ``offset`` (0 if none)."""
    if offset + 10 > len(data) or bytes(data[offset : offset + 3]) != b"ID3":
        return 0
    size_bytes = bytes(data[offset + 6 : offset + 10])
    if any(b & 0x80 for b in size_bytes) or data[offset + 3] == 0xFF:
        return 0
    size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
    footer = 10 if data[offset + 5] & 0x10 else 0
    return 10 + size + footer


_MAX_LEADING_TAGS = 16
_MAX_TAG_PADDING = 65536


def skip_leading_tags(data: ByteData) -> int:
    """Where the audio starts after every leading ID3v2 tag (0 if there is none).

    Taggers that do not read an existing tag prepend a second one; zero padding between
    two tags is stepped over too, as decoders do.
    """
    pos = 0
    for _ in range(_MAX_LEADING_TAGS):
        size = id3v2_size(data, pos)
        if size == 0:
            break
        pos += size
        window = bytes(data[pos : pos + _MAX_TAG_PADDING])
        padded = pos + len(window) - len(window.lstrip(b"\0"))
        if padded > pos and id3v2_size(data, padded):
            pos = padded
    return pos


def parse_frame(data: ByteData, offset: int) -> FrameHeader | None:
    """The MPEG audio frame header at ``offset``, or None (ADTS AAC is not one)."""
    if offset + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[offset], data[offset + 1], data[offset + 2], data[offset + 3]
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = _VERSIONS.get((b1 >> 3) & 0x03)
    layer = 4 - ((b1 >> 1) & 0x03)
    bitrate_index = b2 >> 4
    rate_index = (b2 >> 2) & 0x03
    if version is None or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    table = _BITRATES_V1 if version == 1.0 else _BITRATES_V2
    bitrate = table[layer][bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (b2 >> 1) & 0x01
    channels = 1 if (b3 >> 6) == 3 else 2
    if layer == 1:
        samples = 384
        size = (12 * bitrate // sample_rate + padding) * 4
    elif layer == 2 or version == 1.0:
        samples = 1152
        size = 144 * bitrate // sample_rate + padding
    else:
        samples = 576
        size = 72 * bitrate // sample_rate + padding
    return FrameHeader(version, layer, sample_rate, channels, size, samples, bitrate)


def is_adts(data: ByteData, offset: int = 0) -> bool:
    """An ADTS (raw AAC) frame at ``offset``, confirmed by the next one (or the end of the data).

    Two sync bytes alone are too weak: big-endian PCM holds ``FF F1`` often enough.
    """
    if offset + 7 > len(data):
        return False
    b1 = data[offset + 1]
    if data[offset] != 0xFF or (b1 & 0xF6) != 0xF0 or ((data[offset + 2] >> 2) & 0x0F) >= 13:
        return False
    length = ((data[offset + 3] & 0x03) << 11) | (data[offset + 4] << 3) | (data[offset + 5] >> 5)
    following = offset + length
    if length < 7 or following > len(data):
        return False
    return following + 2 > len(data) or (data[following] == 0xFF and (data[following + 1] & 0xF6) == 0xF0)


def find_frame_chain(data: ByteData, start: int, *, chain: int = 3, search: int = 0) -> int | None:
    """Offset of the first frame followed by ``chain - 1`` consistent frames.

    A chain that runs into the end of the data (or a trailing ID3v1/APE tag) also
    counts, once a second frame has confirmed the first: one lone frame is not a stream
    (ffmpeg will not open it). ``search`` bytes after ``start`` are scanned for the first
    frame, jumping from one ``0xFF`` byte to the next.
    """
    end = min(len(data), start + search + 1)
    window = bytes(data[start:end])
    pos = window.find(b"\xff")
    while pos >= 0:
        offset = start + pos
        first = parse_frame(data, offset)
        if first is not None and _chain_holds(data, offset, first, chain):
            return offset
        pos = window.find(b"\xff", pos + 1)
    return None


def lone_frame(data: ByteData, offset: int) -> bool:
    """A valid frame header at ``offset`` whose frame reaches the end of the data: one frame, no stream."""
    header = parse_frame(data, offset)
    return header is not None and len(data) - 4 < offset + header.frame_bytes <= len(data)


_TRAILERS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN")


def _chain_holds(data: ByteData, offset: int, first: FrameHeader, chain: int) -> bool:
    if offset + first.frame_bytes > len(data):  # not even one whole frame
        return False
    pos, current = offset, first
    for found in range(1, chain):
        pos += current.frame_bytes
        if pos > len(data) - 4 or bytes(data[pos : pos + 11]).startswith(_TRAILERS):
            return found >= 2  # the audio ends here
        nxt = parse_frame(data, pos)
        if nxt is None or (nxt.version, nxt.layer, nxt.sample_rate_hz) != (
            first.version,
            first.layer,
            first.sample_rate_hz,
        ):
            return False
        current = nxt
    return True


def xing_frames(data: ByteData, offset: int, header: FrameHeader) -> tuple[int, int] | None:
    """(frames, stream bytes or 0) from a Xing/Info or VBRI header in the first frame."""
    if header.version == 1.0:
        side = 17 if header.channels == 1 else 32
    else:
        side = 9 if header.channels == 1 else 17
    pos = offset + 4 + side
    tag = bytes(data[pos : pos + 4])
    if tag in (b"Xing", b"Info"):
        flags = int.from_bytes(data[pos + 4 : pos + 8], "big")
        if not flags & 0x01 or pos + 12 > len(data):
            return None
        frames = int.from_bytes(data[pos + 8 : pos + 12], "big")
        stream_bytes = int.from_bytes(data[pos + 12 : pos + 16], "big") if flags & 0x02 else 0
        return frames, stream_bytes
    vbri = offset + 4 + 32
    if bytes(data[vbri : vbri + 4]) == b"VBRI" and vbri + 18 <= len(data):
        stream_bytes = int.from_bytes(data[vbri + 10 : vbri + 14], "big")
        return int.from_bytes(data[vbri + 14 : vbri + 18], "big"), stream_bytes
    return None


def count_frames(data: ByteData, offset: int, *, cbr_probe: int = 64) -> tuple[int, int]:
    """(frames, samples per channel) from ``offset``: walk headers, or extrapolate a CBR stream.

    Nothing is decoded; a stream whose first ``cbr_probe`` frames share one bitrate is
    treated as constant bitrate and timed from its byte length (as ffprobe does). A
    variable-bitrate stream without a Xing header is walked to its end, header to header.
    """
    first = parse_frame(data, offset)
    if first is None:
        return 0, 0
    size = len(data)
    if size >= 128 and bytes(data[size - 128 : size - 125]) == b"TAG":
        size -= 128  # ID3v1 at the end
    # Frame size and length depend only on header bytes 1-2; cache them by that key.
    known: dict[int, tuple[int, int, int] | None] = {}
    frames, samples, pos = 0, 0, offset
    bitrates: set[int] = set()
    while pos + 4 <= size and data[pos] == 0xFF:
        key = (data[pos + 1] << 8) | data[pos + 2]
        if key not in known:
            header = parse_frame(data, pos)
            known[key] = None
            if header is not None and header.sample_rate_hz == first.sample_rate_hz:
                known[key] = (header.frame_bytes, header.samples, header.bitrate_bps)
        entry = known[key]
        if entry is None or entry[0] <= 0:
            break
        frames += 1
        samples += entry[1]
        pos += entry[0]
        if frames <= cbr_probe:
            bitrates.add(entry[2])
            if frames == cbr_probe and len(bitrates) == 1:
                remaining = round((size - pos) / ((pos - offset) / frames))
                return frames + remaining, samples + remaining * first.samples
    return frames, samples
