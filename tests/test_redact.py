"""The API key never shows in an exception, a retry event or a batch record, even when the
server echoes it back (a real HTTP stub on loopback, the real openai SDK)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import write_silence
from _key_echo import SECRET, KeyEcho, key_echo, leaks

from mimo_openai_ext import ask, ask_async, ask_stream
from mimo_openai_ext._batch.ask import ask_batch, ask_batch_async
from mimo_openai_ext._client import create_completion, create_completion_async
from mimo_openai_ext._redact import mask, mask_value, redact_exception
from mimo_openai_ext._retry import NO_RETRY, RetryEvent, RetryPolicy, set_testing

__all__ = ["key_echo"]  # the fixture, imported for this module's tests

MESSAGES = [{"role": "user", "content": "hi"}]


# -- the masking rule ---------------------------------------------------------------------


def test_mask_hides_the_key_and_its_leading_pieces() -> None:
    text = f"got {SECRET}, shown as {SECRET[:6]}... and {SECRET[:10]}*** here"
    masked = mask(text, [SECRET])
    assert not leaks(masked)
    assert masked == "got ***, shown as sk-***... and sk-****** here"


def test_mask_leaves_the_kind_prefix_and_other_text_alone() -> None:
    assert mask("use an sk- key from the console", [SECRET]) == "use an sk- key from the console"
    assert mask("sk-SE is only five", [SECRET]) == "sk-SE is only five"


def test_mask_value_walks_nested_bodies() -> None:
    body = {"error": {"message": f"Bearer {SECRET}", "seen": [SECRET[:8], ("x", SECRET)]}, "n": 3}
    masked = mask_value(body, [SECRET])
    assert not leaks(json.dumps(masked))
    assert masked["n"] == 3
    assert masked["error"]["seen"][1] == ("x", "***")
    assert SECRET in json.dumps(body)  # the original is not modified


def test_short_keys_are_not_masked_in_exceptions() -> None:
    exc = ValueError("EMPTY key is fine, EMPTY")
    redact_exception(exc, ["EMPTY"])
    assert str(exc) == "EMPTY key is fine, EMPTY"


# -- the library's calls against a server that echoes the key ------------------------------


def _exception_text(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(getattr(exc, "body", None)), str(getattr(exc, "message", ""))]
    parts += [repr(getattr(exc, name, None)) for name in ("param", "code", "type")]
    parts += getattr(exc, "__notes__", [])
    return "\n".join(parts)


def test_the_stub_really_echoes_the_key_to_a_plain_sdk_call(key_echo: KeyEcho) -> None:
    """Without our layer the key is in the exception: what the tests below guard against."""
    with (
        openai.OpenAI(api_key=SECRET, base_url=key_echo.base_url(401), max_retries=0) as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        client.chat.completions.create(model="mimo-v2.6-flash", messages=MESSAGES)  # type: ignore[arg-type]
    assert SECRET in str(caught.value)
    assert SECRET in repr(caught.value.body)


@pytest.mark.parametrize("mode", ["json", "text"])
@pytest.mark.parametrize("status", [400, 401, 403])
def test_create_completion_masks_the_key(key_echo: KeyEcho, status: int, mode: str) -> None:
    with (
        openai.OpenAI(api_key=SECRET, base_url=key_echo.base_url(status, mode)) as client,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        create_completion(client, model="mimo-v2.6-flash", messages=MESSAGES)
    assert caught.value.status_code == status
    text = _exception_text(caught.value)
    assert "***" in text
    assert not leaks(text), text


def test_create_completion_async_masks_the_key(key_echo: KeyEcho) -> None:
    async def go() -> BaseException:
        async with openai.AsyncOpenAI(api_key=SECRET, base_url=key_echo.base_url(401)) as client:
            with pytest.raises(openai.AuthenticationError) as caught:
                await create_completion_async(client, model="mimo-v2.6-flash", messages=MESSAGES)
        return caught.value

    text = _exception_text(asyncio.run(go()))
    assert "Invalid API Key Bearer ***" in text
    assert not leaks(text), text


@pytest.mark.parametrize("retry", [None, NO_RETRY])
def test_ask_masks_the_key(key_echo: KeyEcho, tmp_path: Path, retry: RetryPolicy | None) -> None:
    clip = write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)
    with (
        openai.OpenAI(api_key=SECRET, base_url=key_echo.base_url(401)) as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        ask(client, clip, "what is said?", retry=retry)
    text = _exception_text(caught.value)
    assert "key sk-***... is not valid" in text  # MiMo's detail still surfaces, masked
    assert not leaks(text), text


def test_ask_async_masks_the_key(key_echo: KeyEcho, tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)

    async def go() -> BaseException:
        async with openai.AsyncOpenAI(api_key=SECRET, base_url=key_echo.base_url(401)) as client:
            with pytest.raises(openai.AuthenticationError) as caught:
                await ask_async(client, clip, "what is said?")
        return caught.value

    text = _exception_text(asyncio.run(go()))
    assert not leaks(text), text


def test_streams_mask_the_key_too(key_echo: KeyEcho, tmp_path: Path) -> None:
    """``stream_completion`` is given no key: the one its failed request carried is masked."""
    clip = write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)
    with (
        openai.OpenAI(api_key=SECRET, base_url=key_echo.base_url(401)) as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        ask_stream(client, clip, "what is said?")
    text = _exception_text(caught.value)
    assert "Bearer ***" in text
    assert not leaks(text), text


def test_retried_errors_are_masked_before_on_retry_and_logs(
    key_echo: KeyEcho, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[RetryEvent] = []
    before = key_echo.requests
    policy = RetryPolicy(attempts=3, on_retry=events.append)
    url = key_echo.base_url(503)
    with (
        set_testing(True),
        openai.OpenAI(api_key=SECRET, base_url=url) as client,
        pytest.raises(openai.InternalServerError) as caught,
    ):
        create_completion(client, model="mimo-v2.6-flash", messages=MESSAGES, retry=policy)
    assert key_echo.requests - before == 3
    assert len(events) == 2
    for event in events:
        assert not leaks(_exception_text(event.exception))
    assert not leaks(_exception_text(caught.value))
    assert not leaks(caplog.text)


# -- batches ------------------------------------------------------------------------------


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batch_records_and_results_never_hold_the_key(key_echo: KeyEcho, tmp_path: Path) -> None:
    clips = [write_silence(tmp_path / f"c{i}.wav", 0.5, sample_rate=8000) for i in range(2)]
    out = tmp_path / "r.jsonl"

    async def go() -> Any:
        async with openai.AsyncOpenAI(api_key=SECRET, base_url=key_echo.base_url(401)) as client:
            return await ask_batch_async(client, clips, "q", results_path=out)

    results = asyncio.run(go())
    assert [r.error["status"] for r in results if r.error] == [401, 401]
    assert "***" in out.read_text()
    assert not leaks(out.read_text())
    assert not leaks(repr(results) + repr(results.records()))
    for result in results:
        assert result.exception is not None
        assert not leaks(_exception_text(result.exception))


def test_sync_batch_records_never_hold_the_key(key_echo: KeyEcho, tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "c.wav", 0.5, sample_rate=8000)
    with openai.OpenAI(api_key=SECRET, base_url=key_echo.base_url(403)) as client:
        results = ask_batch(client, [clip], "q")
    assert results[0].error is not None
    assert results[0].error["status"] == 403
    assert not leaks(json.dumps(results.records()))
