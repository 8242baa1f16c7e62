"""The command line in front of failures: one line on stderr, the right exit code, no traceback.

Answers that cannot be believed (an invalid 200, a stream cut short, the --timeout deadline)
exit 1; usage mistakes (a malformed --base-url) exit 2; files that cannot be written (a
read-only folder, a full disk) exit 74 and keep what was written."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _audio import write_silence
from faults import FaultServer, black_hole, json_body, raw, status, stream_of

from mimo_openai_ext import sample_audio_path
from mimo_openai_ext._cli import EXIT_API_ERROR, EXIT_OS_ERROR, EXIT_USAGE, main

pytestmark = pytest.mark.usefixtures("no_sleep")

KEY = "sk-cli-faults-0123456789"


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)


def _run(server: FaultServer, *args: str) -> int:
    return main([*args, "--base-url", server.base_url, "--api-key", KEY])


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("mimo-audio: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "answer",
    [
        json_body({"error": {"message": "overloaded"}}),
        json_body({"choices": []}),
        raw(b"<html>", content_type="text/html"),
        raw(b'{"choices": [', content_type="application/json"),
    ],
    ids=["error-object", "empty-choices", "html", "broken-json"],
)
def test_an_invalid_200_exits_1_with_one_line(fault_server: FaultServer, clip: Path, capsys, answer) -> None:
    fault_server.default = answer
    code = _run(fault_server, "ask", str(clip), "q")
    out, err = capsys.readouterr()
    assert code == EXIT_API_ERROR
    assert out == ""  # no empty "answer"
    assert "instead of a chat completion" in _one_line(err)
    assert fault_server.requests == 4  # retried like a 5xx


def test_a_stream_cut_short_exits_non_zero_and_says_so(fault_server: FaultServer, clip: Path, capsys) -> None:
    fault_server.default = stream_of("half an answer", finish=None, usage=None, done=False)
    code = _run(fault_server, "ask", "--stream", str(clip), "q")
    out, err = capsys.readouterr()
    assert code == EXIT_API_ERROR
    assert out == "half an answer\n"  # what arrived, its line ended
    line = _one_line(err)
    assert "without a finish_reason" in line
    assert "the answer is incomplete" in line


def test_the_timeout_flag_is_a_deadline(fault_server: FaultServer, clip: Path, capsys) -> None:
    fault_server.default = black_hole()
    start = time.monotonic()
    code = _run(fault_server, "ask", str(clip), "q", "--timeout", "1")
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == EXIT_API_ERROR
    assert elapsed < 2.0
    assert "timeout_s=1 s" in _one_line(err)


def test_the_timeout_flag_is_a_deadline_for_transcribe_too(
    fault_server: FaultServer, clip: Path, capsys
) -> None:
    fault_server.default = black_hole()
    start = time.monotonic()
    speech = str(sample_audio_path())  # silence would send nothing at all
    code = _run(fault_server, "transcribe", speech, "--timeout", "1", "--concurrency", "1")
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert fault_server.requests >= 1
    assert code != 0
    assert elapsed < 2.5
    assert "timeout_s=1 s" in err


def test_a_retry_after_of_a_day_fails_at_once_saying_when(
    fault_server: FaultServer, clip: Path, capsys
) -> None:
    fault_server.default = status(429, headers={"Retry-After": "86400"})
    code = _run(fault_server, "ask", str(clip), "q")
    err = capsys.readouterr().err
    assert code == EXIT_API_ERROR
    assert fault_server.requests == 1
    assert "asks to wait 86400 s" in _one_line(err)


@pytest.mark.parametrize("url", ["htp:/x", "http://[::1", "http://host:99999/v1", "not a url"])
def test_a_malformed_base_url_is_one_usage_line(clip: Path, capsys, url: str) -> None:
    code = main(["ask", str(clip), "q", "--base-url", url, "--api-key", KEY])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert f"base_url {url!r} is not an http(s) URL" in _one_line(err)


def test_a_read_only_output_folder_is_one_line_and_exit_74(
    mimo_emulator, clip: Path, tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root ignores modes: sysfs refuses new files even to root
        folder = Path("/sys")
    code = main(["batch", str(clip), "-q", "q", "-o", str(folder / "r.jsonl"), "--no-progress",
                 "--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key])  # fmt: skip
    err = capsys.readouterr().err
    assert code == EXIT_OS_ERROR
    assert "cannot open it for writing (Permission denied)" in _one_line(err)
    assert mimo_emulator.completions() == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_device_as_the_results_file_is_named_with_exit_74(mimo_emulator, clip: Path, capsys) -> None:
    code = main(["batch", str(clip), "-q", "q", "-o", "/dev/full", "--no-progress", "--overwrite",
                 "--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key])  # fmt: skip
    err = _one_line(capsys.readouterr().err)
    assert code == EXIT_OS_ERROR
    assert err.startswith("mimo-audio: error: /dev/full: cannot use it as the results file (")
    assert "a regular file (not a device or a pipe)" in err
    assert mimo_emulator.completions() == []


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow  # two runs of the command in a fresh interpreter (about 7 s)
@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_keeps_every_answer_written_and_says_how_to_resume(tmp_path: Path) -> None:
    """A real failing write: the kernel refuses bytes past RLIMIT_FSIZE, as a full disk does."""
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(5):
        write_silence(folder / f"c{i}.wav", 0.5 + 0.1 * i, sample_rate=8000)
    out = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "mimo_openai_ext", "batch", str(folder), "-q", "q", "-o", str(out),
               "--offline", "--no-progress", "--concurrency", "1"]  # fmt: skip
    full = subprocess.run(command, preexec_fn=lambda: _file_size_limit(1800), capture_output=True, text=True)
    assert full.returncode == EXIT_OS_ERROR, full.stderr
    line = _one_line(full.stderr)
    assert "could not write a result" in line
    assert "--resume" in line
    kept = [json.loads(x) for x in out.read_bytes().splitlines()]  # every line whole
    assert 1 <= len(kept) < 5
    assert out.read_bytes().endswith(b"\n")
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    sources = sorted(json.loads(x)["source"] for x in out.read_bytes().splitlines())
    assert sources == sorted(str(p) for p in folder.glob("*.wav"))  # each exactly once


@pytest.mark.skipif(os.name != "posix", reason="byte file names are POSIX")
def test_a_batch_over_a_name_that_is_not_utf8_finishes(mimo_emulator, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    write_silence(folder / os.fsdecode(b"bad\xff.wav"), 0.5, sample_rate=8000)
    write_silence(folder / "good.wav", 0.5, sample_rate=8000)
    out = tmp_path / "r.jsonl"
    args = ["batch", str(folder), "-q", "q", "-o", str(out), "--no-progress",
            "--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key]  # fmt: skip
    assert main(args) == 0
    assert main([*args, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "nothing to do: all 2 items are already in" in err
    assert len(out.read_bytes().splitlines()) == 2
    assert len(mimo_emulator.completions()) == 2
