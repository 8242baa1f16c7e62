"""langchain-openai's ``ChatOpenAI``, unchanged: through ``http_client=`` and through the proxy.

Without the adapter ``ChatOpenAI`` drops MiMo's ``reasoning_content``, so a reasoning-only
answer is ``.content == ''``, and MiMo ignores the OpenAI-shaped audio it sends.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
from typing import Any

import pytest
from _shapes import AUDIO, expected_tokens
from conftest import require

from mimo_openai_ext import mimo_async_http_client
from mimo_openai_ext.adapter import default_library

pytestmark = pytest.mark.clients

langchain_openai = require("langchain_openai")
messages = require("langchain_core.messages")

MIME = {"wav": "audio/wav", "flac": "audio/flac", "m4a": "audio/mp4"}


def _blocks(data: bytes, fmt: str, style: str) -> list[dict[str, Any]]:
    b64 = base64.b64encode(data).decode()
    audio = (
        {"type": "input_audio", "input_audio": {"data": b64, "format": fmt}}  # OpenAI's block, passed on
        if style == "openai"
        else {"type": "audio", "base64": b64, "mime_type": MIME[fmt]}  # LangChain's own block
    )
    return [{"type": "text", "text": "What is said?"}, audio]


def _chat(base_url: str, api_key: str, sync_http: Any, async_http: Any) -> Any:
    return langchain_openai.ChatOpenAI(
        model="mimo-v2.6-flash",
        base_url=base_url,
        api_key=api_key,
        http_client=sync_http,
        http_async_client=async_http,
        max_retries=0,
    )


def _routes(route: str, mimo_emulator: Any, proxy_url: str) -> tuple[str, str, bool]:
    """``(base_url, api_key, adapter?)``: the adapter's clients on the emulator, or plain ones on the
    proxy (plain, not the client's own defaults, only so that the test can close them)."""
    if route == "http_client":
        return mimo_emulator.base_url, mimo_emulator.api_key, True
    return proxy_url, "unused", False


def _audio_tokens(message: Any) -> int | None:
    details = (message.usage_metadata or {}).get("input_token_details") or {}
    return details.get("audio")


@pytest.mark.parametrize("route", ["http_client", "proxy"])
@pytest.mark.parametrize("style", ["openai", "langchain"])
@pytest.mark.parametrize("fmt", AUDIO)
def test_audio_is_heard_and_a_reasoning_only_answer_is_the_content(
    mimo_emulator: Any, proxy_url: str, http_client: Any, plain_http: Any, route: str, style: str, fmt: str
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    data = AUDIO[fmt]()
    base_url, key, adapter = _routes(route, mimo_emulator, proxy_url)
    chat = _chat(base_url, key, http_client if adapter else plain_http, None)
    reply = chat.invoke([messages.HumanMessage(content=_blocks(data, fmt, style))])
    assert f"audio 1: {fmt}" in reply.content
    assert _audio_tokens(reply) == expected_tokens(data)


@pytest.mark.parametrize("route", ["http_client", "proxy"])
def test_streaming_and_async(
    mimo_emulator: Any, proxy_url: str, http_client: Any, plain_http: Any, route: str
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    base_url, key, adapter = _routes(route, mimo_emulator, proxy_url)
    question = [messages.HumanMessage(content=_blocks(AUDIO["m4a"](), "m4a", "openai"))]
    chunks = list(_chat(base_url, key, http_client if adapter else plain_http, None).stream(question))
    assert len(chunks) > 1
    assert "audio 1: m4a" in "".join(chunk.content for chunk in chunks)

    async def main() -> Any:
        lib = importlib.import_module(default_library())
        async_http = mimo_async_http_client() if adapter else lib.AsyncClient()
        async with async_http:  # bound to this event loop, closed in it
            return await _chat(base_url, key, None, async_http).ainvoke(question)

    assert "audio 1: m4a" in asyncio.run(main()).content


def test_without_the_adapter_the_answer_is_lost(mimo_emulator: Any, plain_http: Any) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    chat = _chat(mimo_emulator.base_url, mimo_emulator.api_key, plain_http, None)
    reply = chat.invoke([messages.HumanMessage(content=_blocks(AUDIO["wav"](), "wav", "openai"))])
    assert reply.content == ""  # what the issue reported: MiMo's answer was in reasoning_content
    assert _audio_tokens(reply) == 0  # and the OpenAI-shaped audio was never heard
