"""Failures that look like success: a 200 that is no chat completion, a stream cut short, a
malformed chunk, a stream without usage. Each is an error, never an empty answer at $0.

Every scenario runs against a loopback server of our own (``faults``) through the real SDK.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import write_silence

from faults import (
    FaultServer,
    chunk,
    completion,
    json_body,
    raw,
    sse,
    stream_of,
)
from mimo_openai_ext import DEFAULT_MODEL as MODEL
from mimo_openai_ext import (
    IncompleteStreamError,
    InvalidResponseError,
    ask,
    ask_async,
    ask_batch,
    ask_stream,
    ask_stream_async,
)
from mimo_openai_ext._client import create_completion, create_completion_async
from mimo_openai_ext._retry import NO_RETRY, RetryPolicy
from mimo_openai_ext._streaming import stream_completion

pytestmark = pytest.mark.usefixtures("no_sleep")

MESSAGES = [{"role": "user", "content": "hi"}]
KEY = "sk-faultkey-0123456789"

NOT_COMPLETIONS = {
    "error object": json_body({"error": {"message": "upstream overloaded", "code": "503"}}),
    "no choices": json_body({"id": "x", "object": "chat.completion", "model": MODEL}),
    "empty choices": json_body({"id": "x", "object": "chat.completion", "model": MODEL, "choices": []}),
    "choice without message": json_body({"id": "x", "choices": [{"index": 0, "finish_reason": "stop"}]}),
    "html": raw(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
    "broken json": raw(b'{"id": "x", "choices": [', content_type="application/json"),
    "json string": json_body("hello"),
    "json list": json_body([1, 2]),
    "empty body": raw(b"", content_type="text/plain"),
}


def _client(server: FaultServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)


# -- 1 and 3: a 200 that is not a chat completion ------------------------------------------


@pytest.mark.parametrize("name", NOT_COMPLETIONS)
def test_a_200_that_is_no_completion_raises_with_status_and_body(
    fault_server: FaultServer, name: str
) -> None:
    fault_server.queue(NOT_COMPLETIONS[name])
    with _client(fault_server) as client, pytest.raises(InvalidResponseError) as caught:
        create_completion(client, model=MODEL, messages=MESSAGES, retry=NO_RETRY)
    assert caught.value.status_code == 200
    assert "instead of a chat completion" in str(caught.value)
    assert fault_server.requests == 1


def test_the_error_carries_the_start_of_the_body(fault_server: FaultServer) -> None:
    fault_server.queue(NOT_COMPLETIONS["error object"], raw(b"x" * 5000, content_type="text/html"))
    with _client(fault_server) as client:
        with pytest.raises(InvalidResponseError) as caught:
            create_completion(client, model=MODEL, messages=MESSAGES, retry=NO_RETRY)
        assert "upstream overloaded" in caught.value.body
        with pytest.raises(InvalidResponseError) as long:
            create_completion(client, model=MODEL, messages=MESSAGES, retry=NO_RETRY)
    assert 0 < len(long.value.body) <= 300  # the start, never a whole page


def test_an_invalid_200_is_retried_like_a_5xx(fault_server: FaultServer) -> None:
    fault_server.queue(NOT_COMPLETIONS["error object"], NOT_COMPLETIONS["html"], completion("fine"))
    with _client(fault_server) as client:
        result = create_completion(client, model=MODEL, messages=MESSAGES, retry=RetryPolicy(attempts=3))
    assert result.choices[0].message.content == "fine"
    assert fault_server.requests == 3


def test_async_calls_validate_too(fault_server: FaultServer, clip: Path) -> None:
    fault_server.queue(NOT_COMPLETIONS["empty choices"], NOT_COMPLETIONS["broken json"])

    async def go() -> list[BaseException]:
        caught = []
        async with openai.AsyncOpenAI(api_key=KEY, base_url=fault_server.base_url) as client:
            for call in (
                lambda: create_completion_async(client, model=MODEL, messages=MESSAGES, retry=NO_RETRY),
                lambda: ask_async(client, clip, "q", retry=NO_RETRY),
            ):
                try:
                    await call()
                except Exception as exc:
                    caught.append(exc)
        return caught

    assert [type(e) for e in asyncio.run(go())] == [InvalidResponseError, InvalidResponseError]


def test_ask_never_returns_an_empty_answer_at_zero_cost(fault_server: FaultServer, clip: Path) -> None:
    fault_server.default = NOT_COMPLETIONS["no choices"]
    with _client(fault_server) as client, pytest.raises(InvalidResponseError):
        ask(client, clip, "q", retry=RetryPolicy(attempts=2))
    assert fault_server.requests == 2  # retried, then the error


@pytest.mark.parametrize("name", ["error object", "empty choices", "html", "broken json"])
def test_batch_items_record_an_invalid_200_as_an_error(
    fault_server: FaultServer, clip: Path, tmp_path: Path, name: str
) -> None:
    fault_server.default = NOT_COMPLETIONS[name]
    out = tmp_path / "r.jsonl"
    with _client(fault_server) as client:
        results = ask_batch(client, [clip], "q", results_path=out, retry=RetryPolicy(attempts=2))
    assert not results[0].ok
    record = json.loads(out.read_text())
    assert record["error"]["type"] == "InvalidResponseError"
    assert record["error"]["status"] == 200
    assert record["answer"] is None
    assert record["cost_usd"] is None
    # so --resume / --retry-failed know to ask again
    fault_server.default = completion("now it works")
    with _client(fault_server) as client:
        again = ask_batch(client, [clip], "q", results_path=out, retry_failed=True)
    assert again[0].ok
    assert again[0].text == "now it works"


# -- 2: a stream that stops early -------------------------------------------------------


def test_a_stream_cut_before_its_finish_reason_raises_with_the_text_so_far(
    fault_server: FaultServer, clip: Path
) -> None:
    fault_server.queue(stream_of("hello world", finish=None, usage=None, done=False))
    with _client(fault_server) as client, ask_stream(client, clip, "q") as stream:
        pieces: list[str] = []
        with pytest.raises(IncompleteStreamError) as caught:
            pieces.extend(stream.text_deltas())
    assert "".join(pieces) == "hello world"
    assert caught.value.text == "hello world"
    assert "without a finish_reason" in str(caught.value)
    assert "answer is incomplete" in str(caught.value)


def test_an_async_stream_cut_short_raises_too(fault_server: FaultServer, clip: Path) -> None:
    fault_server.queue(stream_of("partial answer", finish=None, usage=None, done=False))

    async def go() -> IncompleteStreamError:
        async with (
            openai.AsyncOpenAI(api_key=KEY, base_url=fault_server.base_url) as client,
            ask_stream_async(client, clip, "q") as stream,
        ):
            with pytest.raises(IncompleteStreamError) as caught:
                async for _ in stream:
                    pass
        return caught.value

    assert asyncio.run(go()).text == "partial answer"


@pytest.mark.parametrize(
    "answer",
    [
        sse([], done=False),
        sse([], done=True),
        completion("a whole completion"),
        json_body({"error": {"m": 1}}),
    ],
    ids=["empty-cut", "empty-done", "json-completion", "json-error"],
)
def test_an_empty_stream_or_a_json_body_is_retried_then_raises(
    fault_server: FaultServer, answer: Any
) -> None:
    fault_server.default = answer
    with _client(fault_server) as client, pytest.raises(InvalidResponseError):
        stream_completion(client, model=MODEL, messages=MESSAGES, retry=RetryPolicy(attempts=2))
    assert fault_server.requests == 2


def test_a_retried_stream_start_then_succeeds(fault_server: FaultServer) -> None:
    fault_server.queue(sse([], done=False), stream_of("fine"))
    with _client(fault_server) as client:
        stream = stream_completion(client, model=MODEL, messages=MESSAGES)
        assert "".join(stream.text_deltas()) == "fine"
    assert stream.answer().text == "fine"


# -- 3: malformed chunks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["{not json", '"just a string"', "[1, 2]", '{"id": "x", "choices": "nope"}'], ids=str
)
def test_a_malformed_chunk_mid_stream_is_an_incomplete_stream(fault_server: FaultServer, bad: str) -> None:
    fault_server.queue(sse([chunk({"content": "so far"}), bad, chunk({}, "stop")]))
    with _client(fault_server) as client:
        stream = stream_completion(client, model=MODEL, messages=MESSAGES)
        with pytest.raises(IncompleteStreamError) as caught:
            list(stream)
    assert caught.value.text == "so far"
    assert "chunk 2" in str(caught.value)


def test_a_malformed_first_chunk_is_retried(fault_server: FaultServer) -> None:
    fault_server.queue(sse(["{not json"]), sse(['"str"']), stream_of("ok"))
    with _client(fault_server) as client:
        stream = stream_completion(client, model=MODEL, messages=MESSAGES)
        assert "".join(stream.text_deltas()) == "ok"
    assert fault_server.requests == 3


# -- 4: a stream without its usage chunk ----------------------------------------------------


def test_a_stream_without_usage_reports_an_unknown_cost_not_zero(
    fault_server: FaultServer, clip: Path
) -> None:
    fault_server.queue(stream_of("the answer", usage=None))
    with _client(fault_server) as client, ask_stream(client, clip, "q", check_audio=False) as stream:
        assert "".join(stream.text_deltas()) == "the answer"
    answer = stream.answer()
    assert answer.text == "the answer"
    assert answer.cost_usd is None
    assert answer.usage.cost_usd is None


def test_a_stream_with_usage_still_has_its_cost(fault_server: FaultServer, clip: Path) -> None:
    fault_server.queue(stream_of("the answer"))
    with _client(fault_server) as client, ask_stream(client, clip, "q", check_audio=False) as stream:
        list(stream)
    cost = stream.answer().cost_usd
    assert cost is not None
    assert cost > 0
