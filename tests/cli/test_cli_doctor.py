"""``mimo-audio doctor --offline`` end to end: the table, the dated JSON report, the
capabilities file that ``MIMO_CAPABILITIES`` loads, and a live-style run against a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mimo_openai_ext._cli import main

pytestmark = pytest.mark.usefixtures("no_mimo_env")


def test_doctor_offline_writes_its_report_and_capabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    caps = tmp_path / "caps.json"
    assert (
        main(["doctor", "--offline", "--json", "--write-capabilities", str(caps), "--include-rate-limit"])
        == 0
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("mimo-audio doctor: http://127.0.0.1:")
    assert lines[1].split() == ["model", "wav", "mp3", "flac", "m4a", "ogg", "reasoning_effort"]
    assert lines[2].split()[:6] == ["mimo-v2.6-flash", "heard", "heard", "heard", "heard", "heard"]
    assert "retired per the table: mimo-v2.5 retired (HTTP 400)" in out
    assert "Retry-After on a 429: sent (Retry-After: " in out  # --offline emulates MiMo's 100 RPM
    assert out.rstrip().splitlines()[-1].startswith("cost: $")
    assert "mimo-audio: doctor: audio mimo-v2.6-flash wav: heard" in err  # progress, on stderr
    (report,) = tmp_path.glob("mimo-doctor-*.json")
    data = json.loads(report.read_text())
    assert {p["probe"] for p in data["probes"]} == {
        "audio", "format_key", "raw_base64", "max_tokens", "reasoning_effort", "retired", "retry_after",
    }  # fmt: skip
    assert data["findings"]["base64_limit"].startswith("not checked")
    assert data["cost_usd"] > 0
    assert json.loads(caps.read_text())["format"] == "mimo-capabilities/1"
    code = "import mimo_openai_ext as m\nprint(m.get_model('mimo-v2.6-pro-ultraspeed').audio_evidence)\n"
    env_out = subprocess.run(
        [sys.executable, "-c", code],
        env={**__import__("os").environ, "MIMO_CAPABILITIES": str(caps)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert env_out.strip() == "checked"  # was "untested" in the table


def test_doctor_against_a_server_never_prints_the_key(
    mimo_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "sk-live-looking-key-0123456789"
    mimo_emulator.configure(api_key=secret, format_key="refuse")
    report = tmp_path / "report.json"
    argv = ["doctor", "--base-url", mimo_emulator.base_url, "--api-key", secret, "--model", "mimo-v2.6-flash"]
    assert main([*argv, "--json", str(report), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("mimo-audio: doctor: report written to")
    assert "a format key beside a data URI: refused (" in out  # this server refuses it
    for text in (out, err, report.read_text()):
        assert secret not in text
        assert "sk-live" not in text


def test_doctor_says_when_probes_got_no_answer(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["doctor", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "sk-x", "--model", "m", "--quiet"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "m " in out
    assert "probe(s) got no usable answer: run again later" in err


@pytest.mark.parametrize(
    "argv", [["--max-cost", "0"], ["--timeout", "-1"], ["--offline", "--api-key", "sk-x"]]
)
def test_doctor_usage_mistakes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["doctor", *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    assert "mimo-audio" in capsys.readouterr().err
