"""ask_across_chunks: every piece asked (concurrently), one combining call, usage summed."""

from __future__ import annotations

import asyncio
import base64
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from _audio import gated_tone

from mimo_openai_ext import InvalidOptionError
from mimo_openai_ext._across import (
    AcrossChunksAnswer,
    ask_across_chunks,
    ask_across_chunks_async,
    combine_prompt,
)

RATE = 16000


pytestmark = pytest.mark.usefixtures("no_sleep")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    audio = gated_tone(100.0, RATE, period_s=6, on_s=5, freq_hz=220)  # 5 s of tone, 1 s pause
    path = tmp_path_factory.mktemp("across") / "talk.wav"
    sf.write(path, audio.astype(np.float32), RATE, subtype="PCM_16")
    return path


def _check(result: AcrossChunksAnswer, *, overlap_s: float = 1.0) -> None:
    assert len(result.chunks) >= 4
    assert [c.index for c in result.chunks] == list(range(len(result.chunks)))
    covered = sum(c.end_s - c.start_s for c in result.chunks) - overlap_s * (len(result.chunks) - 1)
    assert covered == pytest.approx(100.0)
    for chunk in result.chunks:
        assert chunk.answer.usage.audio_tokens == math.ceil(round((chunk.end_s - chunk.start_s) * 6.25, 6))
    summed = sum(c.answer.usage.prompt_tokens for c in result.chunks)
    if result.combined is not None:
        summed += result.combined.usage.prompt_tokens
    assert result.usage.prompt_tokens == summed
    assert result.usage.audio_tokens == sum(c.answer.usage.audio_tokens for c in result.chunks)


def test_sync_asks_each_piece_then_combines(recording: Path, mimo_emulator: Any) -> None:
    seen: list[int] = []
    with mimo_emulator.client() as client:
        result = ask_across_chunks(
            client,
            recording,
            "What happens?",
            max_duration_s=25,
            concurrency=2,
            on_chunk=lambda c: seen.append(c.index),
        )
    _check(result)
    assert sorted(seen) == list(range(len(result.chunks)))
    assert result.combined is not None
    assert result.text == result.combined.text
    assert len(mimo_emulator.request_log) == len(result.chunks) + 1
    assert result.cost_usd is not None
    assert result.cost_usd > 0
    assert result.to_dict()["chunks"][0]["start_s"] == 0.0
    # The emulator answers the combining call as an answer about the whole recording.
    assert result.text.startswith('The answer to "What happens?", over the whole recording (')
    assert result.text.count(" s, 1 channel") == len(result.chunks)  # each piece's gist, in order
    assert "no audio" not in result.text


def test_without_combining_the_text_lists_pieces_by_time(recording: Path, mimo_emulator: Any) -> None:
    with mimo_emulator.client() as client:
        result = ask_across_chunks(client, recording, "What happens?", max_duration_s=25, combine=False)
    _check(result)
    assert result.combined is None
    assert result.text.startswith("[00:00-00:")
    assert len(mimo_emulator.request_log) == len(result.chunks)


def test_async_twin(recording: Path, mimo_emulator: Any) -> None:
    async def run() -> AcrossChunksAnswer:
        async with mimo_emulator.async_client() as client:
            return await ask_across_chunks_async(
                client, recording, "What happens?", max_duration_s=25, concurrency=3
            )

    result = asyncio.run(run())
    _check(result)
    assert result.combined is not None
    assert len(mimo_emulator.request_log) == len(result.chunks) + 1


def test_combine_prompt_names_parts_and_times() -> None:
    from mimo_openai_ext._across import ChunkAnswer

    class _A:  # only .text is read
        text = "a dog barks"

    chunks = (ChunkAnswer(0, 0.0, 65.0, _A()), ChunkAnswer(1, 64.0, 3700.0, _A()))  # type: ignore[arg-type]
    prompt = combine_prompt("Any animals?", chunks, overlap_s=1.0)
    assert "Question: Any animals?" in prompt
    assert "Part 1 (00:00-01:05)" in prompt
    assert "Part 2 (01:04-1:01:40)" in prompt


@pytest.mark.parametrize(("question", "concurrency"), [("  ", 2), ("q", 0)])
def test_bad_arguments(recording: Path, question: str, concurrency: int, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match=r"question|concurrency"):
        ask_across_chunks(mimo_emulator.client(), recording, question, concurrency=concurrency)
    assert mimo_emulator.completions() == []


def test_failed_requests_are_retried(recording: Path, mimo_emulator: Any) -> None:
    mimo_emulator.fail_next("503", "429; retry-after=1")
    with mimo_emulator.client() as client:
        result = ask_across_chunks(client, recording, "What happens?", max_duration_s=50, concurrency=1)
    statuses = [r.status for r in mimo_emulator.request_log]
    assert statuses[:2] == [503, 429]
    assert statuses.count(200) == len(result.chunks) + 1


def _recording_client(mimo_emulator: Any, bodies: list[dict[str, Any]], *, sync: bool = True) -> Any:
    """An SDK client whose httpx hook keeps each request body as sent on the wire."""
    import json

    from openai import DefaultAsyncHttpxClient, DefaultHttpxClient

    if sync:
        return mimo_emulator.client(
            http_client=DefaultHttpxClient(
                event_hooks={"request": [lambda r: bodies.append(json.loads(r.content))]}
            )
        )

    async def hook(request: Any) -> None:
        bodies.append(json.loads(request.content))

    return mimo_emulator.async_client(http_client=DefaultAsyncHttpxClient(event_hooks={"request": [hook]}))


def _check_pass_through(bodies: list[dict[str, Any]], pieces: int) -> None:
    assert len(bodies) == pieces + 1  # each piece, then the combining call
    for body in bodies:
        assert body["temperature"] == 0.3
        assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
        assert body["thinking"] == {"type": "disabled"}
        assert body["max_completion_tokens"] == 2000
    audio = [p for b in bodies[:-1] for p in b["messages"][1]["content"] if p["type"] == "input_audio"]
    assert len(audio) == pieces
    sizes = [len(base64.b64decode(p["input_audio"]["data"].split(",", 1)[-1])) for p in audio]
    assert max(sizes) <= 400_000  # max_encoded_bytes reached split_audio
    assert all(isinstance(c, str) for c in [bodies[-1]["messages"][1]["content"]])  # text only


def test_ask_options_reach_every_piece_and_the_combining_call(recording: Path, mimo_emulator: Any) -> None:
    bodies: list[dict[str, Any]] = []
    options: dict[str, Any] = {
        "system": "Answer in French.",
        "temperature": 0.3,
        "thinking": False,
        "max_completion_tokens": 2000,
        "check_audio": False,
        "max_encoded_bytes": 400_000,
    }
    with _recording_client(mimo_emulator, bodies) as client:
        result = ask_across_chunks(client, recording, "What happens?", **options)
    # 100 s of 16 kHz mono FLAC does not fit in 400 kB: max_encoded_bytes reached split_audio
    assert len(result.chunks) >= 2
    _check_pass_through(bodies, len(result.chunks))

    async def run() -> AcrossChunksAnswer:
        async with _recording_client(mimo_emulator, async_bodies, sync=False) as client:
            return await ask_across_chunks_async(client, recording, "What happens?", **options)

    async_bodies: list[dict[str, Any]] = []
    async_result = asyncio.run(run())
    _check_pass_through(async_bodies, len(async_result.chunks))


def test_a_bad_create_option_reaches_the_server(recording: Path, mimo_emulator: Any) -> None:
    import openai

    with mimo_emulator.client() as client, pytest.raises(openai.BadRequestError, match="temperature"):
        ask_across_chunks(client, recording, "What happens?", max_duration_s=50, temperature=5)


def test_reprs_are_short_summaries(recording: Path, mimo_emulator: Any) -> None:
    with mimo_emulator.client() as client:
        result = ask_across_chunks(client, recording, "What happens?", max_duration_s=25)
    text = repr(result)
    assert len(text) < 200
    assert text.startswith(f"AcrossChunksAnswer({len(result.chunks)} chunks 00:00-01:40, combined, ")
    assert f"{result.usage.total_tokens:,} tokens" in text
    chunk = repr(result.chunks[1])
    assert chunk.startswith("ChunkAnswer(#1 00:")
    assert len(chunk) < 110
