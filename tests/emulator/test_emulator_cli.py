"""``mimo-audio serve``: prints its base URL, serves the SDK, stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import openai
import pytest

from mimo_openai_ext import read_answer
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
                    model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}]
                )
                assert 'answered in text: "hi"' in read_answer(reply)
                with pytest.raises(openai.RateLimitError):  # --rpm 1
                    client.chat.completions.create(
                        model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}]
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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--port", "99999"), "argument --port: a port is 0 to 65535 (0 picks a free one), got 99999"),
        (("--latency-ms", "-5"), "argument --latency-ms: must be 0 or more, got -5"),
    ],
)
def test_serve_refuses_bad_numbers_as_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def _serve_banner(*argv: str) -> str:
    command = [sys.executable, "-m", "mimo_openai_ext", "serve", "--port", "0", "--quiet", *argv]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith("http://")
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    return err


def test_serve_masks_a_chosen_key_and_warns_off_loopback() -> None:
    err = _serve_banner("--api-key", "sk-my-own-secret-key", "--host", "0.0.0.0")
    assert "sk-my-own-secret-key" not in err
    assert "api key: sk-*** (the --api-key you gave)" in err
    assert "warning: --host 0.0.0.0 is not loopback: the emulator is reachable from other machines" in err


def test_serve_shows_the_builtin_test_key_and_no_warning_on_loopback() -> None:
    err = _serve_banner()
    assert "api key: sk-mimo-emulator)" in err
    assert "not loopback" not in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.168.1.5", False)],
)
def test_serve_knows_loopback_hosts(host: str, loopback: bool) -> None:
    from mimo_openai_ext._cli.serve import _is_loopback

    assert _is_loopback(host) is loopback
