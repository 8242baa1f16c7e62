"""The adapter in process: the real openai SDK (whichever major this venv has) over real HTTP
to the emulator, through ``OpenAI(http_client=mimo_http_client())``.

The emulator behaves like MiMo: it ignores raw base64 (``audio_tokens: 0``), refuses a MIME
its bytes contradict, and (thinking on, as by default) answers in ``reasoning_content`` only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from _audio import encode, encode_m4a, sentences
from _shapes import AUDIO, SHAPES, expected_tokens, message, openai_part

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    AdapterOptions,
    input_audio_part,
    mimo_async_http_client,
    mimo_http_client,
)
from mimo_openai_ext.adapter import EXCHANGE_EXTENSION, default_library, mimo_transport
from mimo_openai_ext.config import allow_retired
from mimo_openai_ext.emulator import ScriptedSpeech

LIB = importlib.import_module(default_library())


@pytest.fixture
def adapted(mimo_emulator: Any) -> Iterator[openai.OpenAI]:
    with mimo_emulator.client(http_client=mimo_http_client(), max_retries=0) as client:
        yield client


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", AUDIO)
def test_audio_in_any_shape_is_heard(
    adapted: openai.OpenAI, mimo_emulator: Any, fmt: str, shape: str
) -> None:
    data = AUDIO[fmt]()
    completion = adapted.chat.completions.create(
        model="mimo-v2.6-flash", messages=[message(SHAPES[shape](data, fmt))]
    )
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.audio_tokens == expected_tokens(data) > 0
    assert f"audio 1: {fmt}" in (completion.choices[0].message.content or "")
    assert [r.status for r in mimo_emulator.completions()] == [200]


def test_without_the_adapter_openai_shaped_audio_is_not_heard(mimo_emulator: Any) -> None:
    with mimo_emulator.client(max_retries=0) as plain:
        completion = plain.chat.completions.create(
            model="mimo-v2.6-flash",
            messages=[message(openai_part(AUDIO["wav"](), "wav"))],
        )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.audio_tokens == 0  # what the adapter is for


def test_a_mimo_shaped_request_goes_out_byte_for_byte(mimo_emulator: Any) -> None:
    sent: list[bytes] = []

    class Recording(LIB.HTTPTransport):
        def handle_request(self, request: Any) -> Any:
            sent.append(request.read())
            return super().handle_request(request)

    body = {"model": "mimo-v2.6-flash", "messages": [message(dict(input_audio_part(AUDIO["wav"]())))]}
    with LIB.Client(transport=mimo_transport(Recording())) as http:
        response = http.post(
            f"{mimo_emulator.base_url}/chat/completions",
            content=json.dumps(body).encode(),
            headers={"authorization": f"Bearer {mimo_emulator.api_key}", "content-type": "application/json"},
        )
    assert response.status_code == 200
    assert sent == [json.dumps(body).encode()]


def test_max_tokens_goes_out_as_max_completion_tokens(mimo_emulator: Any) -> None:
    sent: list[dict[str, Any]] = []

    class Recording(LIB.HTTPTransport):
        def handle_request(self, request: Any) -> Any:
            sent.append(json.loads(request.read()))
            return super().handle_request(request)

    http = LIB.Client(transport=mimo_transport(Recording()))
    with mimo_emulator.client(http_client=http, max_retries=0) as client:
        data = AUDIO["flac"]()
        client.chat.completions.create(
            model="mimo-v2.6-flash", max_tokens=321, messages=[message(openai_part(data, "flac"))]
        )
    assert "max_tokens" not in sent[0]
    assert sent[0]["max_completion_tokens"] == 321
    part = sent[0]["messages"][0]["content"][1]["input_audio"]
    assert part == {"data": input_audio_part(data)["input_audio"]["data"]}  # data URI, no "format"


def test_a_reasoning_only_answer_reaches_content(adapted: openai.OpenAI, mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    completion = adapted.chat.completions.create(
        model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["wav"](), "wav"))]
    )
    reply = completion.choices[0].message
    assert reply.content
    assert reply.content == getattr(reply, "reasoning_content", None)
    assert "audio 1: wav" in reply.content


def test_reasoning_as_content_can_be_turned_off(mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    http = mimo_http_client(options=AdapterOptions(reasoning_as_content=False))
    with mimo_emulator.client(http_client=http, max_retries=0) as client:
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["wav"](), "wav"))]
        )
    assert completion.choices[0].message.content == ""  # MiMo's answer, as MiMo sent it


@pytest.mark.parametrize("reasoning_only", [True, False])
def test_streaming_carries_the_answer_and_usage(
    adapted: openai.OpenAI, mimo_emulator: Any, reasoning_only: bool
) -> None:
    mimo_emulator.configure(answer_in_content=not reasoning_only)
    data = AUDIO["m4a"]()
    text, audio_tokens, chunks = "", None, 0
    with adapted.chat.completions.create(
        model="mimo-v2.6-flash",
        messages=[message(openai_part(data, "m4a"))],
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        for chunk in stream:
            chunks += 1
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            if chunk.usage is not None and chunk.usage.prompt_tokens_details is not None:
                audio_tokens = chunk.usage.prompt_tokens_details.audio_tokens
    assert "audio 1: m4a" in text
    assert audio_tokens == expected_tokens(data)
    assert chunks > 5  # many events, not one buffered blob


def test_a_format_the_bytes_contradict_is_a_400_in_mimos_shape(
    adapted: openai.OpenAI, mimo_emulator: Any
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        adapted.chat.completions.create(
            model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["flac"](), "mp3"))]
        )
    error = caught.value.response.json()["error"]
    assert error["code"] == "400"
    assert error["type"] == "UnsupportedAudioFormatError"
    assert "messages[0].content[1]: declared format 'mp3' but the bytes are flac" in error["message"]
    assert error["param"] == error["message"]
    assert "declared format 'mp3'" in str(caught.value)  # what every client prints
    assert mimo_emulator.request_log == []  # refused before it went upstream


def test_not_audio_is_refused_before_it_goes_upstream(adapted: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(openai.BadRequestError, match=r"messages\[0\]\.content\[1\]"):
        adapted.chat.completions.create(
            model="mimo-v2.6-flash", messages=[message(openai_part(b"%PDF-1.7 not audio at all" * 40, "wav"))]
        )
    assert mimo_emulator.request_log == []


def test_a_data_uri_over_mimos_limit_is_refused_before_it_goes_upstream(mimo_emulator: Any) -> None:
    data = AUDIO["wav"]()
    limits = dataclasses.replace(DEFAULT_LIMITS, max_data_uri_chars=10_000)
    http = mimo_http_client(options=AdapterOptions(limits=limits))
    with mimo_emulator.client(http_client=http, max_retries=0) as client:
        for shape in ("openai", "mimo"):
            with pytest.raises(openai.BadRequestError, match="over MiMo's limit of 10,000") as caught:
                client.chat.completions.create(
                    model="mimo-v2.6-flash", messages=[message(SHAPES[shape](data, "wav"))]
                )
            assert caught.value.response.json()["error"]["type"] == "AudioTooLargeError"
    assert mimo_emulator.request_log == []


def test_the_exchange_is_on_the_response(mimo_emulator: Any) -> None:
    data = AUDIO["wav"]()
    with mimo_http_client() as http:
        response = http.post(
            f"{mimo_emulator.base_url}/chat/completions",
            json={
                "model": "mimo-v2.6-flash",
                "max_tokens": 64,
                "messages": [message(openai_part(data, "wav"))],
            },
            headers={"authorization": f"Bearer {mimo_emulator.api_key}"},
        )
        exchange = response.extensions[EXCHANGE_EXTENSION]
    assert response.status_code == 200
    assert (exchange.model, exchange.audio_parts, exchange.converted_parts) == ("mimo-v2.6-flash", 1, 1)
    assert exchange.audio_tokens == expected_tokens(data)


def test_other_endpoints_pass_through(mimo_emulator: Any) -> None:
    with mimo_http_client() as http:
        response = http.get(
            f"{mimo_emulator.base_url}/models", headers={"authorization": f"Bearer {mimo_emulator.api_key}"}
        )
    assert EXCHANGE_EXTENSION not in response.extensions
    assert [r.path for r in mimo_emulator.request_log] == ["/v1/models"]


def _spoken(emulator: Any, fmt: str) -> tuple[bytes, str]:
    """Two spoken sentences the emulator's ASR model "recognises", in ``fmt``, and their words."""
    clean, spans = sentences()
    samples = clean[: 11 * 16000]
    emulator.configure(speech=(ScriptedSpeech.from_array(samples, 16000, spans[:2]),))
    data = encode_m4a(samples, rate=16000) if fmt == "m4a" else encode(samples, 16000, format=fmt.upper())
    return data, " ".join(words for _, _, words in spans[:2])


@pytest.mark.parametrize("fmt", AUDIO)
def test_whisper_transcriptions_work_unchanged(adapted: openai.OpenAI, mimo_emulator: Any, fmt: str) -> None:
    data, words = _spoken(mimo_emulator, fmt)
    transcript = adapted.audio.transcriptions.create(model="whisper-1", file=(f"speech.{fmt}", data))
    assert transcript.text.split() == words.split()
    text = adapted.audio.transcriptions.create(
        model="whisper-1", file=(f"speech.{fmt}", data), response_format="text"
    )
    assert isinstance(text, str)
    assert text.split() == words.split()
    assert {r.model for r in mimo_emulator.completions()} == {"mimo-v2.5-asr"}  # every format: ASR


def test_whisper_timestamps_work_and_what_mimo_lacks_is_a_400(
    adapted: openai.OpenAI, mimo_emulator: Any
) -> None:
    speech = encode(sentences()[0][: 11 * 16000], 16000, format="WAV")  # two spoken sentences
    verbose = adapted.audio.transcriptions.create(
        model="whisper-1", file=("talk.wav", speech), response_format="verbose_json"
    )
    assert verbose.segments is not None
    assert [round(s.start) for s in verbose.segments] == [1, 6]  # 0.8 s and 5.6 s: from our cuts
    assert float(verbose.duration) == pytest.approx(11.0, abs=0.01)
    srt = adapted.audio.transcriptions.create(
        model="whisper-1", file=("talk.wav", speech), response_format="srt"
    )
    assert srt.startswith("1\n00:00:00,")
    # two segments, each said by the emulator in three lines: two cues each (at most two lines a cue)
    assert srt.count(" --> ") == 4
    sent = len(mimo_emulator.completions())
    with pytest.raises(openai.BadRequestError, match="timestamp_granularities"):
        adapted.audio.transcriptions.create(
            model="whisper-1",
            file=("a.wav", AUDIO["wav"]()),
            response_format="verbose_json",
            timestamp_granularities=["word"],
        )
    assert len(mimo_emulator.completions()) == sent  # refused before any request


def test_the_async_client_twin(mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    data = AUDIO["flac"]()

    async def main() -> tuple[str | None, int | None, str, str]:
        async with mimo_emulator.async_client(http_client=mimo_async_http_client(), max_retries=0) as client:
            completion = await client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[message(openai_part(data, "flac"))]
            )
            details = completion.usage.prompt_tokens_details if completion.usage else None
            streamed = ""
            stream = await client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[message(openai_part(data, "flac"))], stream=True
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    streamed += chunk.choices[0].delta.content
            transcript = await client.audio.transcriptions.create(model="whisper-1", file=("a.flac", spoken))
            return (
                completion.choices[0].message.content,
                details.audio_tokens if details else None,
                streamed,
                transcript.text,
            )

    spoken, words = _spoken(mimo_emulator, "flac")
    content, audio_tokens, streamed, transcript = asyncio.run(main())
    assert content
    assert "audio 1: flac" in content
    assert audio_tokens == expected_tokens(data)
    assert "audio 1: flac" in streamed
    assert transcript.split() == words.split()


def test_max_tokens_that_contradicts_max_completion_tokens_is_a_400(mimo_emulator: Any) -> None:
    with mimo_http_client() as http:
        response = http.post(
            f"{mimo_emulator.base_url}/chat/completions",
            json={"model": DEFAULT_MODEL, "max_tokens": 5, "max_completion_tokens": 9, "messages": []},
            headers={"authorization": f"Bearer {mimo_emulator.api_key}"},
        )
    assert response.status_code == 400
    assert "max_tokens=5 and max_completion_tokens=9 disagree" in response.json()["error"]["message"]
    assert mimo_emulator.request_log == []  # the same rule as ask(max_tokens=...): refused, not guessed


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}, "modalities="),
        ({"audio": {"voice": "alloy", "format": "wav"}}, "audio="),
    ],
)
def test_a_spoken_reply_asked_of_a_chat_model_is_a_400_that_never_goes_upstream(
    adapted: openai.OpenAI, mimo_emulator: Any, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        adapted.chat.completions.create(
            model=DEFAULT_MODEL, messages=[message(openai_part(AUDIO["wav"](), "wav"))], **options
        )
    error = caught.value.response.json()["error"]
    assert error["type"] == "UnsupportedFeatureError"
    assert error["message"].startswith(named)
    assert "speak(client, text)" in error["message"]
    assert "/v1/audio/speech" in error["message"]
    assert mimo_emulator.request_log == []


def test_a_speech_models_audio_parameter_passes(adapted: openai.OpenAI, mimo_emulator: Any) -> None:
    completion = adapted.chat.completions.create(
        model="mimo-v2.5-tts",
        messages=[{"role": "assistant", "content": "Hello there."}],
        audio={"format": "wav", "voice": "Mia"},
    )
    audio = completion.choices[0].message.audio
    assert audio is not None
    assert audio.data
    assert [(r.path, r.status) for r in mimo_emulator.request_log] == [("/v1/chat/completions", 200)]


def test_a_spoken_reply_is_refused_on_the_async_twin(mimo_emulator: Any) -> None:
    async def main() -> None:
        async with mimo_emulator.async_client(http_client=mimo_async_http_client(), max_retries=0) as client:
            await client.chat.completions.create(
                model=DEFAULT_MODEL,
                messages=[message(openai_part(AUDIO["wav"](), "wav"))],
                modalities=["text", "audio"],
            )

    with pytest.raises(openai.BadRequestError, match=r"modalities=\['text', 'audio'\]"):
        asyncio.run(main())
    assert mimo_emulator.request_log == []


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"model": "mimo-v2.5"}, "mimo-v2.5 retired on 2026-10-21"),
        # in extra_body: openai 1.x's create() has no reasoning_effort keyword
        (
            {"extra_body": {"reasoning_effort": "minimal"}},
            "reasoning_effort='minimal' (MiMo answers 400 to it)",
        ),
        (
            {"extra_body": {"reasoning_effort": "high", "thinking": {"type": "disabled"}}},
            "thinking=False turns it off",
        ),
    ],
)
def test_what_ask_refuses_the_adapter_refuses_before_it_goes_upstream(
    adapted: openai.OpenAI, mimo_emulator: Any, extra: dict[str, Any], words: str
) -> None:
    hello = [{"role": "user", "content": "hi"}]
    kwargs: dict[str, Any] = {"model": DEFAULT_MODEL, "messages": hello, **extra}
    with pytest.raises(openai.BadRequestError) as caught:
        adapted.chat.completions.create(**kwargs)
    assert words in str(caught.value)  # our message, in what the SDK's exception says
    assert caught.value.response.json()["error"]["type"] in ("RetiredModelError", "InvalidOptionError")
    assert mimo_emulator.request_log == []  # never upstream


def test_allow_retired_sends_it_and_mimos_detail_reaches_the_message(
    adapted: openai.OpenAI, mimo_emulator: Any
) -> None:
    with allow_retired("mimo-v2.5"), pytest.raises(openai.BadRequestError) as caught:
        adapted.chat.completions.create(model="mimo-v2.5", messages=[{"role": "user", "content": "hi"}])
    assert len(mimo_emulator.completions()) == 1  # sent, as allowed
    message_ = caught.value.response.json()["error"]["message"]
    assert message_.startswith("Param Incorrect: the model mimo-v2.5 has been retired since 2026-10-21")
    assert "please migrate to mimo-v2.6-flash" in str(caught.value)  # the SDK's exception says it
