"""LiteLLM, unchanged: its ``openai/`` route and its built-in ``xiaomi_mimo/`` provider (which sends
``max_tokens``), with the adapter's client (``client=``) and through the proxy (``api_base=``)."""

from __future__ import annotations

import asyncio
import base64
import importlib
from typing import Any

import openai
import pytest
from _shapes import AUDIO, expected_tokens
from conftest import require

from mimo_openai_ext import mimo_async_http_client
from mimo_openai_ext.adapter import default_library

pytestmark = [
    pytest.mark.clients,
    # LiteLLM's own types, not our code: a pydantic note about ReadOnly TypedDict items
    pytest.mark.filterwarnings("ignore:.* the `ReadOnly` qualifier:UserWarning"),
]

litellm = require("litellm")

MODELS = ["openai/mimo-v2.6-flash", "xiaomi_mimo/mimo-v2.6-flash"]


def _messages(data: bytes, fmt: str) -> list[dict[str, Any]]:
    b64 = base64.b64encode(data).decode()
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is said?"},
                {"type": "input_audio", "input_audio": {"data": b64, "format": fmt}},
            ],
        }
    ]


def _options(route: str, mimo_emulator: Any, proxy_url: str, http: Any) -> dict[str, Any]:
    """LiteLLM's keywords: an SDK client on the adapter's ``http`` (the emulator), or on a plain
    ``http`` pointed at the proxy (not LiteLLM's own cached client, only so the test can close it)."""
    if route == "proxy":
        base_url, key = proxy_url, "unused"
    else:
        base_url, key = mimo_emulator.base_url, mimo_emulator.api_key
    kind = openai.AsyncOpenAI if type(http).__name__.startswith("Async") else openai.OpenAI
    return {
        "api_base": base_url,
        "api_key": key,
        "client": kind(base_url=base_url, api_key=key, http_client=http),
    }


@pytest.mark.parametrize("route", ["client", "proxy"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("fmt", AUDIO)
def test_audio_is_heard_and_a_reasoning_only_answer_is_the_content(
    mimo_emulator: Any, proxy_url: str, http_client: Any, plain_http: Any, route: str, model: str, fmt: str
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    data = AUDIO[fmt]()
    http = http_client if route == "client" else plain_http
    response = litellm.completion(
        model=model,
        messages=_messages(data, fmt),
        max_tokens=400,
        **_options(route, mimo_emulator, proxy_url, http),
    )
    assert f"audio 1: {fmt}" in response.choices[0].message.content
    assert response.usage.prompt_tokens_details.audio_tokens == expected_tokens(data)


@pytest.mark.parametrize("route", ["client", "proxy"])
@pytest.mark.parametrize("model", MODELS)
def test_streaming_and_async(
    mimo_emulator: Any, proxy_url: str, http_client: Any, plain_http: Any, route: str, model: str
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    messages = _messages(AUDIO["flac"](), "flac")
    http = http_client if route == "client" else plain_http
    stream = litellm.completion(
        model=model, messages=messages, stream=True, **_options(route, mimo_emulator, proxy_url, http)
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "audio 1: flac" in text

    async def main() -> str:
        lib = importlib.import_module(default_library())
        async_http = mimo_async_http_client() if route == "client" else lib.AsyncClient()
        async with async_http:  # bound to this event loop, closed in it
            options = _options(route, mimo_emulator, proxy_url, async_http)
            response = await litellm.acompletion(model=model, messages=messages, **options)
        return str(response.choices[0].message.content)

    assert "audio 1: flac" in asyncio.run(main())


def test_without_the_adapter_the_audio_is_not_heard(mimo_emulator: Any, plain_http: Any) -> None:
    client = openai.OpenAI(
        base_url=mimo_emulator.base_url, api_key=mimo_emulator.api_key, http_client=plain_http
    )
    response = litellm.completion(
        model="xiaomi_mimo/mimo-v2.6-flash",
        messages=_messages(AUDIO["wav"](), "wav"),
        api_base=mimo_emulator.base_url,
        api_key=mimo_emulator.api_key,
        client=client,
    )
    assert response.usage.prompt_tokens_details.audio_tokens == 0
