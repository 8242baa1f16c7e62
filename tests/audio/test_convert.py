"""convert_audio / encode_array: refused formats become FLAC, arrays become FLAC, losslessly."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mimo_openai_ext import (
    CorruptAudioError,
    InvalidAudioSourceError,
    MimoAudioError,
    MissingExtraError,
    UnsupportedAudioFormatError,
)
from mimo_openai_ext._audio.convert import convert_audio, encode_array
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._parts import input_audio_part


def _decoded(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = sf.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return samples, rate


@pytest.mark.parametrize(("fmt", "channels"), [("AIFF", 1), ("AIFF", 2), ("CAF", 2)])
def test_aiff_and_caf_convert_to_lossless_flac(
    make_audio: Callable[..., bytes], fmt: str, channels: int
) -> None:
    original = make_audio(1.5, format=fmt, sample_rate=22050, channels=channels)
    data, info = convert_audio(original, source_name=f"x.{fmt.lower()}")
    assert data[:4] == b"fLaC"
    assert (info.format, info.mime, info.channels, info.sample_rate_hz) == (
        "flac",
        "audio/flac",
        channels,
        22050,
    )
    assert info.duration_s == pytest.approx(1.5, abs=1e-4)
    before, _ = _decoded(original)
    after, rate = _decoded(data)
    assert rate == 22050
    assert np.array_equal(before, after)  # lossless


def test_24_bit_source_stays_24_bit(make_audio: Callable[..., bytes]) -> None:
    original = make_audio(0.5, format="AIFF", subtype="PCM_24", sample_rate=48000)
    data, _ = convert_audio(original, source_name="hi.aiff")
    assert sf.info(io.BytesIO(data)).subtype == "PCM_24"


def test_accepted_audio_is_returned_unchanged(make_audio: Callable[..., bytes]) -> None:
    wav = make_audio(0.5)
    data, info = convert_audio(wav, source_name="a.wav")
    assert data is wav
    assert info.format == "wav"


@pytest.mark.parametrize(
    ("name", "duration_s"),
    [("adts.aac", 0.6), ("opus.webm", 0.6), ("wma.wma", 0.6), ("video.mp4", 0.6), ("amr_nb.amr", 1.0)],
)
def test_pyav_formats_convert(fixture_file: Callable[[str], Path], name: str, duration_s: float) -> None:
    data, info = convert_audio(fixture_file(name).read_bytes(), source_name=name)
    assert info.format == "flac"
    assert info.source_name == name
    assert info.duration_s == pytest.approx(duration_s, abs=0.2)  # ADTS keeps AAC priming and padding
    samples, _ = _decoded(data)
    assert np.abs(samples).max() > 1000  # the tone survived, not silence


def test_an_install_without_pyav_is_told_how_to_repair_it(
    fixture_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyAV is a core dependency: only an install made with --no-deps (or av removed
    # afterwards) lacks it. The hint names the package itself, not an extra.
    monkeypatch.setitem(sys.modules, "av", None)  # what `import av` sees when it is not installed
    hint = r"clip\.aac: AAC in ADTS.*a dependency of mimo-openai-ext.*pip install 'av>=12'"
    with pytest.raises(MissingExtraError, match=hint) as info:
        convert_audio(fixture_file("adts.aac").read_bytes(), source_name="clip.aac")
    assert "[convert]" not in str(info.value)


def test_libsndfile_formats_need_no_extra(
    make_audio: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    data, _ = convert_audio(make_audio(0.3, format="AIFF"), source_name="a.aiff")
    assert data[:4] == b"fLaC"


def test_not_audio_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedAudioFormatError, match=r"notes\.txt: .*text"):
        convert_audio(b"hello, these are my meeting notes\n" * 20, source_name="notes.txt")
    with pytest.raises(CorruptAudioError, match="empty"):
        convert_audio(b"", source_name="empty.aiff")


def test_input_audio_part_convert_true(write_audio: Callable[..., Path]) -> None:
    path = write_audio("voice.aiff", 0.5, format="AIFF")
    with pytest.raises(UnsupportedAudioFormatError):
        input_audio_part(path)
    part = input_audio_part(path, convert=True)
    assert part["input_audio"]["data"].startswith("data:audio/flac;base64,")


# --- arrays ------------------------------------------------------------------------


def test_mono_float_array() -> None:
    t = np.arange(16000) / 16000
    data, info = encode_array((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sample_rate=16000)
    assert (info.format, info.channels, info.sample_rate_hz, info.source_name) == (
        "flac",
        1,
        16000,
        "<array>",
    )
    assert info.duration_s == pytest.approx(1.0)
    back, _ = sf.read(io.BytesIO(data), dtype="float32")
    assert np.abs(back - 0.5 * np.sin(2 * np.pi * 440 * t)).max() < 1e-6  # 24-bit


def test_int16_stereo_is_bit_exact() -> None:
    rng = np.random.default_rng(0)
    samples = rng.integers(-32768, 32767, size=(4410, 2), dtype=np.int16)
    data, info = encode_array(samples, sample_rate=44100, source_name="mic")
    assert (info.channels, info.sample_rate_hz, info.source_name) == (2, 44100, "mic")
    back, _ = _decoded(data)
    assert np.array_equal(back, samples)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_8_bit_arrays(dtype: type) -> None:
    samples = np.array([0, 50, 100, 127], dtype=dtype)
    data, _ = encode_array(samples, sample_rate=8000)
    back, _ = _decoded(data)
    expected = samples.astype(np.int16) * 256 if dtype is np.int8 else (samples.astype(np.int16) - 128) * 256
    assert np.array_equal(back[:, 0], expected)


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((2, 16000), dtype=np.float32), r"channels-first: pass array\.T"),
        (np.zeros((10, 2, 2)), r"\(frames,\) for mono or \(frames, channels\)"),
        (np.zeros(0, dtype=np.float32), "no samples"),
        (np.array([0.0, 1.5]), r"\[-1\.0, 1\.0\], the peak is 1\.5"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.zeros(10, dtype=bool), "bool samples"),
        (np.zeros(10, dtype=np.int64), "int64 samples"),
        (np.zeros(10, dtype=np.complex64), "complex64"),
        ("not audio", "expected a NumPy array"),
    ],
)
def test_bad_arrays_are_explained(array: np.ndarray, match: str) -> None:
    with pytest.raises(InvalidAudioSourceError, match=match) as caught:
        encode_array(array, sample_rate=16000, source_name="mic")
    assert isinstance(caught.value, MimoAudioError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.source_name == "mic"
    assert str(caught.value).startswith("mic: ")


@pytest.mark.parametrize("rate", [16000.0, True, 0, 10**6])
def test_bad_sample_rates(rate: object) -> None:
    with pytest.raises(InvalidAudioSourceError, match="sample_rate"):
        encode_array(np.zeros(100, dtype=np.float32), sample_rate=rate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("array", "match"),
    [(np.zeros((2, 16000), dtype=np.float32), "channels-first"), (np.array([0.0, np.nan]), "NaN")],
)
def test_input_audio_part_array_errors_are_in_the_tree(array: np.ndarray, match: str) -> None:
    with pytest.raises(MimoAudioError, match=match):
        input_audio_part(array, sample_rate=16000)


def test_input_audio_part_takes_arrays() -> None:
    part = input_audio_part(np.zeros(1600, dtype=np.float32), sample_rate=16000)
    uri = part["input_audio"]["data"]
    assert uri.startswith("data:audio/flac;base64,")
    import base64

    info = probe_bytes(base64.b64decode(uri.split(",", 1)[1]), source_name="x")
    assert info.duration_s == pytest.approx(0.1)
