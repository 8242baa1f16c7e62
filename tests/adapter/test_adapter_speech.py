"""Unchanged OpenAI speech code works through the adapter: ``client.audio.speech.create`` with
``OpenAI(http_client=mimo_http_client())`` writes a file, served by the speech shim's rules."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from mimo_openai_ext import UnknownModelWarning, mimo_async_http_client, mimo_http_client
from mimo_openai_ext._audio.encode import decode_pcm
from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext.adapter import EXCHANGE_EXTENSION

TEXT = "Today is a wonderful day to build something people love!"


def newer(**options: str) -> dict[str, Any]:
    """Options as the installed SDK takes them: its own keyword when it has one (``instructions``
    and ``stream_format`` arrived after openai 1.55), else in ``extra_body`` (the same JSON body)."""
    known = inspect.signature(openai.resources.audio.speech.Speech.create).parameters
    extra = {k: v for k, v in options.items() if k not in known}
    return {**{k: v for k, v in options.items() if k in known}, **({"extra_body": extra} if extra else {})}


@pytest.fixture
def adapted(mimo_emulator: Any) -> Iterator[openai.OpenAI]:
    with mimo_emulator.client(http_client=mimo_http_client(), max_retries=0) as client:
        yield client


def test_unchanged_openai_speech_code_writes_a_file(
    adapted: openai.OpenAI, mimo_emulator: Any, tmp_path: Path
) -> None:
    response = adapted.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)  # mp3 by default
    response.write_to_file(tmp_path / "speech.mp3")
    info = probe_bytes((tmp_path / "speech.mp3").read_bytes(), source_name="speech.mp3")
    assert info.format == "mp3"
    assert info.duration_s > 2
    assert response.response.headers["content-type"] == "audio/mpeg"
    assert response.response.extensions[EXCHANGE_EXTENSION].model == "mimo-v2.5-tts"  # what MiMo ran
    assert [(r.path, r.model, r.status) for r in mimo_emulator.request_log] == [
        ("/v1/chat/completions", "mimo-v2.5-tts", 200)  # MiMo saw its own dialect, never /audio/speech
    ]


@pytest.mark.parametrize(("fmt", "container"), [("wav", "wav"), ("flac", "flac"), ("opus", "ogg")])
def test_streaming_to_a_file_in_each_format(
    adapted: openai.OpenAI, tmp_path: Path, fmt: str, container: str
) -> None:
    path = tmp_path / f"speech.{fmt}"
    with adapted.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="coral",
        input=TEXT,
        response_format=fmt,
        **newer(instructions="Cheerfully."),
    ) as response:
        response.stream_to_file(path)
    assert probe_bytes(path.read_bytes(), source_name=path.name).format == container


def test_pcm_and_aac_as_openai_returns_them(adapted: openai.OpenAI) -> None:
    wav = adapted.audio.speech.create(model="tts-1", voice="nova", input=TEXT, response_format="wav").content
    seconds = probe_bytes(wav, source_name="x").duration_s
    pcm = adapted.audio.speech.create(model="tts-1", voice="nova", input=TEXT, response_format="pcm").content
    assert len(pcm) == round(seconds * 24_000) * 2
    aac = adapted.audio.speech.create(model="tts-1", voice="nova", input=TEXT, response_format="aac").content
    assert decode_pcm(aac, source_name="x.aac").duration_s == pytest.approx(seconds, abs=0.1)


def test_what_mimo_cannot_serve_is_a_400_in_mimos_shape(adapted: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        adapted.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, **newer(stream_format="sse"))
    assert "stream_format='sse'" in str(exc.value)
    with pytest.raises(openai.BadRequestError, match="voice='Bob'"):
        adapted.audio.speech.create(model="tts-1", voice="Bob", input=TEXT)
    assert mimo_emulator.completions() == []  # refused before anything went upstream


def test_mimos_own_refusal_comes_back_as_it_was(adapted: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.warns(UnknownModelWarning), pytest.raises(openai.BadRequestError) as exc:
        adapted.audio.speech.create(model="mimo-v9-tts", voice="alloy", input=TEXT)
    body = exc.value.body
    assert isinstance(body, dict)
    assert "model 'mimo-v9-tts' does not exist" in body["param"]  # MiMo's own error, as it came
    assert [r.status for r in mimo_emulator.completions()] == [400]


def test_the_async_client_twin(mimo_emulator: Any, tmp_path: Path) -> None:
    async def main() -> bytes:
        async with mimo_emulator.async_client(http_client=mimo_async_http_client(), max_retries=0) as client:
            response = await client.audio.speech.create(
                model="tts-1", voice="echo", input=TEXT, response_format="flac"
            )
            async with client.audio.speech.with_streaming_response.create(
                model="tts-1", voice="echo", input=TEXT
            ) as streamed:
                await streamed.stream_to_file(tmp_path / "a.mp3")
            return response.content

    flac = asyncio.run(main())
    assert probe_bytes(flac, source_name="a.flac").format == "flac"
    assert probe_bytes((tmp_path / "a.mp3").read_bytes(), source_name="a.mp3").format == "mp3"
