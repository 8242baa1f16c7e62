"""open_audio: M4A streams block by block with exact seeks; MP3 decodes without libmpg123 noise."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _audio import encode_m4a, speechlike

from mimo_openai_ext import sample_audio_path, split_audio
from mimo_openai_ext._audio.decode import AudioStream, open_audio
from mimo_openai_ext._audio.quiet import StderrFilter
from mimo_openai_ext._audio.split import split_with_progress
from mimo_openai_ext.audio import probe_bytes

RATE = 16000


def _all(stream: AudioStream) -> np.ndarray:
    return np.concatenate(list(stream.blocks(size=5000)))


@pytest.fixture(scope="module")
def alac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("decode") / "lossless.m4a"
    path.write_bytes(encode_m4a(speechlike(40.0, rate=RATE, channels=2), rate=RATE, codec="alac"))
    return path


@pytest.fixture(scope="module")
def aac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Tones that come and go, no noise: AAC codes noise-like bands by perceptual noise
    # substitution, whose decoded noise depends (by design) on where decoding started.
    t = np.arange(40 * RATE) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * t)
    chord = (
        np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 1330 * t) + 0.3 * np.sin(2 * np.pi * 3100 * t)
    )
    path = tmp_path_factory.mktemp("decode") / "voice-memo.m4a"
    path.write_bytes(encode_m4a((0.3 * envelope * chord).astype(np.float32), rate=RATE))
    return path


def test_m4a_duration_is_the_probed_one(aac: Path, fixture_file: Callable[[str], Path]) -> None:
    for path in (aac, fixture_file("aac_brand_m4a.m4a"), fixture_file("alac.m4a")):
        info = probe_bytes(path.read_bytes(), source_name=path.name)
        with open_audio(path) as stream:
            assert stream.frames == round(info.duration_s * info.sample_rate_hz)
            assert (stream.sample_rate_hz, stream.channels) == (info.sample_rate_hz, info.channels)
            assert _all(stream).shape == (stream.frames, info.channels)  # the edit list is honoured


def test_alac_seeks_are_sample_exact(alac: Path) -> None:
    with open_audio(alac) as stream:
        whole = _all(stream)
        assert whole.shape == (40 * RATE, 2)
        for frame in (0, 1, 1000, 5 * RATE + 17, 39 * RATE, 2 * RATE, 35 * RATE, 3):  # forward and back
            stream.seek(frame)
            assert np.array_equal(stream.read(3000), whole[frame : frame + 3000]), frame


def test_aac_seeks_land_on_the_same_samples(aac: Path) -> None:
    rng = np.random.default_rng(0)
    with open_audio(aac) as stream:
        whole = _all(stream)[:, 0]
        for frame in [RATE, 20 * RATE + 123, 7 * RATE, 30 * RATE + 999, *rng.integers(0, 39 * RATE, 40)]:
            stream.seek(int(frame))
            block = stream.read(2048)[:, 0]
            errors = {
                lag: np.abs(block - whole[frame + lag : frame + lag + 2048]).max() for lag in (-1, 0, 1)
            }
            assert errors[0] < 1e-4, (frame, errors)  # the decoder is primed: no glitch after a seek
            assert errors[0] < min(errors[-1], errors[1]) / 100, errors  # aligned to the sample


def test_bytes_and_paths_decode_alike(alac: Path) -> None:
    with open_audio(alac) as from_path, open_audio(alac.read_bytes(), name="x.m4a") as from_bytes:
        assert np.array_equal(_all(from_path), _all(from_bytes))
        assert from_bytes.name == "x.m4a"


def test_m4a_is_split_as_it_is_decoded(aac: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # It used to be decoded whole into a temporary FLAC file before the first chunk (and
    # once more by the CLI to learn the duration): a long M4A showed nothing for 15-45 s.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    reports: list[tuple[float, float]] = []
    chunks = split_with_progress(aac, max_duration_s=12, on_progress=lambda d, t: reports.append((d, t)))
    first = next(chunks)
    assert reports[0] == (0.0, pytest.approx(40.064, abs=1e-3))  # at once, before planning
    moving = [done for done, _ in reports if done > 0]
    assert moving[0] <= 10.0  # a block (8 s at 16 kHz) into the work, before the first chunk is done
    assert first.end_s <= 12
    rest = list(chunks)
    assert os.listdir(tmp_path) == []  # no decoded copy was written
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert reports[-1][0] == pytest.approx(40.064, abs=1e-3)
    assert [c.index for c in [first, *rest]] == list(range(len(rest) + 1))


def test_splitting_an_mp3_prints_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    # libsndfile decodes MP3 with libmpg123, which writes "[src/libmpg123/layer3.c:...]
    # error: part2_3_length (1728) too large for available bit count" to descriptor 2
    # after a seek. The split of the shipped sample seeks often (windows, overlaps).
    path = sample_audio_path()
    chunks = list(split_audio(path, max_duration_s=1.2, overlap_s=0.3))
    assert len(chunks) >= 4
    with open_audio(path) as stream:
        for frame in range(0, stream.frames, 3000):
            stream.seek(frame)
            stream.read(5000)
    err = capfd.readouterr().err
    assert "libmpg123" not in err
    assert "part2_3_length" not in err
    assert err == ""


def test_the_filter_keeps_everything_else_written_meanwhile(capfd: pytest.CaptureFixture[str]) -> None:
    quiet = StderrFilter(b"libmpg123")
    with quiet():
        os.write(2, b"[src/libmpg123/layer3.c:INT123_do_layer3():1774] error: part2_3_length\n")
        os.write(2, b"a warning from someone else\n")
    with quiet():
        pass  # the capture file is emptied between calls
    quiet.close()
    assert capfd.readouterr().err == "a warning from someone else\n"


def test_a_video_track_behind_a_sound_handler_is_not_taken_for_the_audio(
    fixture_file: Callable[[str], Path], tmp_path: Path
) -> None:
    from mimo_openai_ext import UnsupportedAudioFormatError, fit_audio

    data = bytearray(fixture_file("video.mp4").read_bytes())  # H.264 video, then AAC audio
    handler = data.find(b"hdlr") + 12
    assert data[handler : handler + 4] == b"vide"
    data[handler : handler + 4] = b"soun"  # the video track now claims to be sound
    path = tmp_path / "claims.mp4"
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedAudioFormatError):  # still a video: MiMo refuses it as it is
        probe_bytes(bytes(data), source_name="claims.mp4")
    fitted = fit_audio(path)  # PyAV's first "audio" stream is the video: the real one is found
    assert fitted.info.format == "flac"
    assert fitted.info.duration_s > 0.3


def test_a_format_no_conversion_helps_is_refused_before_any_decoder_tries(tmp_path: Path) -> None:
    import soundfile as sf

    from mimo_openai_ext import UnsupportedAudioFormatError, fit_audio

    path = tmp_path / "lead.xi"  # libsndfile opens a tracker instrument, then cannot seek in it
    sf.write(
        path, (np.sin(np.arange(8000) / 5) * 0.3).astype("float32"), 8000, format="XI", subtype="DPCM_16"
    )
    with pytest.raises(UnsupportedAudioFormatError, match=r"tracker instrument \(XI\)"):
        fit_audio(path)
    with pytest.raises(UnsupportedAudioFormatError, match=r"tracker instrument \(XI\)"):
        list(split_audio(path))
