"""``mimo-audio proxy`` serves OpenAI's ``/v1/audio/speech``: any OpenAI client, unchanged, gets a file."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import openai
import pytest

from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext.proxy import ProxyOptions, start_proxy

TEXT = "The proxy speaks MiMo's dialect, so this OpenAI call becomes speech."


def test_openai_speech_through_the_proxy(
    mimo_emulator: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = ProxyOptions(upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key)
    with (
        caplog.at_level(logging.INFO, logger="mimo_openai_ext.proxy"),
        start_proxy(options) as handle,
        openai.OpenAI(base_url=handle.base_url, api_key="unused-by-the-proxy", max_retries=0) as client,
    ):
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT).write_to_file(tmp_path / "a.mp3")
        with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="nova", input=TEXT, response_format="opus"
        ) as response:
            response.stream_to_file(tmp_path / "b.opus")
        with pytest.raises(openai.BadRequestError, match="stream_format='sse'"):
            # extra_body: openai 1.x has no stream_format keyword; the body is the same
            client.audio.speech.create(
                model="tts-1", voice="alloy", input=TEXT, extra_body={"stream_format": "sse"}
            )
        raw = urllib.request.Request(  # any language: a plain HTTP POST
            handle.base_url + "/audio/speech",
            data=json.dumps(
                {"model": "tts-1", "voice": "echo", "input": TEXT, "response_format": "wav"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(raw, timeout=30) as answer:
            wav, content_type = answer.read(), answer.headers["content-type"]
    assert probe_bytes((tmp_path / "a.mp3").read_bytes(), source_name="a").format == "mp3"
    assert probe_bytes((tmp_path / "b.opus").read_bytes(), source_name="b").format == "ogg"
    assert (content_type, probe_bytes(wav, source_name="c").format) == ("audio/wav", "wav")
    assert [(r.path, r.model, r.status) for r in mimo_emulator.request_log] == [
        ("/v1/chat/completions", "mimo-v2.5-tts", 200)
    ] * 3  # the refused one never went upstream
    lines = [r.getMessage() for r in caplog.records if r.name == "mimo_openai_ext.proxy"]
    assert lines[0].startswith("127.0.0.1 POST /v1/audio/speech 200 model=mimo-v2.5-tts ")  # what MiMo ran
    assert " 400 " in lines[2]
