"""Real formats MiMo does not take are named, with the way out; "corrupt" is kept for damage."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from _audio import tone
from _formats import REFUSED, headerless_pcm, id3, wav

from mimo_openai_ext import CorruptAudioError, UnsupportedAudioFormatError
from mimo_openai_ext._audio.stream import decoder_reason
from mimo_openai_ext.audio import fit_audio, probe_bytes, sniff_audio


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_each_named_format_is_refused_by_name(name: str) -> None:
    data, needle, convertible = REFUSED[name]
    with pytest.raises(UnsupportedAudioFormatError) as caught:
        sniff_audio(data, source_name="x.bin")
    message = str(caught.value)
    assert message.startswith("x.bin: ")
    assert needle in message
    assert caught.value.convertible is convertible
    assert ("convert=True" in message) is convertible
    assert "re-download" not in message
    assert "fully written or downloaded" not in message  # the corrupt advice is for damage only


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("ac3.ac3", "AC-3 (Dolby Digital)"),
        ("eac3.eac3", "E-AC-3 (Dolby Digital Plus)"),
        ("wavpack.wv", "WavPack"),
        ("tta.tta", "True Audio (TTA)"),
        ("mp3_in_mp4.mp4", "MP4 (brand 'isom') holding MP3 (MPEG-2 Layer III) audio"),
    ],
)
def test_committed_refused_files_are_named_and_convert(
    fixture_file: Callable[[str], Path], name: str, found: str
) -> None:
    path = fixture_file(name)
    with pytest.raises(UnsupportedAudioFormatError) as caught:
        sniff_audio(path.read_bytes(), source_name=name)
    assert caught.value.found == found
    assert caught.value.convertible
    fitted = fit_audio(path)  # the conversion the message offers works (PyAV decodes it)
    assert fitted.info.format in ("flac", "mp3")
    assert abs(fitted.info.duration_s - 0.6) < 0.05


def test_tta_behind_an_id3_tag_converts(fixture_file: Callable[[str], Path]) -> None:
    data = id3(200) + fixture_file("tta.tta").read_bytes()
    with pytest.raises(UnsupportedAudioFormatError, match="behind an ID3 tag"):
        sniff_audio(data, source_name="t.tta")
    assert abs(fit_audio(data, name="t.tta").info.duration_s - 0.6) < 0.05


def test_wavpack_behind_an_id3_tag_says_how_to_get_out(fixture_file: Callable[[str], Path]) -> None:
    # ffmpeg's WavPack reader does not skip a leading ID3 tag, so conversion is not offered.
    import av

    data = id3(200) + fixture_file("wavpack.wv").read_bytes()
    with pytest.raises(av.error.InvalidDataError):
        av.open(io.BytesIO(data))
    with pytest.raises(UnsupportedAudioFormatError, match="strip the leading ID3 tag") as caught:
        sniff_audio(data, source_name="w.wv")
    assert not caught.value.convertible


# --- headerless PCM is not an icon or a font ----------------------------------------------------


@pytest.mark.parametrize("dtype", ["<i2", ">i2"])
def test_headerless_pcm_is_named_not_called_an_image(dtype: str) -> None:
    import filetype

    data = headerless_pcm(dtype, seconds=0.5)
    with pytest.raises(UnsupportedAudioFormatError) as caught:
        sniff_audio(data, source_name="raw.pcm")
    message = str(caught.value)
    assert "headerless (raw)" in message
    assert f"dtype='{dtype}'" in message
    assert ".ico" not in message
    assert "image" not in message
    assert "font" not in message
    quiet = (tone(0.5, 16000, freq_hz=50, amplitude=51 / 32767)[:, 0] * 32767).astype("<i2").tobytes()
    assert quiet[:4] == b"\x00\x00\x01\x00"  # what filetype calls an icon ...
    assert filetype.guess_mime(quiet) == "image/x-icon"
    with pytest.raises(UnsupportedAudioFormatError, match="headerless") as caught:  # ... we do not
        sniff_audio(quiet, source_name="raw.pcm")


def test_real_icons_are_still_images() -> None:
    icon = (
        b"\x00\x00\x01\x00\x01\x00"
        + bytes([16, 16, 0, 0])
        + b"\x01\x00\x20\x00"
        + (1128).to_bytes(4, "little")
    )
    icon += (22).to_bytes(4, "little") + bytes(1128)
    with pytest.raises(UnsupportedAudioFormatError, match=r"not audio") as caught:
        sniff_audio(icon, source_name="favicon.ico")
    assert "image/x-icon" in str(caught.value)


# --- WAV: accept what decoders read, name the rest ------------------------------------------


@pytest.mark.parametrize(
    ("bits", "channels", "codec"),
    [
        (8, 1, "pcm_u8"),
        (16, 2, "pcm_s16le"),
        (24, 1, "pcm_s24le"),
        (32, 1, "pcm_s32le"),
        (12, 1, "pcm_s16le"),
    ],
)
def test_integer_pcm_wav_codecs(bits: int, channels: int, codec: str) -> None:
    data = wav(bits=bits, channels=channels)
    if bits == 12:  # 12-bit samples padded to 16: the container decides
        data = data[:32] + (2).to_bytes(2, "little") + (12).to_bytes(2, "little") + data[36:]
    assert sniff_audio(data, source_name="x.wav").codec == codec


def test_riff_big_endian_wav_written_by_libsndfile_is_refused_and_converts() -> None:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, tone(0.5, 8000), 8000, format="WAV", subtype="FLOAT", endian="BIG")
    data = buffer.getvalue()
    assert data[:4] == b"RIFX"
    with pytest.raises(UnsupportedAudioFormatError, match=r"RIFX, pcm_f32be\)") as caught:
        sniff_audio(data, source_name="be.wav")
    assert "little-endian" in str(caught.value)
    assert abs(fit_audio(data, name="be.wav").info.duration_s - 0.5) < 0.01


def test_64_bit_integer_pcm_is_refused_and_converts() -> None:
    import numpy as np

    samples = (tone(0.5, 8000)[:, 0] * 2**62).astype("<i8").tobytes()
    data = wav(bits=64, payload=samples)
    with pytest.raises(UnsupportedAudioFormatError, match="64-bit integer PCM") as caught:
        probe_bytes(data, source_name="s64.wav")
    assert "damaged" not in str(caught.value)
    fitted = fit_audio(data, name="s64.wav")  # PyAV decodes pcm_s64le
    assert abs(fitted.info.duration_s - 0.5) < 0.01
    assert np.isfinite(fitted.info.duration_s)


@pytest.mark.parametrize("bits", [0, 7, 40, 65535])
def test_impossible_bit_depths_are_damage(bits: int) -> None:
    with pytest.raises(CorruptAudioError, match=f"{bits}-bit samples"):
        sniff_audio(wav(bits=bits), source_name="x.wav")


def test_mp3_inside_wav_is_timed_by_its_frames_and_damage_says_no_libsndfile_words(
    make_audio: Callable[..., bytes],
) -> None:
    mp3 = make_audio(1.0, format="MP3", sample_rate=44100)
    info_mp3 = probe_bytes(mp3, source_name="a.mp3")
    data = wav(tag=0x55, bits=0, rate=44100, payload=mp3)
    info = probe_bytes(data, source_name="a.wav")
    assert (info.format, info.codec) == ("wav", "mp3")
    assert info.duration_s == pytest.approx(info_mp3.duration_s)
    damaged = wav(tag=0x55, bits=0, rate=44100, payload=bytes(len(mp3)))
    with pytest.raises(CorruptAudioError) as caught:
        probe_bytes(damaged, source_name="d.wav")
    assert "does not exist" not in str(caught.value)
    assert "no MPEG audio frames" in str(caught.value)


# --- Opus decodes at 48 kHz -------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_ogg_opus_reports_48_khz(make_audio: Callable[..., bytes], rate: int) -> None:
    info = probe_bytes(make_audio(1.0, format="OGG", subtype="OPUS", sample_rate=rate), source_name="o.opus")
    assert info.sample_rate_hz == 48000
    assert abs(info.duration_s - 1.0) < 0.05


@pytest.mark.parametrize("fmt", ["WAV", "OGG"])
def test_accepted_containers_behind_an_id3_tag_are_refused_and_convert(
    make_audio: Callable[..., bytes], fmt: str
) -> None:
    data = id3(64) + make_audio(0.5, format=fmt)
    with pytest.raises(
        UnsupportedAudioFormatError, match=f"{'WAV' if fmt == 'WAV' else 'Ogg'} behind an ID3 tag"
    ):
        sniff_audio(data, source_name="tagged")
    if fmt == "WAV":  # libsndfile reads past the tag
        assert abs(fit_audio(data, name="tagged.wav").info.duration_s - 0.5) < 0.01


def test_a_wav_whose_form_type_is_damaged_is_corrupt_not_foreign(make_audio: Callable[..., bytes]) -> None:
    data = bytearray(make_audio(0.5))
    data[8:12] = b"WAVF"
    with pytest.raises(CorruptAudioError, match="WAV whose header is damaged"):
        sniff_audio(bytes(data), source_name="x.wav")


def test_libsndfiles_misleading_words_are_translated() -> None:
    raw = (
        "Error opening <_io.BufferedReader object at 0x7f>: "
        "File does not exist or is not a regular file (possibly a pipe?)."
    )
    assert decoder_reason(RuntimeError(raw)) == "its audio data cannot be decoded"
    assert (
        decoder_reason(RuntimeError("Error opening <x>: Format not recognised.")) == "Format not recognised."
    )
