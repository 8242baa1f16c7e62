"""split_audio: chunks within every limit, cut in silences, nothing lost at the seams."""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _audio import bursts

from mimo_openai_ext import AudioTooLargeError, InvalidOptionError, MimoAudioError
from mimo_openai_ext._audio.split import AudioChunk, resolve_overlap, split_audio

RATE = 22050


@pytest.fixture(scope="module")
def long_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    audio, silent = bursts(300.0, rate=RATE)
    path = tmp_path_factory.mktemp("split") / "meeting.wav"
    sf.write(path, np.stack([audio, audio * 0.9], axis=1), RATE, subtype="PCM_16")
    return path, silent


def _covered(chunks: list[AudioChunk], overlap_s: float) -> float:
    return sum(c.duration_s for c in chunks) - overlap_s * (len(chunks) - 1)


def test_chunks_add_up_to_the_whole(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    chunks = list(split_audio(path, max_duration_s=60, overlap_s=1.5))
    assert len(chunks) >= 5
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start_s == 0.0
    assert chunks[-1].end_s == pytest.approx(300.0)
    assert _covered(chunks, 1.5) == pytest.approx(300.0, abs=1e-6)
    for before, after in itertools.pairwise(chunks):
        assert after.start_s == pytest.approx(before.end_s - 1.5, abs=1 / RATE)  # overlapping seams
    for chunk in chunks:
        assert chunk.duration_s <= 60.0
        assert chunk.info.duration_s == pytest.approx(chunk.duration_s, abs=1e-3)
        assert (chunk.info.format, chunk.info.channels, chunk.info.sample_rate_hz) == ("flac", 1, 16000)
        assert chunk.part["input_audio"]["data"].startswith("data:audio/flac;base64,")


def test_cuts_fall_in_silences(long_file: tuple[Path, np.ndarray]) -> None:
    path, silent = long_file
    chunks = list(split_audio(path, max_duration_s=45))
    cuts = [round(c.end_s * RATE) for c in chunks[:-1]]
    assert cuts
    assert all(silent[cut] for cut in cuts)


def test_without_silence_awareness_chunks_are_cut_evenly(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    chunks = list(split_audio(path, max_duration_s=50, overlap_s=2, silence_aware=False))
    # 300 s in chunks of at most 50 s overlapping by 2 s take 7 chunks (6 would hold 290 s),
    # each (300 + 6 * 2) / 7 = 44.57 s long, the last one included.
    assert len(chunks) == 7
    assert [c.duration_s for c in chunks] == pytest.approx([312 / 7] * 7, abs=2 / RATE)
    assert _covered(chunks, 2) == pytest.approx(300.0)


@pytest.mark.parametrize("silence_aware", [True, False])
def test_chunks_are_balanced_with_no_tiny_last_chunk(
    long_file: tuple[Path, np.ndarray], silence_aware: bool
) -> None:
    # Each chunk cut as long as it can be, 300 s in chunks of at most 62 s came out as
    # 58, 58, 62, 61, 61 and 5 s (the pauses fall where they fall), and at most 74 s
    # without pauses as four of 74 s and one of 8 s. Balanced: as many chunks as that
    # takes (exact cuts: the fewest that hold it), of similar lengths, cuts in pauses.
    path, silent = long_file
    for max_duration_s in (62.0, 74.0, 99.0, 149.0):
        chunks = list(split_audio(path, max_duration_s=max_duration_s, silence_aware=silence_aware))
        durations = [c.duration_s for c in chunks]
        if not silence_aware:
            assert len(chunks) == math.ceil((300.0 - 1.0) / (max_duration_s - 1.0))
        assert max(durations) <= max_duration_s
        assert min(durations) >= 0.8 * max(durations), (max_duration_s, durations)
        assert _covered(chunks, 1.0) == pytest.approx(300.0)
        if silence_aware:
            assert all(silent[round(c.end_s * RATE)] for c in chunks[:-1])


def test_chunk_audio_is_the_original_audio(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    audio = (0.1 * rng.standard_normal(16000 * 30)).astype(np.float32)
    path = tmp_path / "mono16k.wav"
    sf.write(path, audio, 16000, subtype="PCM_16")
    original, _ = sf.read(path, dtype="int16")
    for chunk in split_audio(path, max_duration_s=10, overlap_s=0.5):
        decoded, _ = sf.read(io.BytesIO(chunk.data), dtype="int16")
        start = round(chunk.start_s * 16000)
        assert np.array_equal(decoded, original[start : start + decoded.shape[0]])


def test_token_and_byte_limits_hold(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    by_tokens = list(split_audio(path, max_tokens=200))
    assert all(c.info.audio_tokens <= 200 for c in by_tokens)
    assert _covered(by_tokens, 1.0) == pytest.approx(300.0)
    by_bytes = list(split_audio(path, max_encoded_bytes=400_000))
    assert all(len(c.data) <= 400_000 for c in by_bytes)
    assert _covered(by_bytes, 1.0) == pytest.approx(300.0)


def test_noise_without_pauses_still_splits_within_limits(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    sf.write(path, 0.2 * np.random.default_rng(1).standard_normal(RATE * 70), RATE)
    chunks = list(split_audio(path, max_duration_s=20))
    assert all(c.duration_s <= 20 for c in chunks)
    assert _covered(chunks, 1.0) == pytest.approx(70.0)


def test_short_audio_is_one_chunk(write_audio: Callable[..., Path]) -> None:
    chunks = list(split_audio(write_audio("short.wav", 3.0), max_duration_s=60))
    assert len(chunks) == 1
    assert (chunks[0].start_s, chunks[0].end_s) == (0.0, pytest.approx(3.0))


def test_asr_model_gets_wav_chunks(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    chunks = list(split_audio(path, model="mimo-v2.5-asr"))
    assert {c.info.format for c in chunks} == {"wav"}
    assert all(c.info.data_uri_chars <= 10_000_000 for c in chunks)
    assert _covered(chunks, 1.0) == pytest.approx(300.0)


def test_keep_quality_keeps_channels_and_rate(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    first = next(split_audio(path, max_duration_s=30, keep_quality=True))
    assert (first.info.channels, first.info.sample_rate_hz) == (2, RATE)


def test_split_is_lazy(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    chunks = split_audio(path, max_duration_s=30)
    first = next(chunks)
    assert first.end_s <= 30
    chunks.close()  # type: ignore[attr-defined]


def test_impossible_byte_limit_is_explained(long_file: tuple[Path, np.ndarray]) -> None:
    path, _ = long_file
    with pytest.raises(AudioTooLargeError, match="max_encoded_bytes"):
        list(split_audio(path, max_encoded_bytes=5_000))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_duration_s": 0}, "max_duration_s must be a positive number"),
        ({"max_tokens": -5}, "max_tokens"),
        ({"max_duration_s": float("nan")}, "max_duration_s must be a positive number"),
        ({"overlap_s": -1}, "overlap_s"),
        (
            {"max_duration_s": 10, "overlap_s": 5},
            r"overlap of 5 s is too long for chunks of at most 10 s.*2\.5 s or less.*at least 20 s",
        ),
    ],
)
def test_bad_limits(write_audio: Callable[..., Path], options: dict[str, float], match: str) -> None:
    with pytest.raises(InvalidOptionError, match=match) as caught:
        list(split_audio(write_audio("a.wav"), **options))  # type: ignore[arg-type]
    assert isinstance(caught.value, MimoAudioError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("max_duration_s", "overlap_s"), [(2.0, 0.5), (3.0, 0.75), (4.0, 1.0), (8.0, 1.0)])
def test_default_overlap_shrinks_for_short_chunks(
    write_audio: Callable[..., Path], max_duration_s: float, overlap_s: float
) -> None:
    assert resolve_overlap(None, max_duration_s) == overlap_s
    assert resolve_overlap(0.2, max_duration_s) == 0.2
    chunks = list(split_audio(write_audio("a.wav", 10.0), max_duration_s=max_duration_s, silence_aware=False))
    assert len(chunks) > 1
    assert chunks[1].start_s == pytest.approx(chunks[0].end_s - overlap_s, abs=1e-3)


def test_split_with_progress_takes_what_split_audio_takes() -> None:
    import inspect

    from mimo_openai_ext._audio.split import split_with_progress

    public = inspect.signature(split_audio).parameters
    reporting = dict(inspect.signature(split_with_progress).parameters)
    assert reporting.pop("on_progress").kind is inspect.Parameter.KEYWORD_ONLY
    assert [(p.name, p.kind, p.default) for p in reporting.values()] == [
        (p.name, p.kind, p.default) for p in public.values()
    ]


def test_the_chunk_count_shortcut_agrees_with_walking_the_cuts(long_file: tuple[Path, np.ndarray]) -> None:
    # When the count cannot depend on where the pauses fall, it is computed without
    # reading any window; it must be what cutting each chunk at its longest gives.
    from mimo_openai_ext._audio.decode import open_audio
    from mimo_openai_ext._audio.split import _cut, _greedy_count, _Plan

    path, _ = long_file
    at_fewest = 0
    with open_audio(path) as stream:
        for max_s in (20.0, 31.0, 45.0, 50.0, 59.5, 60.0, 61.0, 75.0, 99.0, 100.0, 101.0, 149.0, 151.0):
            plan = _Plan(int(max_s * RATE), RATE, 10**9, None, True)  # type: ignore[arg-type]
            start, walked = 0, 1
            while stream.frames - start > plan.max_frames:
                start = _cut(stream, start, start + plan.max_frames, plan) - plan.overlap_frames
                walked += 1
            assert _greedy_count(stream, plan) == walked, max_s
            at_fewest += walked == 1 + math.ceil((stream.frames - plan.max_frames) / (plan.max_frames - RATE))
    assert at_fewest >= 5  # most counts are the fewest possible


def test_bad_options_are_refused_when_called_not_when_first_iterated(tmp_path: Path) -> None:
    from mimo_openai_ext import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="limits="):
        split_audio(tmp_path / "never-opened.wav", limits=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError, match="overlap_s"):
        split_audio(tmp_path / "never-opened.wav", overlap_s=-1)
