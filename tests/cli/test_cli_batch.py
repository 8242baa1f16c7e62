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
from _audio import sparse_wav, write_silence
from _key_echo import SECRET, key_echo, leaks

from mimo_openai_ext._cli import main

__all__ = ["key_echo"]  # the fixture, imported for this module's tests


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
    assert f"6 items for mimo-v2.6-flash: {total_s:,.1f} s of audio" in out
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


# -- the key, refused formats, usage mistakes, Ctrl-C, resume of failures, costs ------------


def test_the_key_is_never_printed_nor_written(key_echo, folder: Path, tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    argv = ["batch", str(folder / "c0.wav"), str(folder / "c1.wav"), "-q", "Q", "-o", str(out)]
    code = main([*argv, "--base-url", key_echo.base_url(401), "--api-key", SECRET, "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1
    assert "2 asked: 0 ok, 2 failed" in captured.err
    assert "failed: " in captured.err
    assert "Invalid API Key Bearer ***" in out.read_text()
    assert not leaks(captured.out + captured.err + out.read_text())


@pytest.fixture
def mixed(folder: Path) -> Path:
    """The six WAVs plus an AIFF (real audio MiMo refuses) and files named like other refused formats."""
    write_silence(folder / "t.aiff", 0.75, format="AIFF", sample_rate=8000)
    for name in ("x.aac", "y.WEBM", "z.wma"):
        (folder / name).write_bytes(b"not really audio")
    return folder


def test_a_folder_says_which_files_need_convert(mimo_emulator, mixed: Path, tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    code = main(["batch", str(mixed), "-q", "q", "-o", str(out), *_connection(mimo_emulator)])
    err = capsys.readouterr().err
    assert code == 0
    assert f"{mixed}: skipped 4 file(s) in formats MiMo does not accept (.aac, .aiff, .webm, .wma)" in err
    assert "add --convert" in err
    assert len(_lines(out)) == 6


def test_convert_takes_refused_formats_and_converts_them(
    mimo_emulator, folder: Path, tmp_path, capsys
) -> None:
    write_silence(folder / "t.aiff", 0.75, format="AIFF", sample_rate=8000)
    argv = ["batch", str(folder), "-q", "q", "--convert"]
    assert main([*argv, "--estimate-only"]) == 0
    estimate = capsys.readouterr()
    assert "7 items for" in estimate.out
    assert "would fail" not in estimate.out
    assert "skipped" not in estimate.err

    out = tmp_path / "r.jsonl"
    assert main([*argv, "-o", str(out), *_connection(mimo_emulator)]) == 0
    records = {Path(r["source"]).name: r for r in _lines(out)}
    assert len(records) == 7
    assert records["t.aiff"]["error"] is None
    assert records["t.aiff"]["duration_s"] == pytest.approx(0.75, abs=0.01)
    assert len(mimo_emulator.completions()) == 7


def test_refused_files_without_convert_point_at_it(mimo_emulator, folder: Path, tmp_path, capsys) -> None:
    aiff = write_silence(folder / "t.aiff", 0.75, format="AIFF", sample_rate=8000)
    out = tmp_path / "r.jsonl"
    argv = [
        "batch",
        str(aiff),
        str(folder / "c0.wav"),
        "-q",
        "q",
        "-o",
        str(out),
        *_connection(mimo_emulator),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 of them in a format that convert=True re-encodes (on the command line: --convert)" in err
    assert "1 in a format MiMo refuses: add --convert to convert them" in err
    failed_line = next(line for line in err.splitlines() if "failed: " in line)
    assert failed_line.count("t.aiff") == 1 + failed_line.count("mimo-audio fit")  # named once, not twice


def test_estimate_only_exits_1_when_files_would_fail(mimo_emulator, folder: Path, capsys) -> None:
    (folder / "broken.wav").write_bytes(b"RIFF\0\0\0\0WAVE")  # truncated: it would fail
    assert main(["batch", str(folder), "-q", "q", "--estimate-only"]) == 1
    out = capsys.readouterr().out
    assert "would fail: " in out
    assert "broken.wav" in out
    assert mimo_emulator.completions() == []


def test_subfolders_are_named_when_not_searched_and_taken_with_recursive(
    mimo_emulator, folder: Path, capsys
) -> None:
    (folder / "monday").mkdir()
    write_silence(folder / "monday" / "deep.wav", 0.5, sample_rate=8000)
    assert main(["batch", str(folder), "-q", "q", "--estimate-only"]) == 0
    flat = capsys.readouterr()
    assert "6 items for" in flat.out
    assert f"{folder}: 1 subfolder(s) not searched (monday); --recursive is off" in flat.err
    assert main(["batch", str(folder), "-q", "q", "--estimate-only", "--recursive"]) == 0
    deep = capsys.readouterr()
    assert "7 items for" in deep.out
    assert "not searched" not in deep.err


def test_a_folder_of_only_refused_formats_asks_for_convert(tmp_path, capsys) -> None:
    only = tmp_path / "only"
    only.mkdir()
    (only / "a.aac").write_bytes(b"x")
    (only / "b.caf").write_bytes(b"x")
    assert main(["batch", str(only), "-q", "q", "--estimate-only"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "only 2 .aac, .caf file(s); add --convert" in err


@pytest.mark.parametrize("question", ["", "   "])
def test_an_empty_question_is_refused_up_front(folder: Path, tmp_path, capsys, question: str) -> None:
    out = tmp_path / "r.jsonl"
    assert main(["batch", str(folder), "-q", question, "-o", str(out), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        'mimo-audio: error: -q/--question is empty: ask something, e.g. -q "What is said?"'
    ]
    assert not out.exists()


def test_an_output_folder_is_named_as_a_folder(folder: Path, tmp_path, capsys) -> None:
    assert main(["batch", str(folder), "-q", "q", "-o", str(tmp_path), "--offline"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is a folder: -o takes a file path" in err
    assert "already exists" not in err


def test_resume_after_every_item_failed_exits_1_and_points_at_retry_failed(tmp_path, capsys) -> None:
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes(b"RIFF....WAVEfmt nothing")
    out = tmp_path / "r.jsonl"
    argv = ["batch", str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), "-q", "q", "-o", str(out), "--offline"]
    assert main([*argv, "--no-progress"]) == 1
    assert "--retry-failed asks the failed ones again" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 1
    err = capsys.readouterr().err
    assert "nothing to do: all 2 items are already in" in err
    assert "2 of them failed; --retry-failed asks the failed ones again" in err
    assert len(_lines(out)) == 2


def test_resume_that_adds_items_still_reports_earlier_failures(tmp_path, folder: Path, capsys) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEfmt nothing")
    out = tmp_path / "r.jsonl"
    options = ["-q", "q", "-o", str(out), "--offline", "--no-progress"]
    assert main(["batch", str(tmp_path / "bad.wav"), *options]) == 1
    capsys.readouterr()
    assert main(["batch", str(tmp_path / "bad.wav"), str(folder / "c0.wav"), *options, "--resume"]) == 1
    err = capsys.readouterr().err
    assert "1 asked: 1 ok, 0 failed (1 already in" in err
    assert "1 of them failed)" in err
    assert "--retry-failed asks the failed ones again" in err


def test_costs_are_written_without_float_noise(mimo_emulator, folder: Path, tmp_path, capsys) -> None:
    out = tmp_path / "r.jsonl"
    assert main(["batch", str(folder), "-q", "q", "-o", str(out), *_connection(mimo_emulator)]) == 0
    for record in _lines(out):
        for cost in (record["cost_usd"], record["usage"]["cost_usd"]):
            assert cost > 0
            assert round(cost, 9) == cost
            assert len(repr(cost).split("e")[0]) <= 12  # 2.632e-05, not 2.6320000000000002e-05


def test_ctrl_c_says_how_far_it_got_and_how_to_go_on(mimo_emulator, tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(24):
        write_silence(many / f"f{i:02d}.wav", 0.25, sample_rate=8000)
    mimo_emulator.configure(latency_ms=150)
    out = tmp_path / "r.jsonl"
    argv = [sys.executable, "-m", "mimo_openai_ext", "batch", str(many), "-q", "q", "-o", str(out)]
    proc = subprocess.Popen(
        [*argv, "--concurrency", "2", *_connection(mimo_emulator)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out.exists() and out.read_bytes().count(b"\n") >= 2):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    done = out.read_bytes().count(b"\n")
    assert proc.returncode == 130, err.decode()
    assert 2 <= done < 24
    assert f"interrupted: {done} of 24 done ({out}); rerun with --resume to continue" in err.decode()
    assert "Traceback" not in err.decode()


def test_estimate_only_exits_1_when_a_file_is_over_the_data_uri_limit(
    mimo_emulator, folder: Path, capsys
) -> None:
    sparse_wav(folder / "meeting.wav", size_bytes=58_000_000, sample_rate=16000)
    assert main(["batch", str(folder), "-q", "What?", "--estimate-only"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("would fail: "))
    assert "meeting.wav" in line
    assert "over MiMo's limit" in line
    assert mimo_emulator.completions() == []
