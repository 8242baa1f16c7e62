"""speech(client): OpenAI's audio.speech.create shape on MiMo, end to end through the real SDK."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from openai._legacy_response import HttpxBinaryResponseContent

from mimo_openai_ext import MODELS, InvalidClientError, InvalidOptionError, UnsupportedFeatureError, speech
from mimo_openai_ext._audio.encode import decode_pcm
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._speech.route import answer_speech, answer_speech_async, parse_speech_body
from mimo_openai_ext.emulator import EmulatorHandle
from mimo_openai_ext.migrate import (
    OPENAI_SPEECH_MODEL_MAP,
    AsyncMimoSpeech,
    AsyncSpeechStreamResponse,
    MimoSpeech,
    SpeechStreamResponse,
)

pytestmark = pytest.mark.sdk_retries(0)

TEXT = "Today is a wonderful day to build something people love!"


def _container(data: bytes) -> str:
    return probe_bytes(data, source_name="speech").format


def test_create_returns_the_sdks_own_binary_response(client: openai.OpenAI, tmp_path: Path) -> None:
    response = speech(client).create(model="tts-1", voice="alloy", input=TEXT)
    assert type(response) is HttpxBinaryResponseContent  # what client.audio.speech.create returns
    assert _container(response.content) == "mp3"  # OpenAI's default format
    assert response.response.headers["content-type"] == "audio/mpeg"
    assert str(response.response.url).endswith("/v1/audio/speech")
    response.write_to_file(tmp_path / "speech.mp3")
    assert (tmp_path / "speech.mp3").read_bytes() == response.content == response.read()
    assert b"".join(response.iter_bytes(1000)) == response.content


@pytest.mark.parametrize(("fmt", "container"), [("wav", "wav"), ("flac", "flac"), ("opus", "ogg")])
def test_every_openai_format_is_produced(client: openai.OpenAI, fmt: str, container: str) -> None:
    response = speech(client).create(model="tts-1-hd", voice="nova", input=TEXT, response_format=fmt)
    assert _container(response.content) == container


def test_aac_and_pcm_are_what_openai_returns(client: openai.OpenAI) -> None:
    wav = speech(client).speak(model="tts-1", voice="echo", input=TEXT, response_format="wav")
    aac = speech(client).create(model="tts-1", voice="echo", input=TEXT, response_format="aac").content
    assert aac[:2] == b"\xff\xf1"  # ADTS
    assert decode_pcm(aac, source_name="x.aac").duration_s == pytest.approx(wav.duration_s, abs=0.1)
    pcm = speech(client).create(model="tts-1", voice="echo", input=TEXT, response_format="pcm")
    assert pcm.response.headers["content-type"] == "audio/pcm"
    assert len(pcm.content) == round(wav.duration_s * 24_000) * 2  # 24 kHz 16-bit mono, as OpenAI's


def test_openai_names_map_through_the_tables(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    spoken = speech(client).speak(model="gpt-4o-mini-tts", voice="onyx", input=TEXT, instructions="Calmly.")
    assert (spoken.model, spoken.voice) == (OPENAI_SPEECH_MODEL_MAP["gpt-4o-mini-tts"], "Dean")
    mimo_own = speech(client).speak(model="mimo-v2.5-tts", voice="Chloe", input=TEXT)
    assert (mimo_own.model, mimo_own.voice) == ("mimo-v2.5-tts", "Chloe")
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.5-tts"] * 2


def test_speed_is_applied_here(client: openai.OpenAI) -> None:
    normal = speech(client).speak(model="tts-1", voice="alloy", input=TEXT, response_format="wav")
    slow = speech(client).speak(model="tts-1", voice="alloy", input=TEXT, response_format="wav", speed=0.5)
    assert slow.duration_s == pytest.approx(2 * normal.duration_s, rel=0.05)


def test_streaming_response_writes_the_file(client: openai.OpenAI, tmp_path: Path) -> None:
    with speech(client).with_streaming_response.create(
        model="tts-1", voice="shimmer", input=TEXT, response_format="wav"
    ) as response:
        assert isinstance(response, SpeechStreamResponse)
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/wav"
        response.stream_to_file(tmp_path / "out.wav", chunk_size=4096)
        chunks = list(response.iter_bytes(chunk_size=4096))
    assert response.is_closed
    data = (tmp_path / "out.wav").read_bytes()
    assert data == b"".join(chunks) == response.read() == response.parse()
    assert max(map(len, chunks)) == 4096
    assert _container(data) == "wav"


_SDK_STREAMED_MEMBERS = {  # StreamedBinaryAPIResponse's public members in openai 3.x (older: a subset)
    "close", "elapsed", "headers", "http_request", "http_response", "http_version", "is_closed",
    "iter_bytes", "iter_lines", "iter_text", "json", "method", "parse", "read", "request_id",
    "retries_taken", "status_code", "stream_to_file", "text", "url",
}  # fmt: skip


def _public(cls: type, instance: object = None) -> set[str]:
    """A class's public members: its attributes, its annotated instance attributes and ``instance``'s."""
    names = set(dir(cls)) | set(getattr(instance, "__dict__", {}))
    for base in cls.__mro__:
        names |= set(inspect.get_annotations(base))
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (SpeechStreamResponse, "StreamedBinaryAPIResponse"),
        (AsyncSpeechStreamResponse, "AsyncStreamedBinaryAPIResponse"),
    ],
)
def test_the_streamed_response_has_the_sdks_members(
    client: openai.OpenAI, ours: type[SpeechStreamResponse], theirs: str
) -> None:
    sdk = getattr(openai._response, theirs)
    spoken = speech(client).speak(model="tts-1", voice="alloy", input="Hi.")
    response = ours(spoken, "https://api.example/v1/audio/speech", elapsed_s=1.5)
    members = _public(ours, response)
    assert _public(sdk) <= members  # everything the installed SDK has
    assert members == _SDK_STREAMED_MEMBERS | {"speech"}  # and nothing it lacks, but the speech
    assert response.method == "POST"
    assert response.http_request.url == response.url == "https://api.example/v1/audio/speech"
    assert response.http_version == "HTTP/1.1"
    assert response.elapsed.total_seconds() == 1.5
    assert response.request_id is None
    assert response.retries_taken == 0
    assert response.headers["content-type"] == "audio/mpeg"


def test_the_streamed_responses_text_and_json_behave_as_the_sdks(client: openai.OpenAI) -> None:
    with speech(client).with_streaming_response.create(model="tts-1", voice="alloy", input=TEXT) as response:
        assert response.elapsed.total_seconds() > 0
        text = response.text()
        assert "".join(response.iter_text(chunk_size=100)) == text
        assert list(response.iter_lines()) == text.splitlines()
        with pytest.raises((UnicodeDecodeError, json.JSONDecodeError)):
            response.json()  # audio is no JSON, as with the SDK


def test_the_async_twin(mimo_emulator: EmulatorHandle, tmp_path: Path) -> None:
    async def main() -> tuple[bytes, bytes, list[bytes]]:
        async with mimo_emulator.async_client(max_retries=0) as aclient:
            shim = speech(aclient)
            assert isinstance(shim, AsyncMimoSpeech)
            response = await shim.create(model="tts-1", voice="fable", input=TEXT, response_format="flac")
            first = await response.aread()
            async with shim.with_streaming_response.create(
                model="tts-1", voice="ash", input=TEXT
            ) as streamed:
                assert isinstance(streamed, AsyncSpeechStreamResponse)
                await streamed.stream_to_file(tmp_path / "out.mp3")
                chunks = [c async for c in streamed.iter_bytes(2048)]
                text = await streamed.text()
                assert "".join([t async for t in streamed.iter_text(100)]) == text
                assert [line async for line in streamed.iter_lines()] == text.splitlines()
                with pytest.raises((UnicodeDecodeError, json.JSONDecodeError)):
                    await streamed.json()
                assert streamed.elapsed.total_seconds() > 0
            return first, await streamed.read(), chunks

    flac, mp3, chunks = asyncio.run(main())
    assert _container(flac) == "flac"
    assert (tmp_path / "out.mp3").read_bytes() == mp3 == b"".join(chunks)
    assert _container(mp3) == "mp3"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        ({"voice": {"id": "voice_1234"}}, "custom voices do not exist on MiMo"),
        ({"response_format": "mp3_44100_128"}, "response_format='mp3_44100_128'"),
        ({"stream_format": "sse"}, "stream_format='sse'"),
        ({"timeout": 30}, "speech\\(client.with_options"),
        ({"extra_headers": {"x": "1"}}, "set it on the client"),
        ({"seed": 3}, "'seed' has no MiMo equivalent"),
        ({"model": "mimo-v2.5-tts-voicedesign"}, "by voice_design="),
    ],
)
def test_what_mimo_cannot_serve_is_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, call: dict[str, Any], match: str
) -> None:
    kwargs = {"model": "tts-1", "voice": "alloy", "input": TEXT, **call}
    with pytest.raises(UnsupportedFeatureError, match=match):
        speech(client).create(**kwargs)
    assert mimo_emulator.completions() == []


def test_unset_sentinels_and_audio_stream_format_pass(client: openai.OpenAI) -> None:
    response = speech(client).create(
        model="tts-1", voice="alloy", input=TEXT, stream_format="audio", timeout=openai.NOT_GIVEN
    )
    assert _container(response.content) == "mp3"


def test_bad_options_and_clients_are_refused(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    with pytest.raises(InvalidOptionError, match="speed=9"):
        speech(client).create(model="tts-1", voice="alloy", input=TEXT, speed=9)
    with pytest.raises(InvalidOptionError, match="voice='Bob'"):
        speech(client).create(model="tts-1", voice="Bob", input=TEXT)
    with pytest.raises(InvalidClientError, match="AsyncMimoSpeech"):
        MimoSpeech(mimo_emulator.async_client())  # type: ignore[arg-type]
    assert mimo_emulator.completions() == []


@pytest.mark.parametrize(
    ("call", "named"),
    [({"input": ""}, "input=''"), ({"input": "  "}, "input='  '"), ({"instructions": 5}, "instructions=5")],
)
def test_mistakes_are_named_as_openai_names_them(
    client: openai.OpenAI, mimo_emulator: EmulatorHandle, call: dict[str, Any], named: str
) -> None:
    """The shim speaks OpenAI's words (input, instructions), not speak()'s (text, style)."""
    arguments: dict[str, Any] = {"model": "tts-1", "voice": "alloy", "input": TEXT, **call}
    with pytest.raises(InvalidOptionError) as caught:
        speech(client).create(**arguments)
    assert str(caught.value).startswith(named)
    assert caught.value.option == named.split("=")[0]
    assert "text=" not in str(caught.value)
    assert "style=" not in str(caught.value)
    assert mimo_emulator.completions() == []


def test_the_plain_sdk_call_fails_on_mimo_the_way_the_guide_says(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)


def test_the_http_rules_answer_a_speech_body(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    body = json.dumps({"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "opus"})
    content_type, audio = answer_speech(parse_speech_body(body.encode()), client)
    assert (content_type, _container(audio)) == ("audio/ogg", "ogg")
    for bad, match in [(b"{", "not JSON"), (b"[]", "JSON list"), (b'{"model": "tts-1"}', "'input', 'voice'")]:
        with pytest.raises(InvalidOptionError, match=match):
            parse_speech_body(bad)

    async def main() -> tuple[str, bytes]:
        async with mimo_emulator.async_client(max_retries=0) as aclient:
            return await answer_speech_async(parse_speech_body(body.encode()), aclient)

    assert asyncio.run(main())[0] == "audio/ogg"


def test_pcm_at_another_rate_is_resampled_to_openais_24_khz(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = MODELS["mimo-v2.5-tts"]
    assert spec.speech is not None
    monkeypatch.setitem(
        MODELS,
        spec.id,
        dataclasses.replace(spec, speech=dataclasses.replace(spec.speech, sample_rate_hz=16_000)),
    )
    spoken = speech(client).speak(model="tts-1", voice="alloy", input=TEXT, response_format="pcm")
    wav = speech(client).speak(model="tts-1", voice="alloy", input=TEXT, response_format="wav")
    assert wav.sample_rate_hz == 16_000  # the emulator spoke at the table's rate
    assert spoken.sample_rate_hz == 24_000
    samples = np.frombuffer(spoken.data, dtype="<i2")
    assert samples.size == pytest.approx(wav.duration_s * 24_000, abs=2)
