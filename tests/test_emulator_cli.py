"""``mimo-audio serve``: prints its base URL, serves the SDK, stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import openai
import pytest

from mimo_openai_ext._cli import main


def test_serve_prints_base_url_serves_and_stops_on_interrupt() -> None:
    command = [
        sys.executable,
        "-m",
        "mimo_openai_ext",
        "serve",
        "--port",
        "0",
        "--api-key",
        "sk-cli",
        "--rpm",
        "1",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            base_url = proc.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/v1")
            with openai.OpenAI(base_url=base_url, api_key="sk-cli", max_retries=0) as client:
                reply = client.chat.completions.create(
                    model="mimo-v2.5", messages=[{"role": "user", "content": "hi"}]
                )
                assert 'You asked: "hi"' in (reply.choices[0].message.content or "")
                with pytest.raises(openai.RateLimitError):  # --rpm 1
                    client.chat.completions.create(
                        model="mimo-v2.5", messages=[{"role": "user", "content": "hi"}]
                    )
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "POST /v1/chat/completions 200" in err
    assert "429" in err


def test_serve_refuses_bad_fault_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--faults", "429,teapot"])
    assert exc.value.code == 2
    assert "teapot" in capsys.readouterr().err
