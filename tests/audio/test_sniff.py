"""Format detection from bytes: every accepted variant, every refused one, corrupt input."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from mimo_openai_ext import CorruptAudioError, MimoAudioError, UnsupportedAudioFormatError
from mimo_openai_ext._audio.sniff import canonical_mime
from mimo_openai_ext.audio import sniff_audio
from mimo_openai_ext.config import AUDIO_FORMATS

# (soundfile format, subtype, sample rate) -> (our format, codec)
GENERATED_ACCEPTED = [
    (("WAV", "PCM_16", 16000), ("wav", "pcm_s16le")),
    (("WAV", "PCM_24", 16000), ("wav", "pcm_s24le")),
    (("WAV", "FLOAT", 16000), ("wav", "pcm_f32le")),
    (("WAV", "ULAW", 8000), ("wav", "pcm_mulaw")),
    (("WAV", "ALAW", 8000), ("wav", "pcm_alaw")),
    (("WAV", "IMA_ADPCM", 16000), ("wav", "adpcm_ima_wav")),
    (("WAV", "MS_ADPCM", 16000), ("wav", "adpcm_ms")),
    (("WAV", "GSM610", 8000), ("wav", "gsm_ms")),
    (("WAV", "G721_32", 8000), ("wav", "adpcm_g726")),
    (("WAV", "PCM_U8", 8000), ("wav", "pcm_u8")),
    (("WAV", "PCM_32", 16000), ("wav", "pcm_s32le")),
    (("WAV", "DOUBLE", 16000), ("wav", "pcm_f64le")),
    (("WAVEX", "PCM_16", 16000), ("wav", "pcm_s16le")),
    (("WAVEX", "FLOAT", 16000), ("wav", "pcm_f32le")),
    (("RF64", "PCM_16", 16000), ("wav", "pcm_s16le")),
    (("FLAC", "PCM_16", 16000), ("flac", "flac")),
    (("FLAC", "PCM_24", 44100), ("flac", "flac")),
    (("OGG", "VORBIS", 16000), ("ogg", "vorbis")),
    (("OGG", "OPUS", 48000), ("ogg", "opus")),
    (("MP3", "MPEG_LAYER_III", 44100), ("mp3", "mp3")),  # MPEG-1
    (("MP3", "MPEG_LAYER_III", 22050), ("mp3", "mp3")),  # MPEG-2
    (("MP3", "MPEG_LAYER_III", 8000), ("mp3", "mp3")),  # MPEG-2.5
]

COMMITTED_ACCEPTED = {
    "aac_brand_m4a.m4a": ("m4a", "aac"),
    "aac_brand_isom.m4a": ("m4a", "aac"),
    "aac_brand_mp42.mp4": ("m4a", "aac"),
    "alac.m4a": ("m4a", "alac"),
    "m4a_cover_art.m4a": ("m4a", "aac"),
    "mp3_cover_art.mp3": ("mp3", "mp3"),
    "mpeg25_noid3.mp3": ("mp3", "mp3"),
    "flac.oga": ("ogg", "flac"),
    "aac_fragmented.m4a": ("m4a", "aac"),
    "aac_quicktime.mov": ("m4a", "aac"),
}

COMMITTED_REFUSED = {
    "adts.aac": "AAC in ADTS",
    "opus.webm": "WebM",
    "wma.wma": "WMA",
    "video.mp4": "video track",
    "mp2.mp2": "Layer II",
    "opus_in_mp4.mp4": "holding Opus audio",
}


@pytest.mark.parametrize(("spec", "expected"), GENERATED_ACCEPTED, ids=lambda v: "-".join(map(str, v)))
def test_generated_variants_are_recognised(
    make_audio: Callable[..., bytes], spec: tuple[str, str, int], expected: tuple[str, str]
) -> None:
    fmt, subtype, rate = spec
    data = make_audio(0.5, format=fmt, subtype=subtype, sample_rate=rate)
    found = sniff_audio(data, source_name="x")
    assert (found.format, found.codec) == expected
    assert found.mime == AUDIO_FORMATS[found.format].mime


@pytest.mark.parametrize(("name", "expected"), sorted(COMMITTED_ACCEPTED.items()))
def test_committed_variants_are_recognised(
    fixture_file: Callable[[str], Path], name: str, expected: tuple[str, str]
) -> None:
    found = sniff_audio(fixture_file(name).read_bytes(), source_name=name)
    assert (found.format, found.codec) == expected


def test_mpeg25_without_id3_is_mp3_where_filetype_is_blind(fixture_file: Callable[[str], Path]) -> None:
    import filetype

    data = fixture_file("mpeg25_noid3.mp3").read_bytes()
    assert data[:2] == b"\xff\xe3"  # MPEG-2.5 sync, no ID3 tag
    assert filetype.guess(data) is None  # the blind spot this library covers
    found = sniff_audio(data, source_name="clip.mp3")
    assert found.mime == "audio/mpeg"
    assert "MPEG-2.5" in found.description


@pytest.mark.parametrize("name", ["aac_brand_isom.m4a", "aac_brand_mp42.mp4"])
def test_audio_only_mp4_brands_are_m4a_where_filetype_says_video(
    fixture_file: Callable[[str], Path], name: str
) -> None:
    import filetype

    data = fixture_file(name).read_bytes()
    assert filetype.guess_mime(data) == "video/mp4"
    assert sniff_audio(data, source_name=name).mime == "audio/mp4"


def test_rf64_is_wav(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(0.2, format="RF64")
    assert data[:4] == b"RF64"
    assert sniff_audio(data, source_name="x").mime == "audio/wav"


def test_wav_named_mp3_is_wav(write_audio: Callable[..., Path]) -> None:
    path = write_audio("song.mp3", 0.2, format="WAV")
    assert sniff_audio(path.read_bytes(), source_name=path.name).format == "wav"


@pytest.mark.parametrize(("name", "needle"), sorted(COMMITTED_REFUSED.items()))
def test_committed_refused_formats(fixture_file: Callable[[str], Path], name: str, needle: str) -> None:
    with pytest.raises(UnsupportedAudioFormatError) as info:
        sniff_audio(fixture_file(name).read_bytes(), source_name=name)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert needle in message
    assert "mp3, flac, m4a, ogg" in message.replace("wav, ", "")  # the accepted list
    assert "convert=True" in message
    assert f"mimo-audio fit {name}" in message
    assert info.value.source_name == name
    assert info.value.allowed == tuple(AUDIO_FORMATS)


@pytest.mark.parametrize(
    ("fmt", "needle"), [("AIFF", "AIFF"), ("CAF", "CAF"), ("W64", "Wave64")], ids=["aiff", "caf", "w64"]
)
def test_generated_refused_formats(make_audio: Callable[..., bytes], fmt: str, needle: str) -> None:
    with pytest.raises(UnsupportedAudioFormatError, match=needle):
        sniff_audio(make_audio(0.2, format=fmt), source_name="<bytes>")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(40)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (PNG, "image"),
        (JPEG, "image"),
        (PDF, "application/pdf"),
        (b"Hello, this is a transcript, not audio.\n" * 5, "text"),
        (b"<!DOCTYPE html><html><body>404 Not Found</body></html>" * 3, "HTML page"),
        (b'{"error": {"code": "404"}}' + b" " * 80, "JSON"),
        (b"RIFF\x24\x00\x00\x00AVI LIST" + bytes(100), "AVI"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x86\x81\x01matroska" + bytes(80), "Matroska"),
        (b"OggS\x00\x02" + bytes(20) + b"\x01\x1e" + b"\x80theora" + bytes(60), "Theora"),
    ],
    ids=["png", "jpeg", "pdf", "text", "html", "json", "avi", "mkv", "theora"],
)
def test_non_audio_is_refused_by_name(data: bytes, needle: str) -> None:
    with pytest.raises(UnsupportedAudioFormatError, match=needle) as info:
        sniff_audio(data, source_name="<bytes>")
    assert str(info.value).startswith("<bytes>: ")


def test_wav_holding_a_refused_codec() -> None:
    import struct

    fmt = struct.pack("<HHIIHH", 0x0161, 1, 16000, 2000, 1, 16)
    data = b"RIFF" + struct.pack("<I", 36 + 8) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
    data += b"data" + struct.pack("<I", 8) + bytes(8)
    with pytest.raises(UnsupportedAudioFormatError, match="WAV holding WMA"):
        sniff_audio(data, source_name="odd.wav")


def _random(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"RIFF", "too short"),
        (b"RIFF\x00\x00\x00\x00WAVE", "fmt"),
        (b"ID3\x03\x00\x00\x00\x00\x10\x00" + bytes(20), "ID3"),
        (_random(4096, 1), "not recognisable"),
        (_random(100_000, 2), "not recognisable"),
        (b"\xff\xfb\x90\x00" + bytes(40), "too short"),  # one lone MP3 header, then nothing
    ],
    ids=["empty", "riff4", "riff-no-fmt", "id3-only", "random4k", "random100k", "lone-header"],
)
def test_corrupt_bytes(data: bytes, needle: str) -> None:
    with pytest.raises(CorruptAudioError, match=needle) as info:
        sniff_audio(data, source_name="<bytes>")
    assert str(info.value).startswith("<bytes>: ")


@pytest.mark.parametrize("seed", range(40))
def test_random_bytes_never_escape_as_a_foreign_exception(seed: int) -> None:
    data = _random(random.Random(seed).randrange(1, 3000), seed)
    with pytest.raises(MimoAudioError):
        sniff_audio(data, source_name="<bytes>")


def test_truncated_wav_payload(make_audio: Callable[..., bytes]) -> None:
    data = make_audio(1.0, format="WAV")
    with pytest.raises(CorruptAudioError, match="truncated"):
        sniff_audio(data[: len(data) // 2], source_name="cut.wav")


def test_wav_with_streaming_placeholder_size_is_accepted(make_audio: Callable[..., bytes]) -> None:
    data = bytearray(make_audio(0.5, format="WAV"))
    data[40:44] = b"\xff\xff\xff\xff"  # recorders write this while still recording
    assert sniff_audio(bytes(data), source_name="live.wav").format == "wav"


def test_truncated_m4a(fixture_file: Callable[[str], Path]) -> None:
    data = fixture_file("aac_brand_m4a.m4a").read_bytes()
    with pytest.raises(CorruptAudioError):
        sniff_audio(data[: len(data) // 2], source_name="cut.m4a")


@pytest.mark.parametrize(
    ("mime", "fmt"),
    [
        ("audio/x-wav", "wav"),
        ("audio/wav", "wav"),
        ("audio/x-flac", "flac"),
        ("audio/mp3", "mp3"),
        ("audio/x-m4a", "m4a"),
        ("AUDIO/OGG; codecs=opus", "ogg"),
        ("audio/aiff", None),
        ("text/plain", None),
    ],
)
def test_canonical_mime(mime: str, fmt: str | None) -> None:
    assert canonical_mime(mime) == fmt


def test_quicktime_without_ftyp_is_m4a(fixture_file: Callable[[str], Path]) -> None:
    import struct

    data = fixture_file("aac_quicktime.mov").read_bytes()
    (ftyp_size,) = struct.unpack_from(">I", data, 0)
    headless = data[ftyp_size:]  # old QuickTime files start with 'wide'/'mdat'/'moov'
    assert headless[4:8] in (b"wide", b"mdat", b"moov", b"free")
    found = sniff_audio(headless, source_name="old.mov")
    assert (found.format, found.codec) == ("m4a", "aac")


def test_mp3_after_zero_padding(make_audio: Callable[..., bytes]) -> None:
    found = sniff_audio(bytes(1000) + make_audio(0.5, format="MP3"), source_name="padded.mp3")
    assert (found.format, found.audio_offset) == ("mp3", 1000)
    with pytest.raises(CorruptAudioError, match="not recognisable"):
        sniff_audio(bytes(5000), source_name="zeros.bin")


def _box(kind: bytes, *children: bytes, payload: bytes = b"") -> bytes:
    import struct

    body = payload + b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _track(handler: bytes, codec: bytes) -> bytes:
    hdlr = _box(b"hdlr", payload=bytes(8) + handler + bytes(12))
    stsd = _box(b"stsd", payload=bytes(4) + b"\x00\x00\x00\x01" + _box(codec, payload=bytes(28)))
    mdhd = _box(b"mdhd", payload=bytes(12) + (8000).to_bytes(4, "big") + (4000).to_bytes(4, "big") + bytes(4))
    return _box(b"trak", _box(b"mdia", mdhd, hdlr, _box(b"minf", _box(b"stbl", stsd))))


def _mp4(*tracks: bytes, brand: bytes = b"M4A ") -> bytes:
    ftyp = _box(b"ftyp", payload=brand + bytes(4) + brand + b"isom")
    mvhd = _box(b"mvhd", payload=bytes(12) + (1000).to_bytes(4, "big") + (500).to_bytes(4, "big") + bytes(80))
    return ftyp + _box(b"moov", mvhd, *tracks) + _box(b"mdat", payload=bytes(64))


def test_synthetic_mp4_track_rules() -> None:
    audio = _track(b"soun", b"mp4a")
    assert sniff_audio(_mp4(audio), source_name="a.m4a").format == "m4a"
    # Chapter images ride in a 'vide' track of JPEGs: that is cover art, not video.
    assert sniff_audio(_mp4(audio, _track(b"vide", b"jpeg")), source_name="b.m4a").format == "m4a"
    with pytest.raises(UnsupportedAudioFormatError, match=r"video track \(hvc1\)"):
        sniff_audio(_mp4(audio, _track(b"vide", b"hvc1"), brand=b"mp42"), source_name="c.mp4")
    with pytest.raises(UnsupportedAudioFormatError, match="without an audio track"):
        sniff_audio(_mp4(_track(b"text", b"tx3g")), source_name="d.m4a")
    with pytest.raises(UnsupportedAudioFormatError, match="holding AMR-NB audio"):
        sniff_audio(_mp4(_track(b"soun", b"samr"), brand=b"3gp4"), source_name="e.3gp")
    with pytest.raises(CorruptAudioError, match="without a 'moov'"):
        sniff_audio(
            _box(b"ftyp", payload=b"M4A " + bytes(4)) + _box(b"mdat", payload=bytes(64)), source_name="f"
        )


@pytest.mark.parametrize(
    ("data", "advice"),
    [
        (b"", "is empty (0 bytes): check that the file was fully written or downloaded"),
        (
            _random(4096, 3),
            "check that the file was fully written or downloaded, or re-export it from its "
            "source as wav/mp3/flac/m4a/ogg",
        ),
        (b"\x01" * 20, "too short to be audio: check that the file was fully written or downloaded"),
    ],
    ids=["empty", "random", "short"],
)
def test_corrupt_bytes_say_what_to_do(data: bytes, advice: str) -> None:
    with pytest.raises(CorruptAudioError) as caught:
        sniff_audio(data, source_name="x.wav")
    assert str(caught.value).startswith("x.wav: ")
    assert advice in str(caught.value)
