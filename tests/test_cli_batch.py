"""``mimo-audio batch``: inputs, estimate, results file, exit codes, and kill -9 + resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from _audio import write_silence

from mimo_openai_ext._cli import main


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    audio = tmp_path / "audio"
    audio.mkdir()
    for i in range(6):
        write_silence(audio / f"c{i}.wav", (4000 + 800 * i) / 8000, sample_rate=8000)
    (audio / "readme.txt").write_text("not audio, and not picked from a folder\n")
    return audio


def _connection(emulator) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", emulator.api_key, "--no-progress"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_estimate_only_sends_nothing(mimo_emulator, folder: Path, capsys) -> None:
    code = main(
        ["batch", str(folder), "-q", "What is said?", "--estimate-only", "--max-completion-tokens", "100"]
    )
    out = capsys.readouterr().out
    assert code == 0
    total_s = sum(sf.info(p).duration for p in folder.glob("*.wav"))
    assert f"6 items for mimo-v2.5: {total_s:,.1f} s of audio" in out
    assert "max_completion_tokens=100 per item" in out
    assert "$" in out
    assert mimo_emulator.completions() == []


def test_a_batch_writes_one_line_per_file_in_completion_order(
    mimo_emulator, folder: Path, tmp_path, capsys
) -> None:
    out = tmp_path / "r.jsonl"
    code = main(
        ["batch", str(folder / "*.wav"), "-q", "Describe it", "-o", str(out), *_connection(mimo_emulator)]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "6 asked: 6 ok, 0 failed" in err
    records = _lines(out)
    assert sorted(r["source"] for r in records) == sorted(str(p) for p in folder.glob("*.wav"))
    for record in records:
        assert record["error"] is None
        assert record["usage"]["audio_tokens"] > 0
        assert record["cost_usd"] > 0
        assert "Describe it" in record["answer"]
    assert len(mimo_emulator.completions()) == 6


def test_failures_are_recorded_and_exit_1(mimo_emulator, folder: Path, tmp_path, capsys) -> None:
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEfmt nothing")
    out = tmp_path / "r.jsonl"
    mimo_emulator.fail_next("400")
    args = [
        "batch",
        str(folder),
        "-q",
        "q",
        "-o",
        str(out),
        "--concurrency",
        "1",
        *_connection(mimo_emulator),
    ]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1
    assert "5 ok, 2 failed" in err
    assert "failed: " + str(broken) in err
    errors = {Path(r["source"]).name: r["error"] for r in _lines(out) if r["error"]}
    assert errors["broken.wav"]["type"] == "CorruptAudioError"
    assert [e["status"] for e in errors.values()].count(400) == 1

    assert main([*args, "--retry-failed"]) == 1  # the 400 succeeds now; the broken file fails again
    assert "2 asked: 1 ok, 1 failed" in capsys.readouterr().err
    records = _lines(out)
    assert sorted(Path(r["source"]).name for r in records) == sorted(p.name for p in folder.glob("*.wav"))
    assert [Path(r["source"]).name for r in records if r["error"]] == ["broken.wav"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope/*.wav"], "nope/*.wav: no files match this pattern"),
        (["missing.wav"], "missing.wav: no such file or folder"),
        (["{folder}", "--resume", "--overwrite"], "contradict"),
        (["{folder}", "--estimate-only", "--concurrency", "0"], None),
    ],
)
def test_usage_errors_exit_2(folder: Path, tmp_path, capsys, monkeypatch, argv, message) -> None:
    argv = [a.replace("{folder}", str(folder)) for a in argv]
    monkeypatch.chdir(tmp_path)
    if message is None:
        with pytest.raises(SystemExit) as info:
            main(["batch", *argv, "-q", "q"])
        assert info.value.code == 2
        assert "must be at least 1" in capsys.readouterr().err
        return
    assert main(["batch", *argv, "-q", "q", "-o", "r.jsonl", "--offline"]) == 2
    assert message in capsys.readouterr().err


def test_an_existing_output_needs_resume(mimo_emulator, folder: Path, tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    argv = ["batch", str(folder), "-q", "q", "-o", str(out), *_connection(mimo_emulator)]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "already exists: add --resume" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0
    assert "nothing to do: all 6 items" in capsys.readouterr().err
    assert len(mimo_emulator.completions()) == 6


def test_offline_runs_against_the_in_process_emulator(folder: Path, tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    assert (
        main(["batch", str(folder), "-q", "q", "-o", str(out), "--offline", "--no-progress", "--rpm", "500"])
        == 0
    )
    assert len(_lines(out)) == 6


# -- kill -9 at any moment, then resume --------------------------------------------------


def _start(emulator, folder: Path, out: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "mimo_openai_ext", "batch", str(folder), "-q", "q", "-o", str(out)]
    argv += ["--concurrency", "3", "--resume", *_connection(emulator)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen[bytes], out: Path, lines: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    if proc.stderr is not None:
        proc.stderr.close()


def test_sigkill_then_resume_leaves_every_item_exactly_once(mimo_emulator, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(24):
        write_silence(folder / f"f{i:02d}.wav", (2000 + 40 * i) / 8000, sample_rate=8000)
    mimo_emulator.configure(latency_ms=60)
    out = tmp_path / "r.jsonl"

    first = _start(mimo_emulator, folder, out)
    _kill_when(first, out, lines=4)
    assert first.returncode == -signal.SIGKILL
    after_first = out.read_bytes().count(b"\n")
    assert 4 <= after_first < 24

    # What a kill in the middle of a write leaves behind: half a line.
    with open(out, "ab") as f:
        f.write(b'{"index": 99, "source": "' + str(folder / "f23.wav").encode() + b'", "question": "q", "ans')

    second = _start(mimo_emulator, folder, out)
    _kill_when(second, out, lines=after_first + 5)
    assert out.read_bytes().count(b"\n") > after_first

    third = _start(mimo_emulator, folder, out)
    _, err = third.communicate(timeout=60)
    assert third.returncode == 0, err.decode()

    raw = out.read_bytes()
    assert raw.endswith(b"\n")
    records = [json.loads(line) for line in raw.splitlines()]  # no corrupt line anywhere
    sources = [r["source"] for r in records]
    assert sorted(sources) == sorted(str(p) for p in folder.glob("*.wav"))  # each exactly once
    assert all(r["error"] is None for r in records)
