"""The emulator speaks MiMo's TTS dialect: the request as MiMo checks it, real audio in the answer.

Everything goes through the real SDK over HTTP (``chat.completions.create(..., audio=...)``),
the way MiMo's own examples call its speech models.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import urllib.request
from typing import Any

import numpy as np
import openai
import pytest
from _audio import encode_m4a, encode_tone, fundamental_hz

from mimo_openai_ext import MODELS
from mimo_openai_ext._audio.datauri import data_uri
from mimo_openai_ext._audio.encode import decode_pcm
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext.emulator import EmulatorHandle
from mimo_openai_ext.emulator._voice import SYLLABLE_S, count_syllables

pytestmark = pytest.mark.sdk_retries(0)

TTS, DESIGN, CLONE = "mimo-v2.5-tts", "mimo-v2.5-tts-voicedesign", "mimo-v2.5-tts-voiceclone"
TEXT = "Hello there. This is the emulator speaking, slowly and clearly."


def say(text: str = TEXT, *, user: str | None = None) -> list[dict[str, str]]:
    messages = [] if user is None else [{"role": "user", "content": user}]
    return [*messages, {"role": "assistant", "content": text}]


def spoken(client: openai.OpenAI, **kwargs: Any) -> tuple[bytes, Any]:
    kwargs.setdefault("model", TTS)
    kwargs.setdefault("messages", say())
    completion = client.chat.completions.create(**kwargs)
    return base64.b64decode(completion.choices[0].message.audio.data), completion


def refused(client: openai.OpenAI, **kwargs: Any) -> str:
    kwargs.setdefault("model", TTS)
    kwargs.setdefault("messages", say())
    with pytest.raises(openai.BadRequestError) as exc:
        client.chat.completions.create(**kwargs)
    body = exc.value.body
    assert isinstance(body, dict)
    assert body["code"] == "400"
    return str(body["param"])


def pitch_hz(data: bytes) -> float:
    """The voice's median pitch (autocorrelation of the loud frames)."""
    pcm = decode_pcm(data, source_name="speech")
    return fundamental_hz(pcm.samples, pcm.sample_rate_hz)


def _field(obj: Any, name: str) -> Any:
    """A field the installed SDK may not declare (openai 1.x has no ``delta.audio``)."""
    return getattr(obj, name, None) or (obj.model_extra or {}).get(name)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else value.model_dump()


@pytest.mark.parametrize(("fmt", "container"), [("wav", "wav"), ("mp3", "mp3")])
def test_speech_comes_back_as_the_format_asked_for(client: openai.OpenAI, fmt: str, container: str) -> None:
    data, completion = spoken(client, audio={"format": fmt, "voice": "Mia"})
    info = probe_bytes(data, source_name="speech")
    assert (info.format, info.sample_rate_hz, info.channels) == (container, 24_000, 1)
    message = completion.choices[0].message
    assert message.content is None  # MiMo's speech answer carries audio, no content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == -(-info.duration_s * 6.25 // 1) or info.format == "mp3"


@pytest.mark.parametrize("fmt", ["pcm", "pcm16"])
def test_pcm_is_raw_16_bit_at_24_khz(client: openai.OpenAI, fmt: str) -> None:
    raw, _ = spoken(client, audio={"format": fmt, "voice": "Dean"})
    wav, _ = spoken(client, audio={"format": "wav", "voice": "Dean"})
    assert len(raw) % 2 == 0
    assert raw == wav[-len(raw) :]  # the same samples as the WAV, without its header


def test_the_length_follows_the_text(client: openai.OpenAI) -> None:
    short, _ = spoken(client, messages=say("Hello."))
    long_text = "Hello. " + "The quick brown fox jumps over the lazy dog. " * 6
    long, _ = spoken(client, messages=say(long_text))
    short_s = probe_bytes(short, source_name="a").duration_s
    long_s = probe_bytes(long, source_name="b").duration_s
    assert count_syllables(long_text) * SYLLABLE_S < long_s < count_syllables(long_text) * 0.4
    assert 0.3 < short_s < 1.5
    assert long_s > 10 * short_s
    people_speak = count_syllables(long_text) / long_s  # syllables a second, as people speak
    assert 3.0 < people_speak < 6.0


def test_audio_tags_and_instructions_are_not_spoken(client: openai.OpenAI) -> None:
    plain, _ = spoken(client, messages=say("I just do not know."))
    tagged, _ = spoken(
        client, messages=say("(sighs deeply) I just [pause] do not know.", user="Say it slowly and sadly.")
    )
    assert probe_bytes(tagged, source_name="t").duration_s == pytest.approx(
        probe_bytes(plain, source_name="p").duration_s, abs=0.3
    )


def test_the_same_request_gives_the_same_audio(client: openai.OpenAI) -> None:
    first, _ = spoken(client, audio={"format": "wav", "voice": "Chloe"})
    again, _ = spoken(client, audio={"format": "wav", "voice": "Chloe"})
    assert first == again


def test_each_preset_has_its_own_pitch_and_mimo_default_is_the_default(client: openai.OpenAI) -> None:
    dean, _ = spoken(client, audio={"format": "wav", "voice": "Dean"})
    mia, _ = spoken(client, audio={"format": "wav", "voice": "Mia"})
    default, _ = spoken(client, audio={"format": "wav"})
    named, _ = spoken(client, audio={"format": "wav", "voice": "mimo_default"})
    assert pitch_hz(dean) < 130 < 200 < pitch_hz(mia)
    assert default == named


def test_speed_and_style_are_accepted_and_change_nothing(client: openai.OpenAI) -> None:
    plain, _ = spoken(client, audio={"format": "wav", "voice": "Milo"})
    asked, _ = spoken(client, audio={"format": "wav", "voice": "Milo", "speed": 2.0, "style": "Happy"})
    assert asked == plain


@pytest.mark.parametrize("fmt", ["opus", "aac", "flac", "ogg"])
def test_formats_mimo_does_not_produce_are_a_400(client: openai.OpenAI, fmt: str) -> None:
    assert refused(client, audio={"format": fmt, "voice": "Mia"}) == (
        f"audio.format {fmt!r} is not supported by {TTS}; supported: wav, mp3, pcm, pcm16"
    )


def test_the_text_must_be_an_assistant_message(client: openai.OpenAI) -> None:
    assert "goes in an assistant message" in refused(client, messages=[{"role": "user", "content": "Hi"}])
    assert "is empty" in refused(client, messages=say("  "))


def test_an_unknown_preset_is_a_400_naming_the_voices(client: openai.OpenAI) -> None:
    detail = refused(client, audio={"format": "wav", "voice": "alloy"})
    assert "'alloy' is not a voice of mimo-v2.5-tts" in detail
    assert "Mia" in detail


def test_a_speech_model_takes_no_audio_input(client: openai.OpenAI) -> None:
    part = {"type": "input_audio", "input_audio": {"data": data_uri(encode_tone(0.5), "audio/wav")}}
    messages = [{"role": "user", "content": [part]}, {"role": "assistant", "content": "Hi."}]
    assert "takes no audio input" in refused(client, messages=messages)


def test_voice_design_needs_a_description_and_takes_no_voice(client: openai.OpenAI) -> None:
    low, _ = spoken(client, model=DESIGN, messages=say(user="A deep, calm male voice."))
    high, _ = spoken(client, model=DESIGN, messages=say(user="A bright young woman."))
    assert pitch_hz(low) < 150 < 180 < pitch_hz(high)
    assert "needs a user message describing the voice" in refused(client, model=DESIGN)
    detail = refused(client, model=DESIGN, messages=say(user="calm"), audio={"format": "wav", "voice": "Mia"})
    assert "takes no audio.voice" in detail


@pytest.mark.parametrize("ref_format", ["wav", "mp3"])
def test_voice_clone_follows_the_pitch_of_the_reference(client: openai.OpenAI, ref_format: str) -> None:
    reference = encode_tone(3.0, format=ref_format.upper(), sample_rate=24_000, freq_hz=150.0)
    mime = {"wav": "audio/wav", "mp3": "audio/mpeg"}[ref_format]
    data, _ = spoken(client, model=CLONE, audio={"format": "wav", "voice": data_uri(reference, mime)})
    assert pitch_hz(data) == pytest.approx(150.0, rel=0.1)


def test_voice_clone_refuses_a_missing_mislabelled_or_oversized_reference(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    assert "needs the reference audio in audio.voice" in refused(client, model=CLONE, audio={"format": "wav"})
    wav = encode_tone(1.0)
    mislabelled = data_uri(wav, "audio/mpeg")
    assert "labelled audio/mpeg but the bytes are wav" in refused(
        client, model=CLONE, audio={"format": "wav", "voice": mislabelled}
    )
    m4a = data_uri(encode_m4a(np.zeros(16_000, np.float32), rate=16_000), "audio/mp4")
    assert "not a wav or mp3 base64 data URI" in refused(client, model=CLONE, audio={"voice": m4a})
    small = dataclasses.replace(
        MODELS[CLONE], speech=dataclasses.replace(MODELS[CLONE].speech, reference_max_data_uri_chars=1000)
    )
    mimo_emulator.configure(models={**MODELS, CLONE: small})
    assert "the limit is 1,000" in refused(client, model=CLONE, audio={"voice": data_uri(wav, "audio/wav")})


def test_stream_sends_the_whole_audio_in_one_chunk(client: openai.OpenAI) -> None:
    whole, _ = spoken(client, audio={"format": "wav", "voice": "Mia"})
    stream = client.chat.completions.create(
        model=TTS,
        messages=say(),
        audio={"format": "wav", "voice": "Mia"},
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    audio = [_field(c.choices[0].delta, "audio") for c in chunks if c.choices]
    carried = [a for a in audio if a]
    assert len(carried) == 1
    assert base64.b64decode(_dict(carried[0])["data"]) == whole
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None


def test_the_speech_models_are_listed_and_openai_speech_endpoint_is_not_there(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle
) -> None:
    listed = {m.id for m in client.models.list()}
    assert {TTS, DESIGN, CLONE} <= listed
    request = urllib.request.Request(
        mimo_emulator.base_url + "/audio/speech",
        data=json.dumps({"model": "tts-1", "voice": "alloy", "input": "hi"}).encode(),
        headers={"Authorization": f"Bearer {mimo_emulator.api_key}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    exc.value.close()
    assert exc.value.code == 404
