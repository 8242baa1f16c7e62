"""The results file against the file system's corner cases: names that are not UTF-8, the same
file typed three ways, a full disk, and a ``--retry-failed`` killed midway."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from _audio import write_silence

from mimo_openai_ext import ResultsFileError, ask_batch
from mimo_openai_ext._batch import results_file
from mimo_openai_ext._batch.results_file import ResultsFile, resume_state
from mimo_openai_ext.batch import collect_sources, read_results

BAD_NAME = os.fsdecode(b"bad\xff.wav")  # what Python makes of a name that is not UTF-8
posix_bytes_names = pytest.mark.skipif(os.name != "posix", reason="byte file names are POSIX")


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(3):
        write_silence(folder / f"c{i}.wav", 0.5 + 0.25 * i, sample_rate=8000)
    return folder


# -- 7: names that are not UTF-8 -----------------------------------------------------------------


@posix_bytes_names
def test_a_name_that_is_not_utf8_round_trips_through_the_results_file(
    mimo_emulator, client, tmp_path: Path, calls: Path
) -> None:
    bad = calls / BAD_NAME
    write_silence(bad, 0.5, sample_rate=8000)
    assert os.fsencode(bad).endswith(b"bad\xff.wav")
    out = tmp_path / "r.jsonl"
    results = ask_batch(client, sorted(calls.iterdir()), "q", results_path=out)
    assert not results.failed
    raw = out.read_bytes()
    raw.decode("utf-8")  # valid UTF-8, line by line
    assert b"bad\\udcff.wav" in raw  # the JSON escape of the lone surrogate
    sources = [r["source"] for r in read_results(out)]
    assert str(bad) in sources
    assert os.fsencode(str(bad)) == os.fsencode(bad)  # the same bytes on disk
    again = ask_batch(client, sorted(calls.iterdir()), "q", results_path=out, resume=True)
    assert all(r.resumed for r in again)  # every --resume finds them all
    assert len(mimo_emulator.completions()) == 4


def test_any_lone_surrogate_in_a_record_is_written_as_an_escape(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    record = {"index": 0, "source": "x\udc80\\\udcff.wav", "question": "\ud800?", "model": "m", "answer": "é",
              "reasoning": None, "finish_reason": "stop", "duration_s": None, "usage": None, "cost_usd": None,
              "error": None, "elapsed_s": 0.0}  # fmt: skip
    with ResultsFile(path) as results:
        results.append(record)  # type: ignore[arg-type]
    assert read_results(path) == [record]
    assert "é" in path.read_text(encoding="utf-8")  # other text stays readable, not escaped


# -- 9: --resume matches the file, not how its path was typed ---------------------------------------


def test_resume_matches_relative_absolute_and_symlinked_paths(
    mimo_emulator, client, tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.jsonl"
    monkeypatch.chdir(tmp_path)
    ask_batch(client, ["calls/c0.wav", "calls/c1.wav", "calls/c2.wav"], "q", results_path=out)
    link = tmp_path / "linked"
    link.symlink_to(calls, target_is_directory=True)
    typed = [str(calls / "c0.wav"), "./calls/c1.wav", str(link / "c2.wav")]
    again = ask_batch(client, typed, "q", results_path=out, resume=True)
    assert [r.resumed for r in again] == [True, True, True]
    assert [r.source for r in again] == typed  # the paths as typed this time
    assert len(mimo_emulator.completions()) == 3  # nothing asked twice
    assert len(read_results(out)) == 3  # nothing stored twice
    state = resume_state(out, typed, "q")
    assert state.pending == ()
    assert state.done == 3


def test_the_record_keeps_the_path_as_typed_and_the_files_identity(
    client, tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.jsonl"
    ask_batch(client, ["calls/c0.wav"], "q", results_path=out)
    record = read_results(out)[0]
    assert record["source"] == "calls/c0.wav"
    identity = record.get("file")
    assert identity is not None
    assert identity["path"] == os.path.realpath(calls / "c0.wav")
    assert identity["size_bytes"] == (calls / "c0.wav").stat().st_size


def test_a_file_changed_since_its_answer_is_asked_again(
    mimo_emulator, client, tmp_path: Path, calls: Path
) -> None:
    out = tmp_path / "r.jsonl"
    ask_batch(client, [calls / "c0.wav"], "q", results_path=out)
    write_silence(calls / "c0.wav", 1.5, sample_rate=8000)  # re-recorded: a new size
    again = ask_batch(client, [calls / "c0.wav"], "q", results_path=out, resume=True)
    assert not again[0].resumed
    assert len(mimo_emulator.completions()) == 2


def test_records_written_before_identities_still_resume_by_source(tmp_path: Path, calls: Path) -> None:
    out = tmp_path / "r.jsonl"
    old = {"index": 0, "source": str(calls / "c0.wav"), "question": "q", "model": "m", "answer": "a",
           "reasoning": "", "finish_reason": "stop", "duration_s": 0.5, "usage": None, "cost_usd": None,
           "error": None, "elapsed_s": 0.1}  # fmt: skip
    out.write_text(json.dumps(old) + "\n")
    assert resume_state(out, [str(calls / "c0.wav"), str(calls / "c1.wav")], "q").pending == (1,)


def test_the_same_file_typed_twice_in_one_batch_is_refused(client, tmp_path: Path, calls: Path) -> None:
    from mimo_openai_ext import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="appear more than once"):
        ask_batch(client, [calls / "c0.wav", f"{calls}/./c0.wav"], "q", results_path=tmp_path / "r.jsonl")


def test_collect_sources_keeps_a_file_once_however_it_is_typed(
    tmp_path: Path, calls: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "linked").symlink_to(calls, target_is_directory=True)
    found = collect_sources(["calls/c0.wav", str(calls / "c0.wav"), "linked/c0.wav", "calls"]).sources
    assert found == ("calls/c0.wav", "calls/c1.wav", "calls/c2.wav")


# -- 10: a full disk keeps every whole record -------------------------------------------------------


def test_a_failed_write_leaves_only_whole_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.jsonl"
    record = {"index": 0, "source": "a.wav", "question": "q", "model": "m", "answer": "x" * 200,
              "reasoning": "", "finish_reason": "stop", "duration_s": None, "usage": None, "cost_usd": None,
              "error": None, "elapsed_s": 0.0}  # fmt: skip
    real_write = os.write
    calls = {"n": 0}

    def disk_fills(fd: int, data: bytes) -> int:  # 50 bytes of the record go down, then ENOSPC
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:50]))
        raise OSError(errno.ENOSPC, "No space left on device")

    with ResultsFile(path) as results:
        results.append(record)  # type: ignore[arg-type]
        monkeypatch.setattr(results_file.os, "write", disk_fills)
        with pytest.raises(ResultsFileError) as caught:
            results.append({**record, "index": 1, "source": "b.wav"})  # type: ignore[arg-type]
    assert "No space left on device" in str(caught.value)
    assert "free some space" in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)
    assert [r["source"] for r in read_results(path)] == ["a.wav"]
    assert path.read_bytes().endswith(b"\n")


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores modes: then sysfs, which refuses root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder if not os.access(folder, os.W_OK) else Path("/sys")


def test_a_folder_that_cannot_be_written_is_a_results_file_error(tmp_path: Path) -> None:
    folder = read_only_folder(tmp_path)
    with pytest.raises(ResultsFileError) as caught:
        ResultsFile(folder / "r.jsonl")
    assert "r.jsonl: cannot open it for writing (Permission denied)" in str(caught.value)
    assert "choose another path" in str(caught.value)
    assert isinstance(caught.value.__cause__, PermissionError)


# -- 11: a leftover of a killed --retry-failed ------------------------------------------------------


def test_a_leftover_retry_failed_temporary_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    leftover = tmp_path / ".r.jsonl.retry-failed.tmp"
    leftover.write_text('{"half": ')  # a kill while the rewrite was being written
    with ResultsFile(path, resume=True):
        pass
    assert not leftover.exists()
