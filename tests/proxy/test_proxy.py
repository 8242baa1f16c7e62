"""``mimo-audio proxy``: a real uvicorn server on loopback, the emulator upstream, the real SDK in front.

Any OpenAI client pointed at the proxy gets the adapter's rules (the same module the
in-process transport uses); here also the proxy's own duties: whose key goes upstream,
the proxy key, the body limit, the access log, many streams at once.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from _audio import encode_tone
from _shapes import AUDIO, SHAPES, expected_tokens, message, openai_part

from mimo_openai_ext import InvalidOptionError, MissingAPIKeyError
from mimo_openai_ext.proxy import ProxyOptions, create_app, is_loopback, start_proxy

CLIENT_KEY = "sk-client-own-key-123456"


@pytest.fixture
def proxy(mimo_emulator: Any) -> Iterator[str]:
    """A proxy holding the emulator's key; yields its base URL."""
    with start_proxy(ProxyOptions(upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key)) as handle:
        yield handle.base_url


def _client(base_url: str, key: str = "unused-by-the-proxy") -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", AUDIO)
def test_any_openai_client_gets_mimos_dialect(proxy: str, mimo_emulator: Any, fmt: str, shape: str) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    data = AUDIO[fmt]()
    with _client(proxy) as client:
        completion = client.chat.completions.create(
            model="mimo-v2.6-flash", max_tokens=400, messages=[message(SHAPES[shape](data, fmt))]
        )
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.audio_tokens == expected_tokens(data)
    assert f"audio 1: {fmt}" in (completion.choices[0].message.content or "")  # the reasoning, as content


def test_streams_and_transcriptions(proxy: str, mimo_emulator: Any) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    data = AUDIO["wav"]()
    with _client(proxy) as client:
        text = ""
        for chunk in client.chat.completions.create(
            model="mimo-v2.6-flash", messages=[message(openai_part(data, "wav"))], stream=True
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
        transcript = client.audio.transcriptions.create(model="whisper-1", file=("memo.wav", data))
        models = client.models.list()  # anything else passes through
    assert "audio 1: wav" in text
    assert "1.00 s of wav audio" in transcript.text
    assert any(model.id == "mimo-v2.6-flash" for model in models)


def test_32_concurrent_streaming_clients_all_complete(proxy: str, mimo_emulator: Any) -> None:
    mimo_emulator.configure(latency_ms=50)
    data = AUDIO["flac"]()

    def one(_: int) -> tuple[str, int]:
        text, tokens = "", 0
        with _client(proxy) as client:
            stream = client.chat.completions.create(
                model="mimo-v2.6-flash",
                messages=[message(openai_part(data, "flac"))],
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
                if chunk.usage is not None and chunk.usage.prompt_tokens_details is not None:
                    tokens = chunk.usage.prompt_tokens_details.audio_tokens or 0
        return text, tokens

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(one, range(32)))
    assert all("audio 1: flac" in text for text, _ in results)
    assert {tokens for _, tokens in results} == {expected_tokens(data)}
    assert len(mimo_emulator.completions()) == 32


def test_bodies_over_the_limit_are_refused_before_they_go_upstream(mimo_emulator: Any) -> None:
    options = ProxyOptions(
        upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key, max_body_bytes=20_000
    )
    with start_proxy(options) as handle, _client(handle.base_url) as client:
        with pytest.raises(openai.APIStatusError, match="over this proxy's limit of 20,000 bytes") as caught:
            client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["wav"](), "wav"))]
            )
        assert caught.value.status_code == 413

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted while read
            yield b'{"model": "mimo-v2.6-flash", "messages": [], "padding": "'
            for _ in range(30):
                yield b"x" * 1000
            yield b'"}'

        response = client._client.post(f"{handle.base_url}/chat/completions", content=chunked())
        assert response.status_code == 413
    assert mimo_emulator.request_log == []


def test_a_format_the_bytes_contradict_never_goes_upstream(proxy: str, mimo_emulator: Any) -> None:
    with _client(proxy) as client, pytest.raises(openai.BadRequestError, match="declared format 'mp3'"):
        client.chat.completions.create(
            model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["m4a"](), "mp3"))]
        )
    assert mimo_emulator.request_log == []


def test_access_log_names_the_request_and_never_the_key(
    mimo_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = encode_tone(2.33)  # 15 audio tokens: 2.4 s by the tokens, 2.3 s in truth
    with (
        caplog.at_level(logging.INFO, logger="mimo_openai_ext.proxy"),
        start_proxy(ProxyOptions(upstream=mimo_emulator.base_url)) as handle,
    ):
        with _client(handle.base_url, key=mimo_emulator.api_key) as client:
            client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[message(openai_part(data, "wav"))]
            )
            for _ in client.chat.completions.create(
                model="mimo-v2.6-flash",
                messages=[message(openai_part(data, "wav"))],
                stream=True,
                stream_options={"include_usage": True},
            ):
                pass
        with (
            _client(handle.base_url, key=CLIENT_KEY) as client,
            pytest.raises(openai.AuthenticationError),
        ):
            client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}]
            )
    lines = [r.getMessage() for r in caplog.records if r.name == "mimo_openai_ext.proxy"]
    assert len(lines) == 3
    tokens = expected_tokens(data)
    for line in lines[:2]:
        assert line.startswith("127.0.0.1 POST /v1/chat/completions 200 model=mimo-v2.6-flash ")
        assert f"audio=2.3s audio_tokens={tokens} prompt_tokens=" in line  # the probed duration
        assert tokens == 15
        assert "completion_tokens=" in line
    assert " 401 " in lines[2]
    assert all(mimo_emulator.api_key not in line and CLIENT_KEY[3:10] not in line for line in lines)


def test_whose_key_goes_upstream(mimo_emulator: Any) -> None:
    hello = [{"role": "user", "content": "hi"}]
    with start_proxy(ProxyOptions(upstream=mimo_emulator.base_url)) as handle:  # no stored key
        with _client(handle.base_url, key=mimo_emulator.api_key) as client:
            assert client.chat.completions.create(model="mimo-v2.6-flash", messages=hello).choices
        with _client(handle.base_url, key=CLIENT_KEY) as client, pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="mimo-v2.6-flash", messages=hello)  # the emulator refuses it
    stored = ProxyOptions(upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key)
    with start_proxy(stored) as handle, _client(handle.base_url, key="DUMMY_KEY") as client:
        assert client.chat.completions.create(
            model="mimo-v2.6-flash", messages=hello
        ).choices  # llm's dummy key
    assert [r.status for r in mimo_emulator.completions()] == [200, 401, 200]


def test_a_proxy_key_guards_the_stored_key(mimo_emulator: Any) -> None:
    proxy_key = "pk-long-random-proxy-key"
    options = ProxyOptions(
        upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key, proxy_key=proxy_key
    )
    hello = [{"role": "user", "content": "hi"}]
    with start_proxy(options) as handle:
        for wrong in (mimo_emulator.api_key, "nothing-like-it"):
            with _client(handle.base_url, key=wrong) as client, pytest.raises(openai.AuthenticationError):
                client.chat.completions.create(model="mimo-v2.6-flash", messages=hello)
        assert mimo_emulator.request_log == []
        with _client(handle.base_url, key=proxy_key) as client:
            assert client.chat.completions.create(model="mimo-v2.6-flash", messages=hello).choices


def test_binding_beyond_loopback_needs_a_proxy_key(mimo_emulator: Any) -> None:
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.0.2.7")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(InvalidOptionError, match="proxy_key"), start_proxy(host="0.0.0.0"):
        pass
    with pytest.raises(MissingAPIKeyError, match="MIMO_API_KEY"):
        ProxyOptions(proxy_key="pk-long-random-proxy-key")
    with pytest.raises(InvalidOptionError, match="too short"):
        ProxyOptions(api_key="sk-x", proxy_key="short")
    ProxyOptions(api_key="sk-x", proxy_key="pk-long-random-proxy-key").check_host("0.0.0.0")  # allowed


def test_an_unreachable_upstream_is_a_502() -> None:
    with (
        start_proxy(ProxyOptions(upstream="http://127.0.0.1:9/v1", api_key="sk-x")) as handle,
        _client(handle.base_url) as client,
        pytest.raises(openai.InternalServerError, match="could not reach"),
    ):
        client.chat.completions.create(model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}])


def test_create_app_is_a_starlette_app() -> None:
    from starlette.applications import Starlette

    assert isinstance(create_app(ProxyOptions(api_key="sk-x")), Starlette)


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mimo_openai_ext", "proxy", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(60)
    return proc, (line[0].strip() if line else "")


def test_the_command_line_offline() -> None:
    proc, base_url = _start_cli("--offline")
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        with _client(base_url, key="anything") as client:
            completion = client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[message(openai_part(AUDIO["flac"](), "flac"))]
            )
        assert completion.usage is not None
        assert completion.usage.prompt_tokens_details is not None
        assert completion.usage.prompt_tokens_details.audio_tokens == expected_tokens(AUDIO["flac"]())
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "MiMo proxy forwarding to http://127.0.0.1:" in err
    assert "POST /v1/chat/completions 200 model=mimo-v2.6-flash audio=" in err
    assert "sk-mimo-emulator" not in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--host", "0.0.0.0"], "set a proxy_key (`--proxy-key`)"),
        (["--offline", "--api-key", "sk-x"], "--offline forwards to a local emulator"),
        (["--proxy-key", "pk-long-random-proxy-key", "--upstream", "http://127.0.0.1:9/v1"], "MIMO_API_KEY"),
    ],
)
def test_the_command_line_refuses_what_would_expose_the_key(
    args: list[str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIMO_API_KEY", raising=False)
    result = subprocess.run(
        [sys.executable, "-m", "mimo_openai_ext", "proxy", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert said in result.stderr
    assert result.stdout == ""


def test_the_error_body_is_json_in_mimos_shape(proxy: str) -> None:
    with _client(proxy) as client:
        response = client._client.post(
            f"{proxy}/chat/completions", content=b"x" * 10, headers={"api-key": "k"}
        )
    assert response.status_code == 400  # the emulator's answer to a body that is not JSON, passed on
    assert set(json.loads(response.content)["error"]) == {"code", "message", "param", "type"}


def test_a_retired_model_or_a_bad_effort_never_goes_upstream(proxy: str, mimo_emulator: Any) -> None:
    with _client(proxy) as client:
        with pytest.raises(openai.BadRequestError, match=r"mimo-v2\.5 retired on 2026-10-21"):
            client.chat.completions.create(model="mimo-v2.5", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.BadRequestError, match="reasoning_effort='minimal'"):
            client.chat.completions.create(
                model="mimo-v2.6-flash",
                messages=[{"role": "user", "content": "hi"}],
                extra_body={"reasoning_effort": "minimal"},
            )
    assert mimo_emulator.request_log == []


def test_mimos_error_detail_reaches_the_message(proxy: str, mimo_emulator: Any) -> None:
    with _client(proxy) as client, pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert "model 'no-such-model' does not exist" in str(caught.value)
    assert len(mimo_emulator.completions()) == 1
