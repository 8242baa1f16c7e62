"""speak() / speak_async(), end to end through the real SDK to the emulator's speech models."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from _audio import encode_m4a, encode_silence, encode_tone, fundamental_hz

from mimo_openai_ext import (
    MODELS,
    InvalidClientError,
    InvalidOptionError,
    InvalidResponseError,
    RetiredModelError,
    RetryPolicy,
    Speech,
    UnknownModelWarning,
    UnsupportedFeatureError,
    VoiceReferenceWarning,
    speak,
    speak_async,
)
from mimo_openai_ext._audio.encode import decode_pcm
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._speech.plan import SpeakOptions, plan_speech
from mimo_openai_ext._speech.request import speech_request
from mimo_openai_ext.batch import RateLimiter
from mimo_openai_ext.config import OPENAI_VOICE_MAP, Retirement
from mimo_openai_ext.emulator import EmulatorHandle
from mimo_openai_ext.emulator._voice import SYLLABLE_S, count_syllables

pytestmark = pytest.mark.sdk_retries(0)  # each request reaches the log once

TEXT = "Hello there. This is a short test of speech out, through MiMo's dialect."
LONG = " ".join(f"Sentence number {i} is here, and it has a few more words in it." for i in range(40))


def plausible(text: str, duration_s: float) -> bool:
    """As long as the text takes to say: between one syllable-time each and 0.4 s each."""
    syllables = count_syllables(text)
    return syllables * SYLLABLE_S * 0.8 < duration_s < syllables * 0.4 + 0.5


def encode_samples_wav(samples: np.ndarray) -> bytes:
    """A 24 kHz 16-bit WAV of float ``samples``."""
    import io

    import soundfile as sf

    out = io.BytesIO()
    sf.write(out, samples, 24_000, format="WAV", subtype="PCM_16")
    return out.getvalue()


def speech_requests(emulator: EmulatorHandle) -> list[tuple[str | None, int]]:
    return [(r.model, r.status) for r in emulator.completions()]


@pytest.mark.parametrize(
    ("fmt", "container"), [("wav", "wav"), ("mp3", "mp3"), ("flac", "flac"), ("opus", "ogg")]
)
def test_speech_probes_as_the_format_asked_for_with_a_plausible_duration(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, fmt: str, container: str
) -> None:
    spoken = speak(client, TEXT, format=fmt)  # type: ignore[arg-type]
    info = probe_bytes(spoken.data, source_name=f"speech.{fmt}")
    assert (info.format, info.channels) == (container, 1)
    assert spoken.format == fmt
    assert spoken.mime.startswith("audio/")
    assert info.duration_s == pytest.approx(spoken.duration_s, abs=0.1)
    assert plausible(TEXT, spoken.duration_s)
    assert speech_requests(mimo_emulator) == [("mimo-v2.5-tts", 200)]
    assert (spoken.model, spoken.voice, spoken.voice_kind, spoken.requests) == (
        "mimo-v2.5-tts",
        "mimo_default",
        "preset",
        1,
    )


@pytest.mark.parametrize("fmt", ["aac", "pcm", "pcm16"])
def test_aac_and_raw_pcm_decode_to_the_same_length(client: openai.OpenAI, fmt: str) -> None:
    wav = speak(client, TEXT)
    spoken = speak(client, TEXT, format=fmt)  # type: ignore[arg-type]
    if fmt == "aac":
        assert decode_pcm(spoken.data, source_name="x.aac").duration_s == pytest.approx(
            wav.duration_s, abs=0.1
        )
        assert spoken.data[:2] == b"\xff\xf1"  # an ADTS header
    else:
        assert len(spoken.data) == round(wav.duration_s * wav.sample_rate_hz) * 2
        assert spoken.sample_rate_hz == 24_000


def test_one_wav_or_mp3_request_is_mimos_own_bytes(client: openai.OpenAI, mimo_emulator: Any) -> None:
    plan = plan_speech(TEXT, SpeakOptions(format="mp3"))
    direct = client.chat.completions.create(**speech_request(plan, TEXT))
    assert direct.choices[0].message.audio is not None
    assert speak(client, TEXT, format="mp3").data == base64.b64decode(direct.choices[0].message.audio.data)


def test_long_text_is_spoken_in_pieces_concurrently_and_joined_without_seams(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    whole = speak(client, LONG, max_chars=5000)
    mimo_emulator.reset()
    mimo_emulator.configure(latency_ms=150)
    joined = speak(client, LONG, max_chars=400, concurrency=4)
    log = mimo_emulator.completions()
    assert joined.requests == len(log) == -(-len(LONG) // 400)
    assert all(r.status == 200 for r in log)
    overlapping = sum(1 for a, b in itertools.pairwise(log) if b.time_s - a.time_s < 0.1)
    assert overlapping >= 2  # sent together, not one after another
    assert joined.duration_s == pytest.approx(whole.duration_s, rel=0.02)
    assert joined.usage.completion_tokens >= whole.usage.completion_tokens > 0  # summed over the pieces
    assert joined.usage.cost_usd == 0.0
    assert probe_bytes(joined.data, source_name="joined").duration_s == pytest.approx(joined.duration_s)


def test_the_pieces_keep_under_the_rpm_ceiling(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    limiter = RateLimiter(3, window_s=0.5)
    spoken = speak(client, LONG, max_chars=300, concurrency=8, rate_limiter=limiter)
    log = mimo_emulator.completions()
    assert spoken.requests == len(log) > 3
    starts = sorted(r.time_s for r in log)
    for i, start in enumerate(starts):  # never more than 3 requests within any 0.5 s
        assert sum(1 for s in starts[i:] if s - start < 0.5 - 0.02) <= 3


def test_speed_is_applied_here_at_the_same_pitch(client: openai.OpenAI) -> None:
    normal = speak(client, TEXT)
    fast = speak(client, TEXT, speed=2.0)
    assert fast.duration_s == pytest.approx(normal.duration_s / 2, rel=0.05)


def test_openai_voice_names_map_to_mimo_presets(client: openai.OpenAI) -> None:
    assert speak(client, "Hi.", voice="nova").voice == "Mia"
    assert speak(client, "Hi.", voice="mia").voice == "Mia"  # MiMo's ids in any case
    with pytest.raises(InvalidOptionError, match=r"voice='Bob'.*Mia.*OPENAI_VOICE_MAP"):
        speak(client, "Hi.", voice="Bob")


def test_voice_map_keys_added_in_capitals_match_in_any_case(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(OPENAI_VOICE_MAP, "Narrator", "Dean")
    assert speak(client, "Hi.", voice="Narrator").voice == "Dean"
    assert speak(client, "Hi.", voice="narrator").voice == "Dean"
    assert speak(client, "Hi.", voice="NOVA").voice == "Mia"
    options = SpeakOptions(voice="NARRATOR", model="mimo-v9-tts-unlisted")
    with pytest.warns(UnknownModelWarning):
        assert plan_speech("Hi.", options).voice == "Dean"  # an unknown model: mapped, unchecked


def test_a_designed_voice_goes_to_the_design_model_with_the_description(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    spoken = speak(client, TEXT, voice_design="A deep, calm male voice.", style="slowly")
    assert (spoken.model, spoken.voice, spoken.voice_kind) == ("mimo-v2.5-tts-voicedesign", None, "design")
    assert speech_requests(mimo_emulator) == [("mimo-v2.5-tts-voicedesign", 200)]
    plan = plan_speech(TEXT, SpeakOptions(voice_design="A deep, calm male voice.", style="slowly"))
    request = speech_request(plan, plan.pieces[0])
    assert request["messages"][0] == {"role": "user", "content": "A deep, calm male voice.\nslowly"}
    assert "voice" not in request["audio"]


def test_a_cloned_voice_from_an_m4a_is_sent_as_a_wav_data_uri(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    t = np.arange(44_100 * 6) / 44_100
    ref = tmp_path / "me.m4a"
    ref.write_bytes(encode_m4a((0.3 * np.sin(2 * np.pi * 140 * t)).astype(np.float32), rate=44_100))
    spoken = speak(client, TEXT, voice_clone=ref)
    assert (spoken.model, spoken.voice_kind) == ("mimo-v2.5-tts-voiceclone", "clone")
    plan = plan_speech(TEXT, SpeakOptions(voice_clone=ref))
    assert plan.reference_uri is not None
    assert plan.reference_uri.startswith("data:audio/wav;base64,")
    assert speech_request(plan, TEXT)["audio"]["voice"] == plan.reference_uri
    # the emulator's clone speaks at the reference's pitch: the WAV MiMo got was the real clip
    pcm = decode_pcm(spoken.data, source_name="x")
    assert fundamental_hz(pcm.samples, pcm.sample_rate_hz) == pytest.approx(140, rel=0.1)


def test_a_reference_outside_the_recommended_length_warns_at_the_callers_line(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.warns(VoiceReferenceWarning, match=r"^<bytes>: 1\.00 s is short .* 5-30 s of clear") as said:
        spoken = speak(client, "Hi.", voice_clone=encode_tone(1.0, sample_rate=24_000))
    assert [w.filename for w in said] == [__file__]
    assert spoken.voice_kind == "clone"  # warned, not refused: MiMo answers

    async def main() -> None:
        async with mimo_emulator.async_client() as aclient:
            await speak_async(aclient, "Hi.", voice_clone=encode_tone(1.0, sample_rate=24_000))

    with pytest.warns(VoiceReferenceWarning, match="is short") as said:
        asyncio.run(main())
    assert [w.filename for w in said] == [__file__]
    clone = MODELS["mimo-v2.5-tts-voiceclone"]
    assert clone.speech is not None
    narrow = dataclasses.replace(clone.speech, reference_seconds=(2.0, 4.0))
    monkeypatch.setitem(MODELS, clone.id, dataclasses.replace(clone, speech=narrow))
    with pytest.warns(VoiceReferenceWarning, match=r"6\.00 s is long .* 2-4 s"):
        speak(client, "Hi.", voice_clone=encode_tone(6.0, sample_rate=24_000))
    speak(client, "Hi.", voice_clone=encode_tone(3.0, sample_rate=24_000))  # within: no warning


@pytest.mark.parametrize("seconds", [0.1, 6.0])
def test_a_silent_reference_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, seconds: float
) -> None:
    with pytest.raises(InvalidOptionError, match=r"the voice_clone reference is silent .* no sound at all"):
        speak(client, "Hi.", voice_clone=encode_silence(seconds, sample_rate=24_000))
    quiet = (np.full(24_000 * 6, 0.0005) * np.sin(np.arange(24_000 * 6) / 5)).astype(np.float32)
    with pytest.raises(InvalidOptionError, match=r"silent \(6\.00 s, its loudest sample at -6\d dBFS\)"):
        speak(client, "Hi.", voice_clone=encode_samples_wav(quiet))
    assert mimo_emulator.completions() == []


def test_a_clone_reference_too_long_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = MODELS["mimo-v2.5-tts-voiceclone"]
    assert clone.speech is not None
    small = dataclasses.replace(clone.speech, reference_max_data_uri_chars=50_000)
    monkeypatch.setitem(MODELS, clone.id, dataclasses.replace(clone, speech=small))
    with pytest.raises(Exception, match="too long") as exc:
        speak(client, "Hi.", voice_clone=encode_tone(10.0, sample_rate=24_000))
    assert type(exc.value).__name__ == "AudioTooLargeError"
    assert mimo_emulator.completions() == []


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"voice": "Mia", "voice_design": "calm"}, InvalidOptionError, "takes no built-in voice"),
        ({"voice_design": "calm", "voice_clone": b"x"}, InvalidOptionError, "pass one of them"),
        ({"model": "mimo-v2.5-tts", "voice_design": "calm"}, UnsupportedFeatureError, "voicedesign"),
        ({"model": "mimo-v2.6-flash"}, UnsupportedFeatureError, "not a speech model"),
        ({"format": "ogg"}, InvalidOptionError, "format='ogg'"),
        ({"speed": 5}, InvalidOptionError, "speed=5"),
        ({"max_chars": 5}, InvalidOptionError, "max_chars=5"),
        ({"concurrency": 0}, InvalidOptionError, "concurrency=0"),
    ],
)
def test_mistakes_are_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, options: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        speak(client, TEXT, **options)
    assert mimo_emulator.completions() == []


def test_empty_text_and_the_wrong_client_are_refused(client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match="needs the words to say"):
        speak(client, "   ")
    with pytest.raises(InvalidClientError, match="speak_async"):
        speak(mimo_emulator.async_client(), TEXT)  # type: ignore[arg-type]
    assert mimo_emulator.completions() == []


def test_a_retired_speech_model_is_refused_and_an_unknown_one_warned(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = Retirement(datetime.now(timezone.utc) - timedelta(days=1), "mimo-v2.5-tts", "test")
    monkeypatch.setitem(
        MODELS,
        "mimo-old-tts",
        dataclasses.replace(MODELS["mimo-v2.5-tts"], id="mimo-old-tts", retirement=gone),
    )
    with pytest.raises(RetiredModelError):
        speak(client, TEXT, model="mimo-old-tts")
    with pytest.warns(UnknownModelWarning), pytest.raises(openai.BadRequestError):
        speak(client, TEXT, model="mimo-v9-tts")  # unknown here and to MiMo: its own 400 comes back
    assert speech_requests(mimo_emulator) == [("mimo-v9-tts", 400)]


def test_transient_failures_are_retried_per_piece(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, no_sleep: None
) -> None:
    mimo_emulator.fail_next("503", "429")
    spoken = speak(client, TEXT)
    assert [r.status for r in mimo_emulator.completions()] == [503, 429, 200]
    assert spoken.requests == 1


def test_a_completion_without_audio_is_an_invalid_response(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, no_sleep: None
) -> None:
    """A server that answers a speech request with text (here: the emulator told it is a chat model)."""
    chatty = dataclasses.replace(MODELS["mimo-v2.6-flash"], id="mimo-v2.5-tts")
    mimo_emulator.configure(models={**MODELS, "mimo-v2.5-tts": chatty}, answer_in_content=True)
    with pytest.raises(InvalidResponseError, match=r"without speech.*no message\.audio\.data"):
        speak(client, TEXT, retry=RetryPolicy(attempts=2))
    assert len(mimo_emulator.completions()) == 2  # retried like a server error, then raised


def test_speak_async_twin(mimo_emulator: EmulatorHandle) -> None:
    async def main() -> tuple[Speech, Speech]:
        async with mimo_emulator.async_client(max_retries=0) as aclient:
            short = await speak_async(aclient, TEXT, format="mp3", voice="Dean")
            joined = await speak_async(aclient, LONG, max_chars=500, format="opus")
            return short, joined

    short, joined = asyncio.run(main())
    assert probe_bytes(short.data, source_name="a").format == "mp3"
    assert short.voice == "Dean"
    assert probe_bytes(joined.data, source_name="b").format == "ogg"
    assert joined.requests == -(-len(LONG) // 500) > 1
    assert plausible(LONG, joined.duration_s)


def test_save_writes_atomically_and_refuses_a_misleading_name(client: openai.OpenAI, tmp_path: Path) -> None:
    spoken = speak(client, "Hi.", format="mp3")
    assert spoken.save(tmp_path / "hi.mp3").read_bytes() == spoken.data
    with pytest.raises(InvalidOptionError, match=r"hi\.wav: the speech is mp3.*hi\.mp3"):
        spoken.save(tmp_path / "hi.wav")
    with pytest.raises(InvalidOptionError, match="exists"):
        spoken.save(tmp_path / "hi.mp3", overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hi.mp3"]  # no temporary left


def test_save_refuses_a_folder_a_missing_folder_and_another_kind_of_name(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    spoken = speak(client, "Hi.")
    with pytest.raises(InvalidOptionError, match=f"^{re.escape(str(tmp_path))}: is a folder; name a file"):
        spoken.save(tmp_path)
    missing = tmp_path / "nope" / "hi.wav"
    with pytest.raises(InvalidOptionError, match=r"nope/hi\.wav: the folder .*nope does not exist; create"):
        spoken.save(missing)
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(InvalidOptionError, match=r"the folder .*file is not a folder"):
        spoken.save(tmp_path / "file" / "hi.wav")
    for name in ("hi.m4a", "hi.txt"):
        with pytest.raises(InvalidOptionError, match=r"the speech is wav.*save it as hi\.wav, or end it in"):
            spoken.save(tmp_path / name)
    assert spoken.save(tmp_path / "hi.bin").read_bytes() == spoken.data  # an unknown ending: as is
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "hi.bin"]
    pcm = speak(client, "Hi.", format="pcm16")
    assert pcm.save(tmp_path / "hi.pcm").stat().st_size == pcm.size_bytes


def test_the_notebook_view_plays_it_and_says_what_it_is(client: openai.OpenAI) -> None:
    spoken = speak(client, "Hi.", format="pcm")
    html = spoken._repr_html_()
    assert re.search(r'<audio controls preload="metadata" src="data:audio/wav;base64,UklGR', html)
    assert "$0 (free for a limited time)" in html
    assert "mimo_default" in html
    assert repr(spoken).startswith("Speech(pcm, ")
    assert "1 request" in repr(spoken)


def test_a_speech_model_is_refused_where_audio_goes_in(client: openai.OpenAI, mimo_emulator: Any) -> None:
    from mimo_openai_ext import ask, estimate_request, input_audio_part, probe_audio, transcribe, user_message
    from mimo_openai_ext.audio import check_audio_limits

    wav = encode_tone(1.0)
    with pytest.raises(UnsupportedFeatureError, match="is a speech model: it speaks text"):
        ask(client, wav, "What is said?", model="mimo-v2.5-tts")
    with pytest.raises(UnsupportedFeatureError, match=r"estimate_request\(\) does not apply"):
        estimate_request([user_message(input_audio_part(wav), "q")], model="mimo-v2.5-tts")
    with pytest.raises(UnsupportedFeatureError, match=r"check_audio_limits\(\) does not apply"):
        check_audio_limits(probe_audio(wav), model="mimo-v2.5-tts-voiceclone")
    with pytest.raises(UnsupportedFeatureError, match="not a transcription model"):
        transcribe(client, wav, model="mimo-v2.5-tts")
    assert mimo_emulator.completions() == []


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus"])
def test_round_trip_speak_then_transcribe_gives_the_words_back(client: openai.OpenAI, fmt: str) -> None:
    """The emulator's ASR model hears what its speech models said: speak() -> transcribe() is the
    text again (word for word), across a joined multi-request speech and any format."""
    from mimo_openai_ext import transcribe

    text = LONG[:1200]
    spoken = speak(client, text, max_chars=600, format=fmt)  # type: ignore[arg-type]
    assert spoken.requests > 1
    transcript = transcribe(client, spoken.data, language="en", convert=fmt == "opus")
    assert transcript.duration_s == pytest.approx(spoken.duration_s, abs=0.1)
    assert re.findall(r"\w+", transcript.text) == re.findall(r"\w+", text)
    assert len(transcript.segments) > 1  # cut at pauses and sent in pieces, then stitched


@pytest.mark.parametrize("voice", ["mimo_default", "Mia", "Dean"])
@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_a_short_text_in_one_request_is_heard_back_in_any_voice(
    client: openai.OpenAI, voice: str, fmt: str
) -> None:
    """One request's speech (an MP3 starts with the encoder's delay, so the piece the ASR model gets
    reaches before the recording's start) is found and its words given back."""
    from mimo_openai_ext import transcribe

    text = "Good evening. The rain will stop before midnight."
    spoken = speak(client, text, voice=voice, format=fmt)  # type: ignore[arg-type]
    assert spoken.requests == 1
    heard = transcribe(client, spoken.data)
    assert re.findall(r"\w+", heard.text) == re.findall(r"\w+", text)


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"])
def test_openai_speech_model_names_map_to_mimos(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, model: str
) -> None:
    spoken = speak(client, "Hi.", model=model)  # no UnknownModelWarning (filterwarnings = error)
    assert spoken.model == "mimo-v2.5-tts"
    assert speech_requests(mimo_emulator) == [("mimo-v2.5-tts", 200)]


def test_a_style_tag_that_leaves_too_little_room_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    text = "(whispering, low and secret) " + "Hello there, friend. " * 3
    with pytest.raises(
        InvalidOptionError, match=r"max_chars=40: the leading style tag .* raise max_chars to at least 49"
    ):
        speak(client, text, max_chars=40)
    assert mimo_emulator.completions() == []
    spoken = speak(client, text, max_chars=49)
    assert spoken.requests == len(mimo_emulator.completions()) >= 2
    assert all(r.status == 200 for r in mimo_emulator.completions())
