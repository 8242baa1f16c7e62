"""The emulator end to end: the real openai SDK over HTTP on loopback, happy paths."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
import re
import urllib.request
from typing import Any

import openai
import pytest
from _audio import encode_tone
from _emulator_support import ask, audio_part, uri

from mimo_openai_ext import DEFAULT_LIMITS, DEFAULT_MODEL
from mimo_openai_ext.audio import probe_bytes
from mimo_openai_ext.config import current_models
from mimo_openai_ext.emulator import EmulatorHandle, run_emulator

pytestmark = pytest.mark.sdk_retries(0)  # the SDK sends each request once: the log shows them all


def tokens_of(data: bytes) -> int:
    """What MiMo's rule gives for these bytes' real (probed) duration."""
    return math.ceil(probe_bytes(data, source_name="<test>").duration_s * 6.25)


def test_fixture_starts_each_test_clean(mimo_emulator: EmulatorHandle) -> None:
    assert mimo_emulator.request_log == []
    assert mimo_emulator.base_url.startswith("http://127.0.0.1:")
    assert mimo_emulator.base_url.endswith("/v1")


def reasoning_of(message: Any) -> str:
    return str(getattr(message, "reasoning_content", None) or "")


def test_models_come_from_the_config_table(client: openai.OpenAI) -> None:
    listed = [m.id for m in client.models.list()]
    assert listed == [m.id for m in current_models()]  # today's line-up, in the table's order
    assert listed[0] == DEFAULT_MODEL
    assert "mimo-v2.5" not in listed  # retired
    assert client.models.retrieve("mimo-v2.6-flash").id == "mimo-v2.6-flash"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")
    with pytest.raises(openai.NotFoundError) as retired:
        client.models.retrieve("mimo-v2.5")
    assert "retired since 2026-10-21" in str(retired.value.body)


def test_text_only_completion_has_mimo_shape(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert re.fullmatch(r"[0-9a-f]{32}", completion.id)
    message = completion.choices[0].message
    assert message.content == ""  # MiMo's documented thinking-mode response: the answer is the reasoning
    assert reasoning_of(message).startswith(
        'A text-only request (no audio was sent), answered in text: "What'
    )
    assert "I received" not in reasoning_of(message)
    usage = completion.usage
    assert usage is not None
    assert usage.completion_tokens_details
    assert usage.prompt_tokens_details
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert 0 < usage.completion_tokens_details.reasoning_tokens == usage.completion_tokens
    assert usage.prompt_tokens_details.audio_tokens == 0


def test_mimos_documented_example_has_this_shape(client: openai.OpenAI) -> None:
    """MiMo's audio page: content "", the answer in reasoning_content, reasoning tokens counted."""
    completion = client.chat.completions.create(
        model=DEFAULT_MODEL,
        messages=ask(audio_part(encode_tone(4.0)), "please describe the content of the audio"),
        max_completion_tokens=1024,
    )
    message = completion.choices[0].message
    assert (message.content, completion.choices[0].finish_reason) == ("", "stop")
    assert reasoning_of(message).startswith("I received 1 audio clip: audio 1: wav, 4.00 s")
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 25  # 4 s, as in the example
    assert completion.usage.completion_tokens_details
    assert completion.usage.completion_tokens_details.reasoning_tokens > 0


def test_answers_in_content_when_switched(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    mimo_emulator.configure(answer_in_content=True)
    message = (
        client.chat.completions.create(model="mimo-v2.6-flash", messages=ask("switch?")).choices[0].message
    )
    assert 'answered in text: "switch?"' in (message.content or "")
    assert reasoning_of(message).startswith('The user sent no audio and asked: "switch?"')


def test_audio_is_probed_and_counted_by_the_rule(client: openai.OpenAI) -> None:
    wav = encode_tone(4.0)  # MiMo's own example: 4 s -> 25 tokens
    flac = encode_tone(2.0, sample_rate=44_100, channels=2, format="FLAC")
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash",
        messages=ask(audio_part(wav), audio_part(flac, "audio/flac"), "Compare them."),
    )
    content = reasoning_of(completion.choices[0].message)
    assert "audio 1: wav, 4.00 s, 1 channel, 16000 Hz, 25 audio tokens" in content
    assert "audio 2: flac, 2.00 s, 2 channels, 44100 Hz, 13 audio tokens" in content
    assert 'You asked: "Compare them."' in content
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 25 + math.ceil(2.0 * 6.25)
    assert completion.usage.prompt_tokens > 38


@pytest.mark.parametrize(
    ("fmt", "mime"), [("MP3", "audio/mpeg"), ("OGG", "audio/ogg"), ("WAV", "audio/x-wav")]
)
def test_other_formats_and_mime_aliases(client: openai.OpenAI, fmt: str, mime: str) -> None:
    data = encode_tone(3.2, format=fmt)
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=ask(audio_part(data, mime), "Hi")
    )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == tokens_of(data)
    assert completion.usage.prompt_tokens_details.audio_tokens in (20, 21)  # MP3 adds encoder padding


def test_tokens_per_second_comes_from_limits() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, audio_tokens_per_second=10.0)
    with run_emulator(limits=limits) as emu, emu.client(max_retries=0) as client:
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash", messages=ask(audio_part(encode_tone(4.05)), "q")
        )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 41


def test_repeated_audio_prefix_is_cached(client: openai.OpenAI) -> None:
    wav = encode_tone(4.0)

    def cached(audio: bytes, question: str) -> tuple[int, int]:
        usage = client.chat.completions.create(
            model="mimo-v2.6-flash", messages=ask(audio_part(audio), question)
        ).usage
        assert usage is not None
        assert usage.prompt_tokens_details
        return usage.prompt_tokens_details.cached_tokens or 0, usage.prompt_tokens

    assert cached(wav, "first question")[0] == 0
    hit, prompt = cached(wav, "a different question")
    assert 25 <= hit < prompt  # the audio prefix, not the new question
    assert cached(encode_tone(4.5), "first question")[0] == 0


def test_thinking_can_be_disabled(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=ask("hello"), extra_body={"thinking": {"type": "disabled"}}
    )
    assert getattr(completion.choices[0].message, "reasoning_content", None) is None
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0


def test_thinking_off_answers_in_content(client: openai.OpenAI) -> None:
    for extra in ({"thinking": {"type": "disabled"}}, {"reasoning_effort": "none"}):
        message = (
            client.chat.completions.create(
                model="mimo-v2.6-flash", messages=ask(audio_part(encode_tone(1.0)), "off?"), extra_body=extra
            )
            .choices[0]
            .message
        )
        assert (message.content or "").startswith("I received 1 audio clip")
        assert reasoning_of(message) == ""


def test_small_max_completion_tokens_cuts_with_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=ask("hello"), max_completion_tokens=25
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens <= 25


def test_raw_base64_without_data_prefix_is_silently_ignored(client: openai.OpenAI) -> None:
    raw = uri(encode_tone(2.0)).split(",", 1)[1]
    part = {"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}
    completion = client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(part, "what?"))
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 0
    assert reasoning_of(completion.choices[0].message).startswith(
        "I heard none of the audio parts (raw base64"
    )


def test_url_audio_is_fetched_from_loopback(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    url = mimo_emulator.add_file(encode_tone(1.6, format="FLAC"), "clip.flac", mime="audio/flac")
    completion = client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(url), "q"))
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 10
    assert "flac, 1.60 s" in reasoning_of(completion.choices[0].message)
    assert [r.path for r in mimo_emulator.request_log] == ["/v1/chat/completions"]  # file GETs unlogged


def test_asr_model_transcribes_one_part_without_text(client: openai.OpenAI) -> None:
    mp3 = encode_tone(4.0, format="MP3")
    duration_s = probe_bytes(mp3, source_name="<test>").duration_s
    completion = client.chat.completions.create(
        model="mimo-v2.5-asr",
        messages=ask(audio_part(mp3, "audio/mpeg")),
        extra_body={"asr_options": {"language": "en"}},
    )
    content = completion.choices[0].message.content or ""
    digest = hashlib.sha256(mp3).hexdigest()[:12]  # the piece's own checksum: tests tell pieces apart
    described = f"{duration_s:.2f} s of mp3 audio, 1 ch, 16000 Hz, language en, sha256 {digest}"
    assert content == f"[emulated transcript: {described}]"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == tokens_of(mp3)
    assert (completion.usage.model_extra or {}).get("seconds") == pytest.approx(duration_s, abs=0.001)


def test_streaming_order_and_usage_chunk(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    mimo_emulator.configure(answer_in_content=True)  # reasoning deltas, then content deltas
    messages = ask(audio_part(encode_tone(1.0)), "stream please")
    chunks = list(
        client.chat.completions.create(
            model="mimo-v2.6-flash", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    kinds = []
    for chunk in chunks[:-1]:
        delta = chunk.choices[0].delta
        kinds.append("r" if getattr(delta, "reasoning_content", None) else "c" if delta.content else "-")
    text = "".join(c.choices[0].delta.content or "" for c in chunks[:-1])
    assert "".join(kinds).strip("-") == "r" * kinds.count("r") + "c" * kinds.count("c")
    assert kinds.count("r") > 0
    assert kinds.count("c") > 0
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens_details
    assert chunks[-1].usage.prompt_tokens_details.audio_tokens == 7
    assert len({c.id for c in chunks}) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", chunks[0].id)
    reply = client.chat.completions.create(model="mimo-v2.6-flash", messages=messages)
    assert text == reply.choices[0].message.content


def test_streaming_without_include_usage_ends_at_finish_and_done(mimo_emulator: EmulatorHandle) -> None:
    body = b'{"model": "mimo-v2.6-flash", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
    request = urllib.request.Request(
        mimo_emulator.base_url + "/chat/completions",
        data=body,
        headers={"api-key": mimo_emulator.api_key, "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = [e for e in response.read().decode().split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    assert '"finish_reason": "stop"' in events[-2]
    assert '"usage"' not in events[-2]


def test_async_client_completes_and_streams(mimo_emulator: EmulatorHandle) -> None:
    async def main() -> tuple[str, str]:
        async with mimo_emulator.async_client(max_retries=0) as client:
            reply = await client.chat.completions.create(model="mimo-v2.6-flash", messages=ask("async?"))
            stream = await client.chat.completions.create(
                model="mimo-v2.6-flash", messages=ask("async?"), stream=True
            )
            text = "".join(
                [
                    getattr(c.choices[0].delta, "reasoning_content", None) or ""
                    async for c in stream
                    if c.choices
                ]
            )
            return reasoning_of(reply.choices[0].message), text

    content, streamed = asyncio.run(main())
    assert 'answered in text: "async?"' in content
    assert streamed == content


def test_request_log_records_each_request(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(audio_part(encode_tone(1.0)), "q"))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="nope", messages=ask("q"))
    first, second = mimo_emulator.request_log
    assert (first.status, first.model, first.audio_tokens, first.fault) == (200, "mimo-v2.6-flash", 7, None)
    assert first.request_id is not None
    assert first.body_bytes > 32_000
    assert (second.status, second.model, second.path) == (400, "nope", "/v1/chat/completions")
    assert second.time_s >= first.time_s
