"""A canary key, echoed by a server mid-stream or in a 200 body, never shows in what we raise.

The search covers each exception's message, ``str``, ``repr``, ``args``, notes, every plain
attribute (``.body``, ``.text``, ...; nested dicts and lists included) and the exceptions
chained to it, and the body of the HTTP response the SDK attaches (``.response.text``,
``.response.content``). The request attached (``.request``, and ``.response.request``) is
the request as sent, its ``Authorization`` header the key itself: not ours to rewrite, and
left out of the search.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import write_silence

from faults import FaultServer, echo_key, echo_key_mid_stream
from mimo_openai_ext import ask, ask_async, ask_batch, ask_stream, ask_stream_async
from mimo_openai_ext._client import create_completion, create_completion_async
from mimo_openai_ext._retry import NO_RETRY, RetryPolicy
from mimo_openai_ext._streaming import stream_completion, stream_completion_async

pytestmark = pytest.mark.usefixtures("no_sleep")

CANARY = "sk-CANARY7f3e9a1b2c4d5e6f"
MESSAGES = [{"role": "user", "content": "hi"}]
_TRANSPORT = ("request", "response", "_request", "_response", "http_response")


def _texts(value: object, seen: set[int]) -> list[str]:
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, BaseException):
        out = [str(value), repr(value), *map(repr, value.args), *getattr(value, "__notes__", [])]
        for name, attr in vars(value).items():
            if name not in _TRANSPORT:
                out += _texts(attr, seen)
        out += _response_texts(getattr(value, "response", None))
        for linked in (value.__cause__, value.__context__):
            if linked is not None:
                out += _texts(linked, seen)
        return out
    if isinstance(value, (str, bytes)):
        return [value if isinstance(value, str) else value.decode("utf-8", "replace")]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(k, seen) + _texts(v, seen)]
    if isinstance(value, (list, tuple, set)):
        return [t for v in value for t in _texts(v, seen)]
    return [repr(value)]


def _response_texts(response: Any) -> list[str]:
    if response is None:
        return []
    try:
        content = response.content
    except Exception:  # a stream never read: it has no body to leak
        return []
    return [response.text, content.decode("utf-8", "replace"), repr(response.json())]


def leaked(exc: BaseException) -> list[str]:
    """Every text of ``exc`` that holds the canary or a 6+ character leading piece of it."""
    return [t for t in _texts(exc, set()) if CANARY[:6] in t]


def _raised(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("no exception")


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)


def _client(server: FaultServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=CANARY, base_url=server.base_url, max_retries=0)


def test_the_canary_search_finds_an_unmasked_key(fault_server: FaultServer) -> None:
    """Without our layer the SDK's error holds the key: the search below would see it."""
    fault_server.queue(echo_key_mid_stream())
    with _client(fault_server) as client, pytest.raises(openai.APIError) as caught:
        list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))  # type: ignore[arg-type]
    assert leaked(caught.value)


@pytest.mark.parametrize("first", [True, False], ids=["mid-stream", "first-event"])
def test_an_error_event_echoing_the_key_is_masked_in_sync_streams(
    fault_server: FaultServer, clip: Path, first: bool
) -> None:
    fault_server.default = echo_key_mid_stream(first=first)

    def read_stream_completion() -> None:
        with _client(fault_server) as client:
            list(stream_completion(client, model="m", messages=MESSAGES, retry=NO_RETRY))

    def read_ask_stream() -> None:
        with (
            _client(fault_server) as client,
            ask_stream(client, clip, "q", retry=RetryPolicy(attempts=2)) as s,
        ):
            list(s)

    for call in (read_stream_completion, read_ask_stream):
        exc = _raised(call)
        assert isinstance(exc, openai.APIError)
        assert "***" in str(exc)
        assert leaked(exc) == []


@pytest.mark.parametrize("first", [True, False], ids=["mid-stream", "first-event"])
def test_an_error_event_echoing_the_key_is_masked_in_async_streams(
    fault_server: FaultServer, clip: Path, first: bool
) -> None:
    fault_server.default = echo_key_mid_stream(first=first)

    async def go() -> list[BaseException]:
        caught = []
        async with openai.AsyncOpenAI(api_key=CANARY, base_url=fault_server.base_url) as client:
            try:
                stream = await stream_completion_async(client, model="m", messages=MESSAGES, retry=NO_RETRY)
                async for _ in stream:
                    pass
            except Exception as exc:
                caught.append(exc)
            try:
                async with ask_stream_async(client, clip, "q") as s:
                    async for _ in s:
                        pass
            except Exception as exc:
                caught.append(exc)
        return caught

    errors = asyncio.run(go())
    assert len(errors) == 2
    for exc in errors:
        assert isinstance(exc, openai.APIError)
        assert leaked(exc) == []


@pytest.mark.parametrize("broken", [False, True], ids=["error-object", "broken-json"])
def test_a_200_body_echoing_the_key_is_masked_sync_and_async(
    fault_server: FaultServer, clip: Path, broken: bool
) -> None:
    fault_server.default = echo_key(broken=broken)
    with _client(fault_server) as client:
        errors = [
            _raised(lambda: create_completion(client, model="m", messages=MESSAGES)),
            _raised(lambda: ask(client, clip, "q", retry=NO_RETRY)),
        ]

    async def go() -> list[BaseException]:
        async with openai.AsyncOpenAI(api_key=CANARY, base_url=fault_server.base_url) as client:
            out = []
            for call in (
                lambda: create_completion_async(client, model="m", messages=MESSAGES),
                lambda: ask_async(client, clip, "q"),
            ):
                try:
                    await call()
                except Exception as exc:
                    out.append(exc)
            return out

    errors += asyncio.run(go())
    assert len(errors) == 4
    for exc in errors:
        assert type(exc).__name__ == "InvalidResponseError"
        assert "***" in str(exc)
        assert leaked(exc) == []


@pytest.mark.parametrize("code", [401, 500, 503])
def test_an_error_status_echoing_the_key_is_masked(fault_server: FaultServer, code: int) -> None:
    fault_server.default = echo_key(code=code)
    with _client(fault_server) as client:
        exc = _raised(
            lambda: create_completion(client, model="m", messages=MESSAGES, retry=RetryPolicy(attempts=2))
        )
    assert isinstance(exc, openai.APIStatusError)
    assert leaked(exc) == []
    assert "***" in exc.response.text  # the response's body, masked
    assert exc.response.status_code == code
    assert exc.response.json()["error"]  # still the JSON it was


@pytest.mark.parametrize("code", [401, 500])
def test_an_error_status_echoing_the_key_is_masked_async(fault_server: FaultServer, code: int) -> None:
    fault_server.default = echo_key(code=code)

    async def go() -> BaseException:
        base_url = fault_server.base_url
        async with openai.AsyncOpenAI(api_key=CANARY, base_url=base_url, max_retries=0) as client:
            try:
                await create_completion_async(client, model="m", messages=MESSAGES, retry=NO_RETRY)
            except Exception as exc:
                return exc
        raise AssertionError("no exception")

    exc = asyncio.run(go())
    assert isinstance(exc, openai.APIStatusError)
    assert leaked(exc) == []
    assert "***" in exc.response.text


def test_batch_records_of_an_echoing_200_hold_no_key(
    fault_server: FaultServer, clip: Path, tmp_path: Path
) -> None:
    fault_server.default = echo_key()
    out = tmp_path / "r.jsonl"
    with _client(fault_server) as client:
        results = ask_batch(client, [clip], "q", results_path=out)
    assert results[0].error is not None
    assert CANARY[:6] not in out.read_text()
    assert results[0].exception is not None
    assert leaked(results[0].exception) == []
