"""fit_audio: keep, FLAC, mono 16 kHz, MP3, or a clear error; duration kept; MiMo accepts it."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from _audio import speechlike
from _formats import REFUSED, id3
from _readme import python_blocks

from mimo_openai_ext import DEFAULT_LIMITS, AudioTooLargeError, InvalidOptionError, MimoAudioError
from mimo_openai_ext._audio.convert import Encoding, sampled_size, transcode
from mimo_openai_ext._audio.decode import open_audio
from mimo_openai_ext._audio.fit import FittedAudio, fit_audio
from mimo_openai_ext._parts import text_part

RATE = 44100


@pytest.fixture(scope="module")
def six_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "six-minutes.wav"
    sf.write(path, speechlike(360.0), RATE, subtype="PCM_16")
    return path


def test_six_minute_cd_quality_wav_fits_and_mimo_hears_all_of_it(
    six_minutes: Path, mimo_emulator: Any
) -> None:
    assert six_minutes.stat().st_size > 60_000_000  # over MiMo's 50 M-character data URI limit
    fitted = fit_audio(six_minutes)
    assert fitted.changed
    assert fitted.original.size_bytes == six_minutes.stat().st_size
    assert (fitted.original.sample_rate_hz, fitted.original.channels) == (RATE, 2)
    assert fitted.info.data_uri_chars <= 50_000_000
    assert fitted.info.duration_s == pytest.approx(360.0, rel=0.005)
    assert fitted.info.format in ("flac", "mp3")
    with mimo_emulator.client() as client:
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash",
            messages=[{"role": "user", "content": [fitted.part, text_part("What is said?")]}],
        )
    assert completion.usage.prompt_tokens_details.audio_tokens == math.ceil(360 * 6.25)


def test_mono_16k_step_keeps_the_exact_duration(six_minutes: Path) -> None:
    fitted = fit_audio(six_minutes)
    assert fitted.steps == ("FLAC 16-bit, mono, 16000 Hz",)
    assert (fitted.info.channels, fitted.info.sample_rate_hz) == (1, 16000)
    assert fitted.info.duration_s == pytest.approx(360.0, abs=1 / 16000)


def test_audio_that_fits_is_kept_byte_for_byte(write_audio: Callable[..., Path]) -> None:
    path = write_audio("small.wav", 2.0)
    fitted = fit_audio(path)
    assert fitted.steps == ("kept as is",)
    assert not fitted.changed
    assert fitted.data == path.read_bytes()
    assert fitted.part["input_audio"]["data"].startswith("data:audio/wav;base64,")


def test_lossless_flac_is_tried_before_downmixing(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    sf.write(path, speechlike(20.0), RATE, subtype="PCM_16")
    flac = fit_audio(path, max_bytes=int(path.stat().st_size * 0.9))
    assert flac.steps == ("FLAC 16-bit, 2 channels, 44100 Hz",)
    original, _ = sf.read(path, dtype="int16")
    back, _ = sf.read(io.BytesIO(flac.data), dtype="int16")
    assert np.array_equal(original, back)


def test_mp3_when_lossless_cannot_fit(tmp_path: Path) -> None:
    path = tmp_path / "minute.wav"
    sf.write(path, speechlike(60.0), RATE, subtype="PCM_16")
    fitted = fit_audio(path, max_bytes=400_000)
    assert fitted.info.format == "mp3"
    assert fitted.size_bytes <= 400_000
    assert fitted.steps[0].startswith("MP3 ")
    assert "mono, 16000 Hz" in fitted.steps[0]
    assert fitted.info.duration_s == pytest.approx(60.0, rel=0.005)


def test_keep_quality_keeps_stereo_and_rate(tmp_path: Path) -> None:
    path = tmp_path / "music.wav"
    sf.write(path, speechlike(30.0), RATE, subtype="PCM_16")
    fitted = fit_audio(path, max_bytes=1_000_000, keep_quality=True)
    assert fitted.info.format == "mp3"
    assert (fitted.info.channels, fitted.info.sample_rate_hz) == (2, RATE)
    kbps = int(fitted.steps[0].split()[1])
    assert 128 <= kbps <= 320
    assert fitted.info.duration_s == pytest.approx(30.0, rel=0.005)


def test_too_long_to_fit_points_at_splitting(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, speechlike(60.0), RATE, subtype="PCM_16")
    with pytest.raises(
        AudioTooLargeError, match=r"long\.wav: 1\.0 minutes.*split_audio\(\).*mimo-audio split"
    ):
        fit_audio(path, max_bytes=20_000)


def test_asr_model_gets_wav_or_mp3_under_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "speech.flac"
    sf.write(path, speechlike(30.0, channels=1), RATE, format="FLAC", subtype="PCM_16")
    fitted = fit_audio(path, model="mimo-v2.5-asr")
    assert fitted.info.format in ("wav", "mp3")
    assert fitted.info.data_uri_chars <= 10_000_000
    assert fitted.info.duration_s == pytest.approx(30.0, rel=0.005)


def test_refused_formats_are_converted(
    write_audio: Callable[..., Path], fixture_file: Callable[[str], Path]
) -> None:
    aiff = fit_audio(write_audio("voice.aiff", 1.0, format="AIFF"))
    assert (aiff.original.format, aiff.info.format) == ("aiff", "flac")
    aac = fit_audio(fixture_file("adts.aac"))
    assert aac.original.format == "aac"
    assert aac.info.format == "flac"


def test_progress_is_reported(six_minutes: Path) -> None:
    seen: list[tuple[float, float]] = []
    fit_audio(six_minutes, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == pytest.approx((360.0, 360.0))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (100, r"max_bytes=100 is out of range: use 1,024 to 100,000,000 bytes"),
        (100_000_001, r"out of range.*sent by URL"),
        (1.5e6, "max_bytes must be an int"),
        (True, "max_bytes must be an int"),
    ],
)
def test_bad_max_bytes(write_audio: Callable[..., Path], value: object, match: str) -> None:
    with pytest.raises(InvalidOptionError, match=match) as caught:
        fit_audio(write_audio("a.wav"), max_bytes=value)  # type: ignore[arg-type]
    assert isinstance(caught.value, MimoAudioError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.option == "max_bytes"


def test_max_bytes_may_go_up_to_the_url_limit(write_audio: Callable[..., Path]) -> None:
    fitted = fit_audio(write_audio("a.wav"), max_bytes=DEFAULT_LIMITS.max_url_file_bytes)
    assert fitted.steps == ("kept as is",)


def test_fitted_audio_repr_hides_the_bytes(write_audio: Callable[..., Path]) -> None:
    fitted: FittedAudio = fit_audio(write_audio("a.wav"))
    assert "data=" not in repr(fitted)
    assert "kept as is" in repr(fitted)


def test_readme_section_runs(emulator_env: Path, mimo_emulator: Any) -> None:
    code = python_blocks("Long and awkward audio")[0]
    sf.write(emulator_env / "meeting.wav", np.tile(speechlike(10.0, rate=16000, channels=1), (130, 1)), 16000)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md: long audio", "exec"), namespace)
    namespace["client"].close()
    assert len(namespace["result"].chunks) == 3
    assert len(mimo_emulator.request_log) == 4


def test_file_objects_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    sf.write(path, speechlike(5.0), RATE, subtype="PCM_16")
    with path.open("rb") as fh:
        from_file = fit_audio(fh, max_bytes=300_000)
    from_bytes = fit_audio(path.read_bytes(), max_bytes=300_000)
    assert from_file.data == from_bytes.data
    assert (from_file.info.source_name, from_bytes.info.source_name) == ("x.wav", "<bytes>")


def test_a_step_estimated_over_the_budget_is_not_tried(tmp_path: Path) -> None:
    # Loud noise where the size estimate samples (mid-eighths), a faint tone elsewhere:
    # the stereo FLAC estimate is far above the real size. Set the budget 5% under the
    # estimate: stereo FLAC would fit, but an encode the estimate says is over the budget
    # is not tried (an aborted one costs a whole pass), so mono 16 kHz FLAC is what runs.
    rate, frames = 16000, 16000 * 128  # estimates are made from 120 s on
    rng = np.random.default_rng(0)
    audio = np.repeat(0.01 * np.sin(2 * np.pi * 220 * np.arange(frames) / rate)[:, None], 2, axis=1)
    for middle in range(frames // 16, frames, frames // 8):
        audio[middle - 2 * rate : middle + 2 * rate] += 0.3 * rng.standard_normal((4 * rate, 2))
    path = tmp_path / "uneven.wav"
    sf.write(path, audio, rate, subtype="PCM_16")
    stereo = Encoding("flac", rate, 2)
    with open_audio(path) as stream:
        estimate = sampled_size(stream, stereo)
        real_size = len(transcode(stream, stereo))
    budget = int(estimate / 1.05)
    assert real_size < budget < path.stat().st_size  # stereo FLAC would fit; the WAV does not
    fitted = fit_audio(path, max_bytes=budget)
    assert fitted.steps == ("FLAC 16-bit, mono, 16000 Hz",)
    assert fitted.info.duration_s == pytest.approx(128.0, abs=1 / rate)


@pytest.mark.parametrize("container", ["mp3", "flac"])
def test_an_encoder_stops_as_soon_as_its_budget_is_passed(tmp_path: Path, container: str) -> None:
    from mimo_openai_ext._audio.convert import OverBudgetError

    path = tmp_path / "minute.wav"
    sf.write(path, speechlike(60.0), RATE, subtype="PCM_16")
    enc = Encoding("mp3", 16000, 1, "MPEG_LAYER_III", 64) if container == "mp3" else Encoding("flac", RATE, 2)
    with open_audio(path) as stream, pytest.raises(OverBudgetError) as caught:
        transcode(stream, enc, limit_bytes=50_000)
    assert caught.value.done_s < 10.0  # stopped within a block or two of passing 50 kB, not at 60 s
    assert caught.value.size_bytes > 50_000


def test_mp3_is_constant_bitrate_lame_at_the_rate_asked(tmp_path: Path) -> None:
    path = tmp_path / "ten.wav"
    sf.write(path, speechlike(10.0), RATE, subtype="PCM_16")
    with open_audio(path) as stream:
        data = transcode(stream, Encoding("mp3", 22050, 2, "MPEG_LAYER_III", 96))
    info = sf.info(io.BytesIO(data))
    assert (info.samplerate, info.channels) == (22050, 2)  # LAME is told not to pick its own rate
    assert len(data) == pytest.approx(10.0 * 96_000 / 8, rel=0.03)  # 96 kbps, constant


@pytest.mark.parametrize("as_path", [True, False])
def test_raw_ac3_behind_an_id3_tag_is_fitted_like_the_bare_stream(
    fixture_file: Callable[[str], Path], tmp_path: Path, as_path: bool
) -> None:
    # probe's refusal says "convert it with mimo-audio fit": fit must then work (ffmpeg does)
    bare = fixture_file("ac3.ac3").read_bytes()
    tagged = id3(300) + id3(40) + bare
    source: Path | bytes = tagged
    if as_path:
        source = tmp_path / "tagged.ac3"
        source.write_bytes(tagged)
    fitted = fit_audio(source)
    expected = fit_audio(bare)
    assert fitted.info.format == "flac"
    assert fitted.info.duration_s == pytest.approx(expected.info.duration_s)
    assert fitted.data == expected.data


def test_fit_formats_lists_what_fit_could_write_and_refuses_the_hopeless(
    tmp_path: Path, write_audio: Callable[..., Path]
) -> None:
    from mimo_openai_ext import UnsupportedAudioFormatError
    from mimo_openai_ext._audio.fit import fit_formats

    wav, aiff = write_audio("a.wav", 0.5), write_audio("a.aiff", 0.5, format="AIFF")
    assert fit_formats(wav) == ("wav", "flac", "mp3")  # kept as it is, or converted
    assert fit_formats(aiff) == ("flac", "mp3")  # always converted
    assert fit_formats(wav, max_bytes=1024) == ("flac", "mp3")  # too big to keep
    assert fit_formats(aiff, model="mimo-v2.5-asr") == ("wav", "mp3")  # the ASR model takes no FLAC
    module = tmp_path / "a.mod"
    module.write_bytes(REFUSED["mod"][0])
    with pytest.raises(UnsupportedAudioFormatError, match="tracker module") as caught:
        fit_formats(module)
    assert caught.value.convertible is False
    with pytest.raises(UnsupportedAudioFormatError, match="tracker module"):
        fit_audio(module)  # the same refusal fit itself gives


@pytest.mark.parametrize("fixture", ["tta.tta", "wavpack.wv"])
def test_a_16_bit_lossless_source_stays_16_bit(fixture_file: Callable[[str], Path], fixture: str) -> None:
    fitted = fit_audio(fixture_file(fixture))
    assert fitted.info.format == "flac"
    assert sf.info(io.BytesIO(fitted.data)).subtype == "PCM_16"
    assert "16-bit" in fitted.steps[0]
