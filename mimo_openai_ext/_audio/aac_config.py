"""The ``esds`` of an MP4 ``mp4a`` entry: its object type and AudioSpecificConfig.

ISO 14496-1 (descriptors) and 14496-3 (AudioSpecificConfig, GASpecificConfig). The bit
reader holds the whole config, however long (explicit 24-bit sample rates with SBR take
70 bits), and reading past its end only stops the parse: what was read stands.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

__all__ = ["DecoderConfig", "read_esds"]

# AAC sampling frequency indexes (ISO 14496-3, 1.6.3.4); 13 and 14 are reserved.
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
# Audio object types whose config starts with GASpecificConfig (ISO 14496-3, 1.6.2.1).
_GA_TYPES = frozenset({1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23})
_MAX_CONFIG_BYTES = 64


@dataclass
class DecoderConfig:
    """What an ``esds`` says; 0 / False where it says nothing."""

    object_type: int = 0
    """The objectTypeIndication: 0x40 MPEG-4 audio, 0x6B MPEG-1 audio, 0xA5 AC-3, ..."""
    audio_object_type: int = 0
    """The core audio object type: 2 AAC LC, 36 ALS, 42 USAC, ... (under SBR/PS, the core's)."""
    sample_rate_hz: int = 0
    """The decoder's output rate: with SBR, the SBR rate."""
    channels: int = 0
    sbr: bool = False
    ps: bool = False
    null_config: bool = False
    """An AudioSpecificConfig was there and names object type 0 ("null"): no decoder opens it."""


class _OutOfBits(Exception):
    """A config shorter than its own fields say: keep what was read before it."""


class _Bits:
    """Big-endian bit reader over a short byte string; reading past its end raises _OutOfBits."""

    def __init__(self, raw: bytes) -> None:
        self._value = int.from_bytes(raw, "big")
        self.left = 8 * len(raw)

    def take(self, count: int) -> int:
        if count > self.left:
            raise _OutOfBits
        self.left -= count
        return (self._value >> self.left) & ((1 << count) - 1)

    def object_type(self) -> int:
        kind = self.take(5)
        return 32 + self.take(6) if kind == 31 else kind

    def rate(self) -> int:
        index = self.take(4)
        if index == 15:
            return self.take(24)
        return _AAC_RATES[index] if index < len(_AAC_RATES) else 0


def _descriptor_length(raw: bytes, pos: int) -> tuple[int, int]:
    length = 0
    for _ in range(4):
        if pos >= len(raw):
            break
        byte = raw[pos]
        pos += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return length, pos


def read_esds(raw: bytes) -> DecoderConfig:
    """The objectTypeIndication, then the AudioSpecificConfig, of an ``esds`` payload."""
    config = DecoderConfig()
    pos = 4  # version and flags
    while pos + 2 <= len(raw):
        tag = raw[pos]
        length, pos = _descriptor_length(raw, pos + 1)
        end = min(pos + length, len(raw))
        if tag == 0x03 and pos + 3 <= end:  # ES_Descriptor: ES_ID(2), flags(1), optional fields, children
            flags = raw[pos + 2]
            pos += 3 + (2 if flags & 0x80 else 0)
            if flags & 0x40 and pos < end:
                pos += 1 + raw[pos]  # URL
            pos += 2 if flags & 0x20 else 0
        elif tag == 0x04 and pos < end:  # DecoderConfigDescriptor: 13 fixed bytes, then children
            config.object_type = raw[pos]
            pos += 13
        elif tag == 0x05:  # DecoderSpecificInfo
            with contextlib.suppress(_OutOfBits):  # a config cut short: what was read before the cut stands
                _read_audio_config(_Bits(raw[pos : min(end, pos + _MAX_CONFIG_BYTES)]), config)
            break
        else:
            pos = end
    if config.ps and config.channels == 1:
        config.channels = 2  # parametric stereo: a mono core decodes to stereo
    return config


def _read_audio_config(bits: _Bits, config: DecoderConfig) -> None:
    """Channels, output rate and object type from an AudioSpecificConfig (ISO 14496-3)."""
    kind = bits.object_type()
    config.audio_object_type = kind
    config.null_config = kind == 0
    rate = bits.rate()
    channels = bits.take(4)
    if 0 < channels < 8:
        config.channels = 8 if channels == 7 else channels
    if rate:
        config.sample_rate_hz = rate
    if kind in (5, 29):  # explicit hierarchical SBR (HE-AAC) / PS (HE-AAC v2): output rate, core type
        config.sbr, config.ps = True, kind == 29
        config.sample_rate_hz = bits.rate() or rate
        kind = config.audio_object_type = bits.object_type()
        if kind == 22:
            bits.take(4)
    if kind not in _GA_TYPES or not _skip_ga_config(bits, kind, channels):
        return
    backward_compatible = not config.sbr and bits.left >= 16 and bits.take(11) == 0x2B7
    if backward_compatible and bits.object_type() == 5 and bits.take(1):  # SBR after the AAC config
        config.sbr = True
        config.sample_rate_hz = bits.rate() or config.sample_rate_hz
        if bits.left >= 12 and bits.take(11) == 0x548:
            config.ps = bool(bits.take(1))


def _skip_ga_config(bits: _Bits, kind: int, channels: int) -> bool:
    """Step over a GASpecificConfig; False when a program_config_element follows (not read)."""
    bits.take(1)  # frameLengthFlag
    if bits.take(1):  # dependsOnCoreCoder
        bits.take(14)
    extension = bits.take(1)
    if channels == 0:
        return False
    if kind in (6, 20):
        bits.take(3)
    if extension:
        if kind == 22:
            bits.take(16)
        if kind in (17, 19, 20, 23):
            bits.take(3)
        bits.take(1)
    return True
